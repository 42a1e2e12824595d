//! The new values file: replicas scaled by (n+m)/n, quorums and singletons kept, Kafka partitions
//! grown, the broker disk sized, `global.numNodes` set. Every change carries its reason; a path the
//! profile names but the file lacks is reported, never added.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
use super::expected_growth::ExpectedGrowth;
use super::ratio::scale_up;
use super::values_reader::read_count;
use super::values_topics::{TopicChanges, TopicGrowth, plan_disk, plan_topics};
use crate::profile::{Profile, Rule};
use crate::snapshot::Snapshot;
use crate::values::quantity::parse_bytes;
use crate::values::secrets::redacted_text;
use crate::values::{Document, ScalarEdit, ValuePath, ValuesError, apply_edits};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValuesPlan {
    pub path: String,
    /// SHA-256 of the file the plan was made from: apply edits exactly that file.
    pub before_sha256: String,
    /// In file order.
    pub changes: Vec<ValueChange>,
    pub missing: Vec<MissingValue>,
    /// Decisions that changed nothing but deserve a line (a disk that already fits, a quorum left alone).
    pub notes: Vec<String>,
    /// Unified diff of the file, secrets shown as `(sensitive)`.
    pub diff: String,
    /// Replicas of every workload the file names, before and after.
    pub workloads: BTreeMap<String, ReplicaCount>,
    pub topics: Vec<TopicGrowth>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicaCount {
    pub before: u64,
    pub after: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueChange {
    pub path: ValuePath,
    pub line: usize,
    pub old: String,
    pub new: String,
    /// scale, partitions, disk, num_nodes.
    pub rule: String,
    /// The arithmetic, e.g. `3 × 9/6 = 4.5 → rounded up to 5`.
    pub reason: String,
    /// The workload or topic this value belongs to.
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingValue {
    pub subject: String,
    pub path: ValuePath,
    pub consequence: String,
}

/// Facts from the live systems that bound the values (none when scaling a file on its own).
#[derive(Debug, Default)]
pub struct LiveFacts {
    /// Topic -> partitions Kafka has now: the file must never ask for fewer.
    pub kafka_partitions: BTreeMap<String, u64>,
    /// The largest broker volume now: the file's size must never be smaller (a PVC only grows).
    pub broker_volume_bytes: Option<u64>,
}

impl ValuesPlan {
    pub fn replicas(&self, workload: &str) -> Option<ReplicaCount> {
        self.workloads.get(workload).copied()
    }

    pub fn edits(&self) -> Vec<ScalarEdit> {
        self.changes
            .iter()
            .map(|change| ScalarEdit {
                path: change.path.clone(),
                new_value: change.new.clone(),
            })
            .collect()
    }

    /// The planned file: exactly the planned edits on `text`, the real bytes of the file the plan
    /// was made from (`shown` names it in errors). The one place the planned file is made: the
    /// apply writes it, a proposal commits it, the review gate compares the branch with it.
    pub fn apply_to(&self, shown: &str, text: &str) -> Result<String, ValuesError> {
        apply_edits(&Document::parse(shown, text)?, text, &self.edits())
    }
}

/// `document` is the parse of the snapshot's values text.
pub fn plan_values(
    snapshot: &Snapshot,
    document: &Document,
    profile: &Profile,
    from: u32,
    to: u32,
    growth: &ExpectedGrowth,
) -> Result<ValuesPlan, PlanError> {
    let live = live_facts(snapshot, profile);
    let nodes = Nodes { from, to };
    let (plan, _) = scale_values(document, &snapshot.values.text, profile, nodes, growth, &live)?;
    Ok(ValuesPlan {
        before_sha256: snapshot.values.sha256.clone(),
        ..plan
    })
}

/// The node count before and after the scale-out.
#[derive(Debug, Clone, Copy)]
struct Nodes {
    from: u32,
    to: u32,
}

/// `kfscale scale-values`: the new text and the plan, from a file alone.
pub fn scale_values_text(
    file: &str,
    text: &str,
    profile: &Profile,
    from: u32,
    to: u32,
    growth: &ExpectedGrowth,
) -> Result<(ValuesPlan, String), PlanError> {
    if from == 0 || to == 0 {
        return Err(PlanError::Impossible {
            message: format!("node counts must be at least 1 (got --from-nodes {from} --to-nodes {to})"),
            fix: "give the node count now and after the scale-out".into(),
        });
    }
    if to < from {
        return Err(PlanError::Impossible {
            message: format!("--to-nodes {to} is fewer than --from-nodes {from}; kfscale only scales out"),
            fix: format!("give --to-nodes of at least {from}"),
        });
    }
    if text.trim().is_empty() {
        return Err(PlanError::Impossible {
            message: format!("{file} is empty: there are no values to scale"),
            fix: "give the customer's values file (the one `helm upgrade -f` uses)".into(),
        });
    }
    let document = Document::parse(file, text)?;
    // The file's own node count must be the one the scale-out starts from, else every ratio is off.
    if let Some(path) = &profile.num_nodes_path
        && let Some((current, scalar)) = super::values_reader::read_count(&document, path)?
        && current != u64::from(from)
    {
        return Err(PlanError::Impossible {
            message: format!(
                "{file}:{}: `{path}` is {current}, but --from-nodes says {from}",
                scalar.line
            ),
            fix: format!(
                "give --from-nodes {current} (the file's node count), or the values file of the cluster that has {from} nodes"
            ),
        });
    }
    let nodes = Nodes { from, to };
    let (plan, new_text) = scale_values(&document, text, profile, nodes, growth, &LiveFacts::default())?;
    // A file in which no workload of the profile is found is not a values file of this chart (a
    // snapshot, a plan, another chart's values): "0 changes" would pass it off as already scaled.
    if plan.workloads.is_empty() {
        let paths: Vec<String> = profile
            .workloads
            .values()
            .map(|rule| rule.path.to_string())
            .take(3)
            .collect();
        return Err(PlanError::Impossible {
            message: format!(
                "{file}: no workload of profile `{}` is in this file (looked for {}, ...): it is not a Kloudfuse values file",
                profile.name,
                paths.join(", ")
            ),
            fix: "give the customer's values file (the one `helm upgrade -f` uses), or the profile that matches its chart (--profile)".into(),
        });
    }
    Ok((
        ValuesPlan {
            before_sha256: crate::snapshot::sha256_hex(text.as_bytes()),
            ..plan
        },
        new_text,
    ))
}

fn scale_values(
    document: &Document,
    text: &str,
    profile: &Profile,
    nodes: Nodes,
    growth: &ExpectedGrowth,
    live: &LiveFacts,
) -> Result<(ValuesPlan, String), PlanError> {
    let file = document.file.as_str();
    let mut changes = Vec::new();
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    let (from, to) = (u64::from(nodes.from), u64::from(nodes.to));

    let mut workloads = BTreeMap::new();
    for (workload, rule) in &profile.workloads {
        let Some((current, scalar)) = read_count(document, &rule.path)? else {
            missing.push(MissingValue {
                subject: workload.clone(),
                path: rule.path.clone(),
                consequence: "not in the file: the workload runs with the chart's default; kfscale does not add it"
                    .into(),
            });
            continue;
        };
        let target = match rule.rule {
            Rule::Scale => {
                let (target, reason) = scale_up(current, from, to);
                if target != current {
                    changes.push(change(
                        &rule.path,
                        scalar.line,
                        current,
                        target,
                        "scale",
                        &reason,
                        workload,
                    ));
                }
                target
            }
            Rule::Fixed(fixed) => {
                if current != u64::from(fixed) {
                    notes.push(format!(
                        "{workload}: `{}` is {current}, the profile keeps it at {fixed}: left unchanged (kfscale never resizes a quorum or a singleton); check it",
                        rule.path
                    ));
                }
                current
            }
        };
        workloads.insert(
            workload.clone(),
            ReplicaCount {
                before: current,
                after: target,
            },
        );
    }

    let mut topic_changes = TopicChanges {
        changes: &mut changes,
        missing: &mut missing,
        notes: &mut notes,
    };
    let topics = plan_topics(document, profile, (from, to), growth, live, &mut topic_changes)?;
    let brokers = workloads.get(&profile.kafka.broker_workload).copied();
    plan_disk(
        document,
        profile,
        brokers,
        &topics,
        live,
        &mut changes,
        &mut missing,
        &mut notes,
    )?;

    if let Some(path) = &profile.num_nodes_path {
        match read_count(document, path)? {
            Some((current, scalar)) if current != to => {
                let reason = format!("the node count the chart validates against: {to}");
                changes.push(change(path, scalar.line, current, to, "num_nodes", &reason, "global"));
            }
            Some(_) => {}
            None => missing.push(MissingValue {
                subject: "global".into(),
                path: path.clone(),
                consequence: "not in the file: kfscale does not add it".into(),
            }),
        }
    }

    changes.sort_by(|a, b| (a.line, &a.path).cmp(&(b.line, &b.path)));
    let edits: Vec<ScalarEdit> = changes
        .iter()
        .map(|c| ScalarEdit {
            path: c.path.clone(),
            new_value: c.new.clone(),
        })
        .collect();
    let new_text = apply_edits(document, text, &edits)?;
    let diff = display_diff(file, document, text, &new_text)?;
    // The change list keeps its numbers even under a secret-looking key: kfscale writes only
    // counts and sizes (never secrets), and apply needs the exact values. The diff is redacted.
    let plan = ValuesPlan {
        path: file.to_string(),
        before_sha256: String::new(),
        changes,
        missing,
        notes,
        diff,
        workloads,
        topics,
    };
    Ok((plan, new_text))
}

fn change(path: &ValuePath, line: usize, old: u64, new: u64, rule: &str, reason: &str, subject: &str) -> ValueChange {
    ValueChange {
        path: path.clone(),
        line,
        old: old.to_string(),
        new: new.to_string(),
        rule: rule.into(),
        reason: reason.into(),
        subject: subject.into(),
    }
}

fn display_diff(file: &str, before: &Document, text: &str, new_text: &str) -> Result<String, ValuesError> {
    let after = Document::parse(file, new_text)?;
    let old = redacted_text(before, text);
    let new = redacted_text(&after, new_text);
    let diff = similar::TextDiff::from_lines(&old, &new);
    Ok(diff
        .unified_diff()
        .context_radius(2)
        .header(file, &format!("{file} (planned)"))
        .to_string())
}

fn live_facts(snapshot: &Snapshot, profile: &Profile) -> LiveFacts {
    let kafka_partitions = snapshot
        .kafka
        .topics
        .iter()
        .map(|topic| (topic.name.clone(), topic.partitions.len() as u64))
        .collect();
    let broker_prefix = format!("-{}-", profile.kafka.broker_workload);
    let broker_volume_bytes = snapshot
        .kubernetes
        .pvcs
        .iter()
        .filter(|pvc| pvc.name.contains(&broker_prefix))
        .filter_map(|pvc| parse_bytes(pvc.capacity.as_deref().unwrap_or(&pvc.requested)).ok())
        .max();
    LiveFacts {
        kafka_partitions,
        broker_volume_bytes,
    }
}
