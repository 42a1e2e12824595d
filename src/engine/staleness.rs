//! A stale plan is refused: the world it was made for (per-system fingerprints) or the state it was
//! made against (lineage, serial) has moved on.
use crate::plan::{Plan, StateRef};
use crate::snapshot::Fingerprints;
use crate::state::State;

/// Why the plan is stale, one line per reason; empty when it is current.
pub fn stale_reasons(plan: &Plan, now: &Fingerprints, state: Option<&State>) -> Vec<String> {
    let mut reasons = Vec::new();
    for (system, planned) in &plan.fingerprints {
        match now.get(system) {
            Some(current) if current == planned => {}
            Some(_) => reasons.push(format!("{system} changed since the plan was made")),
            None => reasons.push(format!("{system} could not be observed now")),
        }
    }
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
