//! Pinot: no rebalance running, segments healthy, a parameter set for this chart version.
use super::{Inputs, PreCheck, fail, pass, warn};

pub(super) fn pinot_ready(i: &Inputs) -> PreCheck {
    let id = "pinot";
    if i.snapshot.pinot.tables.is_empty() && i.snapshot.pinot.instances.is_empty() {
        return warn(
            id,
            "Pinot was not observed (no tables, no instances)",
            "plan against the live cluster with Pinot reachable",
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
