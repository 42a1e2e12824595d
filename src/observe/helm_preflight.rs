//! The Helm pre-flight, run against the live cluster and changing nothing: pull the chart at the
//! pinned version with the operator's registry settings, then `helm upgrade --dry-run=server` that
//! archive with the planned values. `plan` shows the outcome as the `helm-preflight` pre-check;
//! `apply` refuses to start changing the cluster unless it passed (`engine::preflight`).
use std::io::Write;
use std::time::{Duration, Instant};

use kfscale_helm::{DryRun, Helm};

use crate::connect::ConfigContext;
use crate::plan::{HelmPreflight, Plan};

/// The dry run renders and reads; it never waits for a rollout.
const DRY_RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// What the pre-flight upgrades: the release, from where, to which version.
pub struct PreflightTarget<'a> {
    pub helm: &'a Helm,
    pub release: &'a str,
    pub chart: &'a str,
    pub plain_http: bool,
}

/// The pre-flight's outcome and how long helm took (both calls).
pub struct Preflight {
    pub outcome: HelmPreflight,
    pub took: Duration,
}

/// Runs the pre-flight for the upgrade to `version` with `planned_values` (the values file's text
/// as the upgrade will read it). Blocking: helm runs as a child.
pub fn run(target: &PreflightTarget<'_>, version: &str, planned_values: &str) -> Preflight {
    let started = Instant::now();
    let outcome = attempt(target, version, planned_values);
    Preflight {
        outcome,
        took: started.elapsed(),
    }
}

/// The pre-flight `plan` runs against the cluster kfscale.yaml names: the planned values are the
/// observed file with the plan's edits.
pub fn for_plan(context: &ConfigContext<'_>, plan: &Plan, values_path: &str, values_text: &str) -> HelmPreflight {
    let planned = match plan.values.apply_to(values_path, values_text) {
        Ok(text) => text,
        Err(err) => {
            return HelmPreflight::NotRun {
                reason: format!("the planned values could not be made: {err}"),
                fix: "fix the values file, then plan again".into(),
            };
        }
    };
    let clients = context.helm_chart().and_then(|chart| Ok((context.helm()?, chart)));
    let (helm, chart) = match clients {
        Ok(clients) => clients,
        Err(err) => {
            return HelmPreflight::NotRun {
                reason: format!("{err:#}"),
                fix: "set helm.binary and helm.chart in kfscale.yaml, then plan again".into(),
            };
        }
    };
    let target = PreflightTarget {
        helm: &helm,
        release: &context.config.helm.release,
        chart: &chart,
        plain_http: context.config.helm.plain_http,
    };
    run(&target, &plan.release.chart_version, &planned).outcome
}

fn attempt(target: &PreflightTarget<'_>, version: &str, planned_values: &str) -> HelmPreflight {
    let not_run = |what: &str, err: std::io::Error| HelmPreflight::NotRun {
        reason: format!("{what}: {err}"),
        fix: "make the temporary directory ($TMPDIR) writable, then try again".into(),
    };
    // One private directory (mode 0700) for the archive and the values, removed when dropped.
    let scratch = match tempfile::Builder::new().prefix("kfscale-helm-preflight-").tempdir() {
        Ok(dir) => dir,
        Err(err) => return not_run("creating a temporary directory", err),
    };
    let values_file = match write_private(scratch.path(), planned_values) {
        Ok(path) => path,
        Err(err) => return not_run("writing the planned values", err),
    };
    let pulled_into = scratch.path().join("chart");
    if let Err(err) = std::fs::create_dir(&pulled_into) {
        return not_run("creating a temporary directory", err);
    }
    let (chart, version_owned) = (target.chart.to_string(), version.to_string());
    let archive = match target.helm.pull(target.chart, version, target.plain_http, &pulled_into) {
        Ok(archive) => archive,
        Err(err) => {
            return HelmPreflight::NotPulled {
                chart,
                version: version_owned,
                error: err.to_string(),
            };
        }
    };
    let dry_run = DryRun {
        release: target.release,
        chart_archive: &archive,
        values_file: &values_file,
        timeout: DRY_RUN_TIMEOUT,
    };
    match target.helm.upgrade_dry_run(&dry_run) {
        Ok(()) => HelmPreflight::Passed {
            chart,
            version: version_owned,
        },
        Err(err) => HelmPreflight::Rejected {
            chart,
            version: version_owned,
            error: err.to_string(),
        },
    }
}

/// The values may hold secrets: written only to a file only this user can read (tempfile creates
/// it 0600), never printed.
fn write_private(dir: &std::path::Path, text: &str) -> std::io::Result<std::path::PathBuf> {
    let mut file = tempfile::Builder::new()
        .prefix("values-")
        .suffix(".yaml")
        .tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    let (_, path) = file.keep().map_err(|err| err.error)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_planned_values_are_written_for_this_user_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = write_private(dir.path(), "password: hunter2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "password: hunter2\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
