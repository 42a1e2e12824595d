//! A stale plan is refused: the world it was made for (per-system fingerprints) or the state it was
//! made against (lineage, serial) has moved on.
use crate::config::Config;
use crate::plan::{Plan, StateRef};
use crate::snapshot::Fingerprints;
use crate::state::{ApplyRun, State, StepName, StepStatus};

/// Why the plan is stale, one line per reason; empty when it is current. `planned_values` is the
/// sha256 of the values file the plan writes, when known: a values file already holding exactly
/// it (the reviewed plan, merged and pulled) is what the plan expects, not a change.
pub fn stale_reasons(
    plan: &Plan,
    now: &Fingerprints,
    state: Option<&State>,
    planned_values: Option<&str>,
) -> Vec<String> {
    let mut reasons: Vec<String> = plan
        .fingerprints
        .changed_in(now)
        .into_iter()
        .filter(|system| !(*system == "values" && Some(now.values.as_str()) == planned_values))
        .map(|system| format!("{system} changed since the plan was made"))
        .collect();
    reasons.extend(state_reasons(plan, state));
    reasons
}

/// Why the plan does not fit the state it would be applied to: checked before anything is
/// observed, so a plan from another cluster is refused without touching the network.
pub fn state_reasons(plan: &Plan, state: Option<&State>) -> Vec<String> {
    let mut reasons = Vec::new();
    let current = state.map(|state| StateRef {
        lineage: state.lineage.clone(),
        serial: state.serial,
    });
    match (&plan.state, &current) {
        (Some(planned), Some(now)) if planned.lineage != now.lineage => reasons.push(format!(
            "the state belongs to another cluster or was replaced (lineage {} in the plan, {} now)",
            planned.lineage, now.lineage
        )),
        (Some(planned), Some(now)) if planned.serial != now.serial => reasons.push(format!(
            "the state moved on since the plan (serial {} then, {} now)",
            planned.serial, now.serial
        )),
        (None, Some(now)) => reasons.push(format!(
            "the plan was made without the state (lineage {}); plan again with this kfscale.yaml",
            now.lineage
        )),
        (Some(_), None) => reasons.push("the plan names a state that is gone".into()),
        _ => {}
    }
    reasons
}

/// Which planning settings of kfscale.yaml differ from those the plan was made with, one line per
/// key (`partition_growth.streams.logs: 1.5 in the plan, 2 now`): a plan made now would size the
/// partitions differently. (`--expected-growth` is the plan's own input: apply takes none with a
/// plan file.)
pub fn settings_reasons(plan: &Plan, now: &Config) -> Vec<String> {
    plan.expected_growth.settings.differences(&now.partition_growth)
}

/// For each observed system, the first step of the runbook that changes it on purpose. Until that
/// step has started, the system should look exactly as it did when the plan was made.
const FIRST_STEP_TO_CHANGE: [(&str, StepName); 6] = [
    ("helm", StepName::HelmUpgrade),
    // The brokers restart from broker_volumes on (their StatefulSet is re-created).
    ("kafka", StepName::BrokerVolumes),
    // New nodes are the first thing an apply does.
    ("kubernetes", StepName::NodePool),
    ("node_pool", StepName::NodePool),
    // New servers join with the helm upgrade.
    ("pinot", StepName::HelmUpgrade),
    ("values", StepName::ValuesFile),
];

/// Why an unfinished run must not resume as planned: a system whose first step has not started
/// yet changed since the plan (a colleague resized the pool, edited the values file, upgraded the
/// release...). The steps that already ran changed their systems on purpose and are not judged.
pub fn resume_reasons(run: &ApplyRun, now: &Fingerprints) -> Vec<String> {
    let not_started = |step: StepName| {
        run.steps
            .iter()
            .find(|record| record.name == step)
            .is_none_or(|record| record.status == StepStatus::Pending)
    };
    let changed = run.plan.fingerprints.changed_in(now);
    FIRST_STEP_TO_CHANGE
        .iter()
        .filter(|(system, step)| changed.contains(system) && not_started(*step))
        .map(|(system, step)| {
            format!("{system} changed since the plan was made, before its first step ({step}) started")
        })
        .collect()
}
