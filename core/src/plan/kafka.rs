//! Kafka: the brokers after the change, the partitions the chart will create, and a balanced,
//! minimal-movement reassignment of every non-internal topic onto the new broker set.
use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
use super::broker_ids::{BrokerIds, snapshot_broker_ids};
use super::broker_volumes::{VolumeResize, broker_volumes_to_grow};
use super::planned_partitions::PlannedPartitions;
use super::values_scaling::ValuesPlan;
use crate::balance::{BalanceResult, Broker, balance_partitions};
use crate::profile::Profile;
use crate::snapshot::{Snapshot, Throttles};
use crate::values::Document;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaPlan {
    pub brokers_before: Vec<i32>,
    pub brokers_after: Vec<i32>,
    /// Partitions that will be created (topic growth and new topics); no data is copied for them.
    pub partitions_created: u64,
    /// None when Kafka was not observed (no brokers in the snapshot).
    pub reassignment: Option<BalanceResult>,
    /// Existing broker volumes that grow to the new disk size.
    pub volumes: Vec<VolumeResize>,
    pub notes: Vec<String>,
    /// Replication throttles already set when the plan was made (the customer's): the apply leaves
    /// them as they were, and validate does not count them as left behind.
    #[serde(default, skip_serializing_if = "Throttles::is_empty")]
    pub throttles_before: Throttles,
}

impl KafkaPlan {
    pub fn new_brokers(&self) -> Vec<i32> {
        let before: BTreeSet<i32> = self.brokers_before.iter().copied().collect();
        self.brokers_after
            .iter()
            .copied()
            .filter(|id| !before.contains(id))
            .collect()
    }
}

pub fn plan_kafka(
    snapshot: &Snapshot,
    profile: &Profile,
    document: &Document,
    values: &ValuesPlan,
) -> Result<KafkaPlan, PlanError> {
    let kafka = &snapshot.kafka;
    let mut notes = Vec::new();
    let (ids, declared) = snapshot_broker_ids(snapshot, profile, document);
    // Unobserved, a declared base (values file, profile) names the brokers; with none, the ids
    // are not known and the plan lists none. Never a guessed base.
    let declared_ids = |count: u64| -> Option<Vec<i32>> {
        let base = declared.first()?.base;
        (0..count)
            .map(|o| i32::try_from(i128::from(base) + i128::from(o)).ok())
            .collect()
    };
    let count = values.replicas(&profile.kafka.broker_workload);
    let brokers_before: Vec<i32> = match (&ids, count) {
        (BrokerIds::Unobserved, Some(count)) => declared_ids(count.before).unwrap_or_default(),
        _ => kafka
            .brokers
            .iter()
            .map(|broker| broker.id)
            .collect::<BTreeSet<i32>>()
            .into_iter()
            .collect(),
    };
    let mut after: BTreeSet<i32> = brokers_before.iter().copied().collect();
    match count {
        Some(count) => match &ids {
            BrokerIds::Affine { .. } => after.extend(ids.ids(count.after).unwrap_or_default()),
            BrokerIds::Unobserved => match declared_ids(count.after) {
                Some(all) => after.extend(all),
                None if count.after > count.before => notes.push(format!(
                    "Kafka was not observed and no broker id base is declared: the ids of the {} new broker(s) are not known",
                    count.after - count.before
                )),
                None => {}
            },
            BrokerIds::Ambiguous { .. } => notes.push(
                "the ids of new brokers cannot be read from the live brokers (pre-check broker-ids): no new broker is planned".into(),
            ),
        },
        None => notes.push(format!(
            "the broker count (`{}`) is not in the values file: no brokers are added",
            profile
                .workloads
                .get(&profile.kafka.broker_workload)
                .map(|rule| rule.path.to_string())
                .unwrap_or_default()
        )),
    }
    let brokers_after: Vec<i32> = after.into_iter().collect();

    let (partitions, partitions_created) = partitions_after(snapshot, profile, values);
    let volumes = broker_volumes_to_grow(snapshot, profile, values);
    if kafka.brokers.is_empty() {
        notes.push("Kafka was not observed (no brokers in the snapshot): no reassignment is planned".into());
        let partitions_created = values
            .topics
            .iter()
            .map(|t| t.partitions_after - t.partitions_before)
            .sum();
        return Ok(KafkaPlan {
            brokers_before,
            brokers_after,
            partitions_created,
            reassignment: None,
            volumes,
            notes,
            throttles_before: kafka.throttles.clone(),
        });
    }
    let racks: BTreeMap<i32, String> = kafka
        .brokers
        .iter()
        .filter_map(|broker| broker.rack.clone().map(|rack| (broker.id, rack)))
        .collect();
    let all_racks_known = brokers_after.iter().all(|id| racks.contains_key(id));
    if !racks.is_empty() && !all_racks_known {
        notes.push(
            "the racks of the new brokers are not known until they start: this plan ignores racks; apply recomputes the assignment from the live cluster, racks included".into(),
        );
    }
    let brokers: Vec<Broker> = brokers_after
        .iter()
        .map(|id| Broker {
            id: *id,
            rack: if all_racks_known { racks.get(id).cloned() } else { None },
        })
        .collect();
    let result = balance_partitions(&partitions, &brokers)?;
    notes.extend(result.notes.iter().cloned());
    Ok(KafkaPlan {
        brokers_before,
        brokers_after,
        partitions_created,
        reassignment: Some(result),
        volumes,
        notes,
        throttles_before: kafka.throttles.clone(),
    })
}

/// Every non-internal partition as it is now (read in place), plus the partitions the topic list
/// will add.
fn partitions_after<'a>(
    snapshot: &'a Snapshot,
    profile: &Profile,
    values: &'a ValuesPlan,
) -> (PlannedPartitions<'a>, u64) {
    let internal: BTreeSet<&str> = profile.kafka.internal_topics.iter().map(String::as_str).collect();
    let mut partitions = PlannedPartitions::default();
    let mut created = 0;
    for topic in snapshot
        .kafka
        .topics
        .iter()
        .filter(|topic| !topic.internal && !internal.contains(topic.name.as_str()))
    {
        partitions.push_live(&topic.name, &topic.partitions);
    }
    for growth in &values.topics {
        if internal.contains(growth.topic.as_str()) {
            continue;
        }
        let live = snapshot.kafka.topic(&growth.topic);
        let existing = live.map_or(0, |topic| topic.partitions.len() as u64);
        let replication_factor = live
            .and_then(|topic| topic.partitions.first())
            .map_or(growth.replication_factor as usize, |partition| partition.replicas.len());
        let count = growth.partitions_after.saturating_sub(existing);
        created += count;
        partitions.push_created(&growth.topic, existing, count as usize, replication_factor);
    }
    (partitions, created)
}
