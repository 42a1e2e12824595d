//! The new values file: replicas scaled by (n+m)/n, quorums and singletons kept, Kafka partitions
//! grown, the broker disk sized, `global.numNodes` set. Every change carries its reason. Counts are
//! read from the effective values (the chart's defaults with the file on top): a key the file
//! leaves out is added with its scaled value (`+`); one in neither is reported (`?`).
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
use super::effective_values::{EffectiveValues, Found};
use super::expected_growth::ExpectedGrowth;
use super::ratio::scale_up;
use super::values_topics::{TopicChanges, TopicGrowth, plan_disk, plan_topics};
use super::workload_fates::{LiveWorkload, WorkloadFate, fates, replica_rules};
use crate::profile::{Profile, Rule};
use crate::snapshot::Snapshot;
use crate::values::quantity::parse_bytes;
use crate::values::secrets::redacted_text;
use crate::values::{Document, InsertValue, KeyInsert, ScalarEdit, ValuePath, ValuesError, apply_edits, insert_keys};

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
    /// Every live Deployment and StatefulSet with replicas: scaled (by which rule), fixed (why), or
    /// not covered. Empty when planned from a file alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workload_fates: Vec<WorkloadFate>,
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
    /// The file lacks the key (its value is the chart's default, `old`): the change adds it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub added: bool,
    /// A list the change adds whole (`added`), each item a flow mapping; `new` shows them as one
    /// flow list. Empty for a scalar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub list_items: Vec<String>,
}

impl ValueChange {
    /// Whether `document` already holds the new value (a resumed apply after the file was written).
    pub fn is_in(&self, document: &Document) -> bool {
        if self.list_items.is_empty() {
            crate::values::editable_scalar(document, &self.path).is_ok_and(|scalar| scalar.value == self.new)
        } else {
            crate::values::holds_list(document, &self.path, &self.list_items)
        }
    }
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
    /// The Deployments, StatefulSets and DaemonSets in the cluster, by name.
    pub workloads: BTreeMap<String, LiveWorkload>,
    /// The Helm release's name (workloads are often named `<release>-<component>`).
    pub release: String,
    /// The release namespace's volume claims.
    pub pvcs: Vec<crate::snapshot::PersistentVolumeClaim>,
}

impl ValuesPlan {
    pub fn replicas(&self, workload: &str) -> Option<ReplicaCount> {
        self.workloads.get(workload).copied()
    }

    /// The planned file: exactly the planned edits on `text`, the real bytes of the file the plan
    /// was made from (`shown` names it in errors). The one place the planned file is made: the
    /// apply writes it, a proposal commits it, the review gate compares the branch with it.
    pub fn apply_to(&self, shown: &str, text: &str) -> Result<String, ValuesError> {
        planned_text(&Document::parse(shown, text)?, text, &self.changes)
    }
}

/// Values the file has are changed in place; keys it lacks are then added, in plan order.
fn planned_text(document: &Document, text: &str, changes: &[ValueChange]) -> Result<String, ValuesError> {
    let edits: Vec<ScalarEdit> = changes
        .iter()
        .filter(|change| !change.added)
        .map(|change| ScalarEdit {
            path: change.path.clone(),
            new_value: change.new.clone(),
        })
        .collect();
    let inserts: Vec<KeyInsert> = changes
        .iter()
        .filter(|change| change.added)
        .map(|change| KeyInsert {
            path: change.path.clone(),
            new_value: if change.list_items.is_empty() {
                InsertValue::Scalar(change.new.clone())
            } else {
                InsertValue::List(change.list_items.clone())
            },
        })
        .collect();
    let edited = apply_edits(document, text, &edits)?;
    if inserts.is_empty() {
        return Ok(edited);
    }
    insert_keys(&Document::parse(&document.file, &edited)?, &edited, &inserts)
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
    let effective = EffectiveValues::new(&snapshot.helm.chart_values, document);
    let (plan, _) = scale_values(
        document,
        &snapshot.values.text,
        profile,
        nodes,
        growth,
        &live,
        &effective,
    )?;
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
    let effective = EffectiveValues::new(&serde_json::Value::Null, &document);
    let (plan, new_text) = scale_values(
        &document,
        text,
        profile,
        nodes,
        growth,
        &LiveFacts::default(),
        &effective,
    )?;
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
    effective: &EffectiveValues,
) -> Result<(ValuesPlan, String), PlanError> {
    let file = document.file.as_str();
    let mut changes = Vec::new();
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    let (from, to) = (u64::from(nodes.from), u64::from(nodes.to));

    let mut workloads = BTreeMap::new();
    let rules = replica_rules(profile, &live.workloads, &live.release, effective, document)?;
    for (workload, rule, by) in &rules {
        let read = match effective.count(document, &rule.path)? {
            Some(found) => Some(found),
            // The release record keeps the parent chart's defaults only: a sub-chart's own default
            // is not in it. The live count is what the workload runs with; the profile vouches for the path.
            None => live
                .workloads
                .get(workload)
                .filter(|w| w.replicas > 0 && *by == super::workload_fates::BY_PROFILE)
                .map(|w| {
                    notes.push(format!(
                        "{workload}: `{}` is in neither the file nor the chart's recorded defaults; the cluster runs {} replica(s), taken as the count now",
                        rule.path, w.replicas
                    ));
                    (u64::from(w.replicas), Found::ChartDefault)
                }),
        };
        let Some((current, found)) = read else {
            missing.push(MissingValue {
                subject: workload.clone(),
                path: rule.path.clone(),
                consequence: if effective.defaults_known {
                    "in neither the file nor the chart's defaults, and not running: kfscale does not add it".into()
                } else {
                    "not in the file and the chart's defaults are unknown: kfscale does not add it".into()
                },
            });
            continue;
        };
        let target = match rule.rule {
            Rule::Scale => {
                let (target, reason) = scale_up(current, from, to);
                if target != current {
                    let reason = if *by == super::workload_fates::BY_PROFILE {
                        reason
                    } else {
                        format!("{reason} ({by})")
                    };
                    changes.push(placed(
                        change(&rule.path, 0, current, target, "scale", &reason, workload),
                        found,
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
    let topics = plan_topics(
        document,
        effective,
        profile,
        (from, to),
        growth,
        live,
        &mut topic_changes,
    )?;
    let brokers = workloads.get(&profile.kafka.broker_workload).copied();
    plan_disk(
        document,
        effective,
        profile,
        brokers,
        &topics,
        live,
        &mut changes,
        &mut missing,
        &mut notes,
    )?;

    let pvcs = &live.pvcs;
    super::volume_drift::plan_volume_drift(document, effective, &profile.volumes, pvcs, &mut changes, &mut notes)?;

    if let Some(path) = &profile.num_nodes_path {
        match effective.count(document, path)? {
            Some((current, found)) if current != to => {
                let reason = format!("the node count the chart validates against: {to}");
                changes.push(placed(
                    change(path, 0, current, to, "num_nodes", &reason, "global"),
                    found,
                ));
            }
            Some(_) => {}
            None => missing.push(MissingValue {
                subject: "global".into(),
                path: path.clone(),
                consequence: "not in the file: kfscale does not add it".into(),
            }),
        }
    }

    // The file's own values in file order, then the keys added, by path.
    changes.sort_by(|a, b| (a.added, a.line, &a.path).cmp(&(b.added, b.line, &b.path)));
    let new_text = planned_text(document, text, &changes)?;
    let workload_fates = fates(&live.workloads, &rules, &workloads, &live.release);
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
        workload_fates,
    };
    Ok((plan, new_text))
}

/// A change of a value the file has keeps its line; one of a key the file lacks is an addition.
fn placed(mut change: ValueChange, found: Found<'_>) -> ValueChange {
    match found {
        Found::File(scalar) => change.line = scalar.line,
        Found::ChartDefault => change.added = true,
    }
    change
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
        added: false,
        list_items: Vec::new(),
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
    // Only the release's own workloads are the plan's to account for: another release or a
    // hand-made Deployment in the namespace is none of kfscale's business.
    let release = &snapshot.helm.name;
    let workloads = snapshot
        .kubernetes
        .workloads
        .iter()
        .filter(|workload| workload.helm_release.as_ref().is_none_or(|owner| owner == release))
        .map(|workload| {
            let live = LiveWorkload {
                kind: workload.kind,
                replicas: workload.replicas,
            };
            (workload.name.clone(), live)
        })
        .collect();
    LiveFacts {
        kafka_partitions,
        broker_volume_bytes,
        workloads,
        release: snapshot.helm.name.clone(),
        pvcs: snapshot.kubernetes.pvcs.clone(),
    }
}
