//! Nothing irreversible before the upgrade is known to work. An apply grows the node pool and
//! re-creates the broker StatefulSets before `helm upgrade` runs; a chart that cannot be pulled, or
//! a manifest the API server refuses, would show up only then. So before the first step that
//! changes anything, every apply (new, from a plan file, or resumed) runs the Helm pre-flight
//! (`observe::helm_preflight`) and refuses, with helm's error, unless it passed. Once the
//! `helm_upgrade` step has started, the upgrade itself is the proof: the pre-flight is not run
//! again (a release its own killed helm left pending would fail it).
use anyhow::bail;
use serde_json::json;

use super::report::events::Events;
use crate::connect::Systems;
use crate::observe::helm_preflight::{self, PreflightTarget};
use crate::plan::{Plan, helm_preflight as check_of};
use crate::snapshot::sha256_hex;
use crate::state::{ApplyRun, StepName, StepStatus};

/// Runs the Helm pre-flight unless the run's `helm_upgrade` step has already started; an error
/// (nothing more changed) when it did not pass.
pub async fn ensure_the_upgrade_can_succeed(run: &ApplyRun, systems: &Systems, events: &Events) -> anyhow::Result<()> {
    if !needs_preflight(run) {
        return Ok(());
    }
    let planned = planned_values(&run.plan, &systems.values_path)?;
    let target = PreflightTarget {
        helm: &systems.helm,
        release: &systems.helm_release,
        chart: &systems.helm_chart,
        plain_http: systems.helm_plain_http,
    };
    let version = &run.plan.release.chart_version;
    if !events.is_json() {
        crate::eoutln!(
            "• helm-preflight: helm pull {} --version {version}, then helm upgrade --dry-run=server with the planned values",
            target.chart
        );
    }
    // helm runs as a child process: a blocking wait, off the runtime's workers.
    let preflight = tokio::task::block_in_place(|| helm_preflight::run(&target, version, &planned));
    let check = check_of(&preflight.outcome);
    let took_ms = preflight.took.as_millis() as u64;
    events.emit(
        "preflight",
        json!({ "check": check.id, "status": check.status, "message": check.message, "took_ms": took_ms }),
    );
    if preflight.outcome.passed() {
        if !events.is_json() {
            crate::eoutln!("  pass: {} ({took_ms} ms)", check.message);
        }
        return Ok(());
    }
    bail!(
        "the Helm pre-flight failed, so the apply stopped before {}: {}; fix: {}",
        first_change(run),
        check.message,
        check.fix
    )
}

/// Whether the upgrade has yet to be tried in this run.
fn needs_preflight(run: &ApplyRun) -> bool {
    run.step(StepName::HelmUpgrade)
        .is_none_or(|step| step.status == StepStatus::Pending)
}

/// The values file as the upgrade will read it: the planned edits on the file as planned, or the
/// file itself once the `values_file` step wrote it (a file changed otherwise is refused by that
/// step; the pre-flight checks what is there).
fn planned_values(plan: &Plan, path: &std::path::Path) -> anyhow::Result<String> {
    let text = crate::files::read_values_text(path)?;
    if sha256_hex(text.as_bytes()) != plan.values.before_sha256 {
        return Ok(text);
    }
    Ok(plan.values.apply_to(&path.display().to_string(), &text)?)
}

/// "changing anything" on a new run, "step X" on a resumed one (earlier steps stay done).
fn first_change(run: &ApplyRun) -> String {
    match run.steps.iter().find(|step| step.status != StepStatus::Pending) {
        None => "changing anything (nothing was changed)".into(),
        Some(_) => {
            let next = run
                .steps
                .iter()
                .find(|step| !step.is_finished())
                .map_or("the record".into(), |step| format!("step {}", step.name.as_str()));
            format!("{next} (nothing more was changed)")
        }
    }
}
