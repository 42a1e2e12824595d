//! Pinot: reachable with the tables the runbook's mandatory metrics rebalance needs, no rebalance
//! running, segments healthy, a parameter set for this chart version. The one way past a Pinot
//! that cannot be reached is the operator's explicit `--skip-pinot` (a warning, recorded).
use super::{Inputs, PreCheck, fail, pass, warn};
use crate::plan::PinotPlan;

/// How the operator gets past this check without Pinot, in every fix that offers it.
const SKIP: &str = "only if you will rebalance the metrics tables by hand, pass --skip-pinot (recorded in the state and in the record commit)";

pub(super) fn pinot_ready(i: &Inputs) -> PreCheck {
    let id = "pinot";
    if i.pinot.skipped {
        return warn(
            id,
            format!(
                "SKIPPED by --skip-pinot: {} will not be rebalanced, so the new Pinot servers get none of their segments",
                i.profile.pinot.manual_rebalance_tables.join(", ")
            ),
            "rebalance them by hand after the apply (the runbook's Pinot step), or plan again without --skip-pinot once Pinot is reachable",
        );
    }
    if i.snapshot.pinot.tables.is_empty() && i.snapshot.pinot.instances.is_empty() {
        return fail(
            id,
            "Pinot was not observed (no tables, no instances), so the metrics rebalance the runbook requires cannot be planned",
            format!(
                "make the Pinot controller reachable (kfscale.yaml `pinot.url`, or `pinot.pod`/`pinot.port` for the port-forward) and plan again; {SKIP}"
            ),
        );
    }
    let missing = PinotPlan::missing_required_tables(i.snapshot, i.profile);
    if !missing.is_empty() {
        let optional = if i.profile.pinot.optional_tables.is_empty() {
            "none".to_string()
        } else {
            i.profile.pinot.optional_tables.join(", ")
        };
        return fail(
            id,
            format!(
                "Pinot has no table {}: the runbook's metrics rebalance needs it (tables allowed to be absent: {optional})",
                missing.join(", ")
            ),
            format!(
                "check that kfscale reads the right Pinot, or correct profile.pinot.manual_rebalance_tables / optional_tables in kfscale.yaml; {SKIP}"
            ),
        );
    }
    if let Some(running) = i.snapshot.pinot.running_rebalances.first() {
        return fail(
            id,
            format!(
                "a rebalance of {} is running (job {}, {})",
                running.table, running.job_id, running.status
            ),
            "wait for it to finish before scaling",
        );
    }
    let bad: Vec<String> = i
        .snapshot
        .pinot
        .tables
        .iter()
        .filter(|t| t.segments.bad > 0)
        .map(|t| format!("{} ({} BAD)", t.name, t.segments.bad))
        .collect();
    if !bad.is_empty() {
        return warn(
            id,
            format!("segments not GOOD: {}", bad.join(", ")),
            "investigate BAD segments first: a rebalance will not repair them",
        );
    }
    if !i.pinot.tables.is_empty() && i.pinot.parameter_set.is_none() {
        return fail(
            id,
            format!(
                "no Pinot rebalance parameter set matches chart version {}",
                i.snapshot.helm.chart_version
            ),
            "add a parameter set for this version under profile.pinot.parameter_sets in kfscale.yaml",
        );
    }
    pass(
        id,
        format!(
            "{} tables, all segments GOOD, no rebalance running",
            i.snapshot.pinot.tables.len()
        ),
    )
}
