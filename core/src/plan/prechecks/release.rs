//! The Helm release: the version the upgrade pins, a status that allows an upgrade, no leftover hook job.
use super::{Inputs, PreCheck, fail, pass, warn};

pub(super) fn chart_version(i: &Inputs) -> PreCheck {
    let id = "chart-version";
    let installed = &i.snapshot.helm.chart_version;
    if semver::Version::parse(installed.trim_start_matches('v')).is_err() {
        return fail(
            id,
            format!("the installed chart version `{installed}` is not a version"),
            "check the Helm release record",
        );
    }
    match &i.snapshot.kubernetes.kfuse_version {
        Some(configmap) if configmap.trim_start_matches('v') != installed.trim_start_matches('v') => fail(
            id,
            format!("the Helm release says chart {installed} but ConfigMap kfuse-version says {configmap}"),
            "find out which is installed (helm history) before scaling; the upgrade pins the release's version",
        ),
        _ => pass(
            id,
            format!("chart {installed} installed; the upgrade pins exactly this version"),
        ),
    }
}

pub(super) fn helm_status(i: &Inputs) -> PreCheck {
    let id = "helm-status";
    let helm = &i.snapshot.helm;
    match helm.status.as_str() {
        "deployed" => pass(
            id,
            format!("release {} revision {} is deployed", helm.name, helm.revision),
        ),
        status if helm.is_pending() => fail(
            id,
            format!(
                "release {} is `{status}`: Helm refuses upgrades while another operation is in progress",
                helm.name
            ),
            format!(
                "if no helm command is still running, roll back to the last deployed revision: `helm rollback {} <revision> -n {}` (see `helm history {} -n {}`)",
                helm.name, helm.namespace, helm.name, helm.namespace
            ),
        ),
        status => warn(
            id,
            format!("release {} revision {} is `{status}`", helm.name, helm.revision),
            "check `helm history` and the last upgrade's error before scaling",
        ),
    }
}

pub(super) fn leftover_hook_jobs(i: &Inputs) -> PreCheck {
    let id = "hook-jobs";
    let leftovers: Vec<String> = i
        .snapshot
        .kubernetes
        .jobs
        .iter()
        .filter(|job| {
            i.profile
                .hook_jobs
                .iter()
                .any(|hook| job.name.starts_with(hook.as_str()))
        })
        .map(|job| {
            let state = if job.active > 0 {
                "running"
            } else if job.failed > 0 {
                "failed"
            } else {
                "finished"
            };
            format!("{} ({state})", job.name)
        })
        .collect();
    if leftovers.is_empty() {
        pass(id, "no leftover Helm hook job")
    } else if leftovers.iter().any(|job| job.ends_with("(running)")) {
        fail(
            id,
            format!("hook job(s) still running: {}", leftovers.join(", ")),
            "wait for them to finish",
        )
    } else {
        warn(
            id,
            format!("leftover hook job(s): {}", leftovers.join(", ")),
            "apply deletes them before the upgrade (a leftover job blocks it)",
        )
    }
}
