//! Kafka in the values file: topic partitions grow (never shrink) and the broker disk is sized to
//! the 10 GB-per-partition-replica rule for its share (never shrinks).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ratio::{scale_by_factor, scale_up};
use super::values_reader::{read_count, read_scalar, read_topics};
use super::values_scaling::{LiveFacts, MissingValue, ReplicaCount, ValueChange};
use crate::profile::Profile;
use crate::values::quantity::{format_gib_ceil, human_bytes, parse_bytes};
use crate::values::{Document, ValuesError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicGrowth {
    pub topic: String,
    /// Partitions the values file asks for now.
    pub partitions_before: u64,
    /// Partitions Kafka has now, when observed.
    pub live_partitions: Option<u64>,
    pub partitions_after: u64,
    pub replication_factor: u64,
}

impl TopicGrowth {
    /// The partitions the topic has now: Kafka's count when observed, else the values file's.
    pub fn partitions_now(&self) -> u64 {
        self.live_partitions.unwrap_or(self.partitions_before)
    }

    /// Whether the scale-out creates partitions in this topic.
    pub fn grows(&self) -> bool {
        self.partitions_after > self.partitions_now()
    }

    /// The partitions the scale-out creates (none when the topic does not grow).
    pub fn partitions_created(&self) -> u64 {
        self.partitions_after.saturating_sub(self.partitions_now())
    }
}

pub fn plan_topics(
    document: &Document,
    profile: &Profile,
    from: u64,
    to: u64,
    live: &LiveFacts,
    changes: &mut Vec<ValueChange>,
    missing: &mut Vec<MissingValue>,
) -> Result<Vec<TopicGrowth>, ValuesError> {
    let path = &profile.kafka.topics_path;
    let Some(items) = read_topics(document, path)? else {
        missing.push(MissingValue {
            subject: "kafka topics".into(),
            path: path.clone(),
            consequence: "no topic list: partitions stay as they are; set kafka.topics_path in the profile if the list lives elsewhere".into(),
        });
        return Ok(Vec::new());
    };
    let mut topics = Vec::with_capacity(items.len());
    for item in items {
        // A fixed factor applies to a growth only: planning the size the pool already has must
        // change nothing (`--nodes N` is declarative; a second plan says "No changes").
        let (scaled, mut reason) = match profile.kafka.partition_factor {
            Some(factor) if to > from => scale_by_factor(item.partitions, factor),
            _ => scale_up(item.partitions, from, to),
        };
        let live_partitions = live.kafka_partitions.get(&item.name).copied();
        let mut target = scaled.max(item.partitions);
        if let Some(live_count) = live_partitions.filter(|count| *count > target) {
            reason = format!("{reason}; Kafka already has {live_count}, and partitions never decrease");
            target = live_count;
        }
        if target != item.partitions {
            let line = read_count(document, &item.partitions_path)?.map_or(0, |(_, scalar)| scalar.line);
            changes.push(ValueChange {
                path: item.partitions_path.clone(),
                line,
                old: item.partitions.to_string(),
                new: target.to_string(),
                rule: "partitions".into(),
                reason,
                subject: item.name.clone(),
            });
        }
        topics.push(TopicGrowth {
            topic: item.name,
            partitions_before: item.partitions,
            live_partitions,
            partitions_after: target,
            replication_factor: item.replication_factor,
        });
    }
    Ok(topics)
}

#[allow(clippy::too_many_arguments)]
pub fn plan_disk(
    document: &Document,
    profile: &Profile,
    brokers: Option<ReplicaCount>,
    topics: &[TopicGrowth],
    live: &LiveFacts,
    changes: &mut Vec<ValueChange>,
    missing: &mut Vec<MissingValue>,
    notes: &mut Vec<String>,
) -> Result<(), ValuesError> {
    let path = &profile.kafka.disk_size_path;
    let Some(scalar) = read_scalar(document, path)? else {
        missing.push(MissingValue {
            subject: "kafka broker disk".into(),
            path: path.clone(),
            consequence: "not in the file: the broker volume keeps the chart's default size; kfscale does not add it"
                .into(),
        });
        return Ok(());
    };
    let current = parse_bytes(&scalar.value).map_err(|err| {
        ValuesError::new(
            &document.file,
            Some(scalar.line),
            None,
            format!("`{path}`: {err}"),
            "write a size such as 600Gi",
        )
    })?;
    let Some(brokers_after) = brokers.map(|count| count.after).filter(|after| *after > 0) else {
        notes.push(format!(
            "kafka broker disk: the broker count is not in the file, so `{path}` is left at {}",
            scalar.value
        ));
        return Ok(());
    };
    let retention = match &profile.kafka.retention_bytes_path {
        Some(retention_path) => {
            read_count(document, retention_path)?.map_or(profile.kafka.default_retention_bytes, |(bytes, _)| bytes)
        }
        None => profile.kafka.default_retention_bytes,
    };
    let replicas: u64 = topics
        .iter()
        .map(|topic| topic.partitions_after * topic.replication_factor)
        .sum();
    let share = replicas.div_ceil(brokers_after);
    let needed = share * retention;
    let mut target = current.max(needed);
    let mut reason = format!(
        "{replicas} partition replicas over {brokers_after} brokers = {share} per broker × {} retention = {} needed",
        human_bytes(retention),
        human_bytes(needed)
    );
    if let Some(volume) = live.broker_volume_bytes.filter(|volume| *volume > target) {
        reason = format!(
            "{reason}; the broker volumes are already {} and a volume never shrinks",
            human_bytes(volume)
        );
        target = volume;
    }
    if target > current {
        changes.push(ValueChange {
            path: path.clone(),
            line: scalar.line,
            old: scalar.value.clone(),
            new: format_gib_ceil(target),
            rule: "disk".into(),
            reason,
            subject: profile.kafka.broker_workload.clone(),
        });
    } else {
        notes.push(format!(
            "kafka broker disk: {reason}; `{path}` stays {} (never shrinks)",
            scalar.value
        ));
    }
    Ok(())
}
