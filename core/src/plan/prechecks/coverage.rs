//! Every live Deployment and StatefulSet with replicas is scaled or kept on purpose: one the plan
//! does not cover would stay at its size on a bigger cluster, unnoticed.
use super::{Inputs, PreCheck, pass, warn};
use crate::plan::workload_fates::{BY_DEFAULT_RULE, Fate};

pub(super) fn workloads_covered(i: &Inputs) -> PreCheck {
    let id = "workloads-covered";
    let fates = &i.values.workload_fates;
    let uncovered: Vec<(&str, &str, &str)> = fates
        .iter()
        .filter_map(|fate| match &fate.fate {
            Fate::NotCovered { why, fix } => Some((fate.workload.as_str(), why.as_str(), fix.as_str())),
            _ => None,
        })
        .collect();
    if uncovered.is_empty() {
        let by_default = fates
            .iter()
            .filter(|fate| matches!(&fate.fate, Fate::Scaled { by, .. } if by == BY_DEFAULT_RULE))
            .count();
        return pass(
            id,
            format!(
                "all {} Deployments and StatefulSets with replicas are scaled or kept ({by_default} by the default rule)",
                fates.len()
            ),
        );
    }
    let named: Vec<String> = uncovered
        .iter()
        .map(|(name, why, _)| format!("{name} ({why})"))
        .collect();
    let fixes: Vec<&str> = uncovered.iter().map(|(_, _, fix)| *fix).collect();
    warn(
        id,
        format!("not scaled by this plan: {}", named.join("; ")),
        fixes.join("; "),
    )
}
