//! Every live workload accounted for: each Deployment and StatefulSet of the release with
//! replicas says what the scale-out does to it. The profile's workloads follow their rule; the
//! runbook says "for all other services increase the number of replicas", so a workload the
//! profile does not name takes the scale rule when its replica count sits where the chart keeps
//! it (`<component>.replicaCount`, in the file or the chart's defaults); any other is named by a
//! warning pre-check with the profile entry that covers it.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::effective_values::EffectiveValues;
use super::values_scaling::ReplicaCount;
use crate::profile::{Profile, Rule, WorkloadRule};
use crate::snapshot::WorkloadKind;
use crate::values::{Document, ValuePath, ValuesError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFate {
    pub workload: String,
    pub kind: WorkloadKind,
    /// spec.replicas in the cluster now.
    pub live_replicas: u32,
    pub fate: Fate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "fate", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fate {
    /// Scaled by the replica rule (`by`: the profile, or the default rule for a workload it does not name).
    Scaled {
        path: ValuePath,
        before: u64,
        after: u64,
        by: String,
    },
    /// Kept at its count (a quorum or a singleton).
    Fixed { path: ValuePath, count: u64, why: String },
    /// Nothing in the plan resizes it: why, and the profile entry that would.
    NotCovered { why: String, fix: String },
}

/// Where a replica rule came from.
pub const BY_PROFILE: &str = "the profile";
pub const BY_DEFAULT_RULE: &str = "the default rule (the runbook scales all other services)";

/// A live workload with replicas, as the planner needs it.
#[derive(Debug, Clone)]
pub struct LiveWorkload {
    pub kind: WorkloadKind,
    pub replicas: u32,
}

/// The replica rules the plan follows: the profile's, then the default rule for each live
/// Deployment or StatefulSet the profile does not name whose `<name>.replicaCount` (or the name
/// without the release's prefix) holds a count in the file or the chart's defaults.
pub fn replica_rules(
    profile: &Profile,
    live: &BTreeMap<String, LiveWorkload>,
    release: &str,
    effective: &EffectiveValues,
    document: &Document,
) -> Result<Vec<(String, WorkloadRule, &'static str)>, ValuesError> {
    let mut rules: Vec<(String, WorkloadRule, &'static str)> = profile
        .workloads
        .iter()
        .map(|(name, rule)| (name.clone(), rule.clone(), BY_PROFILE))
        .collect();
    for (name, workload) in live {
        if profile.workloads.contains_key(name) || !scalable(workload) {
            continue;
        }
        for path in convention_paths(name, release) {
            if effective.count(document, &path)?.is_some() {
                rules.push((
                    name.clone(),
                    WorkloadRule {
                        path,
                        rule: Rule::Scale,
                    },
                    BY_DEFAULT_RULE,
                ));
                break;
            }
        }
    }
    Ok(rules)
}

/// Where the chart keeps a component's replica count: `<component>.replicaCount`, the component
/// being the workload's name, or that name without the release's `<release>-` prefix.
pub fn convention_paths(name: &str, release: &str) -> Vec<ValuePath> {
    let mut components = vec![name];
    if let Some(stripped) = name
        .strip_prefix(&format!("{release}-"))
        .filter(|rest| !rest.is_empty())
    {
        components.push(stripped);
    }
    components
        .into_iter()
        .filter_map(|component| ValuePath::parse(component).ok())
        .map(|path| path.child_key("replicaCount"))
        .collect()
}

fn scalable(workload: &LiveWorkload) -> bool {
    workload.replicas > 0 && matches!(workload.kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet)
}

/// The fate of each live Deployment and StatefulSet with replicas, in name order.
pub fn fates(
    live: &BTreeMap<String, LiveWorkload>,
    rules: &[(String, WorkloadRule, &'static str)],
    counts: &BTreeMap<String, ReplicaCount>,
    release: &str,
) -> Vec<WorkloadFate> {
    live.iter()
        .filter(|(_, workload)| scalable(workload))
        .map(|(name, workload)| {
            let rule = rules.iter().find(|(rule_name, ..)| rule_name == name);
            let fate = match (rule, counts.get(name)) {
                (Some((_, rule, by)), Some(count)) => match rule.rule {
                    Rule::Scale => Fate::Scaled {
                        path: rule.path.clone(),
                        before: count.before,
                        after: count.after,
                        by: (*by).to_string(),
                    },
                    Rule::Fixed(fixed) => Fate::Fixed {
                        path: rule.path.clone(),
                        count: count.after,
                        why: format!("the profile keeps it at {fixed} (a quorum or a singleton)"),
                    },
                },
                (Some((_, rule, _)), None) => Fate::NotCovered {
                    why: format!(
                        "its replica count `{}` is in neither the values file nor the chart's defaults",
                        rule.path
                    ),
                    fix: format!(
                        "correct its path in kfscale.yaml (profile.workloads.{name}.path) to where the chart keeps its replica count"
                    ),
                },
                (None, _) => {
                    let tried: Vec<String> = convention_paths(name, release)
                        .iter()
                        .map(|path| format!("`{path}`"))
                        .collect();
                    Fate::NotCovered {
                        why: format!(
                            "the profile does not name it and no replica count is at {} in the values file or the chart's defaults",
                            tried.join(" or ")
                        ),
                        fix: format!(
                            "add it to kfscale.yaml: profile.workloads.{name}: {{path: <its replicaCount path>, rule: scale}} (or rule: {{fixed: {}}} to keep it)",
                            workload.replicas
                        ),
                    }
                }
            };
            WorkloadFate {
                workload: name.clone(),
                kind: workload.kind,
                live_replicas: workload.replicas,
                fate,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_convention_tries_the_name_and_the_name_without_the_release() {
        let paths: Vec<String> = convention_paths("kfuse-rum-ingester", "kfuse")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(paths, ["kfuse-rum-ingester.replicaCount", "rum-ingester.replicaCount"]);
        assert_eq!(convention_paths("kfuse", "kfuse").len(), 1);
    }
}
