//! Kafka in the values file: topic partitions grow by the node ratio and the expected growth in
//! volume (never shrink), and the broker disk is sized to the 10 GB-per-partition-replica rule for
//! its share (never shrinks).
use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
use super::chart_topics::{chart_topic_list, plan_chart_topics};
use super::effective_values::EffectiveValues;
use super::expected_growth::{AppliedGrowth, ExpectedGrowth};
use super::growth_notes::growth_notes;
use super::partition_rule::{NodeRatio, grown_partitions};
use super::values_reader::{read_count, read_topics};
use super::values_scaling::{LiveFacts, MissingValue, ReplicaCount, ValueChange};
use crate::profile::Profile;
use crate::values::quantity::{format_gib_ceil, human_bytes, parse_bytes};
use crate::values::{Document, ValuesError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicGrowth {
    pub topic: String,
    /// Partitions the values file asks for now.
    pub partitions_before: u64,
    /// Partitions Kafka has now, when observed.
    pub live_partitions: Option<u64>,
    pub partitions_after: u64,
    pub replication_factor: u64,
    /// The stream the profile puts the topic in (`kafka.streams`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The expected growth in volume the topic was sized for on top of the node ratio, and the
    /// setting it came from; absent: the node ratio alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_growth: Option<AppliedGrowth>,
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

    /// The expected growth it was sized for, for the plan's topic line, as `×2 expected growth
    /// (partition_growth.streams.logs)`; None when it grew by the node ratio alone.
    pub fn growth_label(&self) -> Option<String> {
        let growth = self.expected_growth.as_ref()?;
        Some(format!("×{} expected growth ({})", growth.factor, growth.set_by))
    }
}

/// Where the topic rules write what they decided.
pub struct TopicChanges<'a> {
    pub changes: &'a mut Vec<ValueChange>,
    pub missing: &'a mut Vec<MissingValue>,
    pub notes: &'a mut Vec<String>,
}

/// Each topic of the list grows to ceil(partitions × node ratio × its expected growth), never
/// below what Kafka has (`partition_rule.rs` has the arithmetic).
pub fn plan_topics(
    document: &Document,
    effective: &EffectiveValues,
    profile: &Profile,
    (from, to): (u64, u64),
    growth: &ExpectedGrowth,
    live: &LiveFacts,
    out: &mut TopicChanges<'_>,
) -> Result<Vec<TopicGrowth>, PlanError> {
    let path = &profile.kafka.topics_path;
    let items = read_topics(document, path)?;
    // A file without the list runs on the chart's (Helm's release record carries it).
    let chart = match items {
        Some(_) => Ok(None),
        None => chart_topic_list(effective, path),
    };
    let from_chart = chart.iter().flatten().flatten().map(|topic| topic.name.as_str());
    let listed: BTreeSet<&str> = items
        .iter()
        .flatten()
        .map(|item| item.name.as_str())
        .chain(from_chart)
        .collect();
    let known = |topic: &str| listed.contains(topic) || live.kafka_partitions.contains_key(topic);
    growth.check_names(&profile.kafka.streams, &known)?;
    out.notes.extend(growth_notes(profile, growth, &listed, to > from));
    let Some(items) = items else {
        return plan_chart_topics(chart, profile, (from, to), growth, live, out);
    };
    let mut topics = Vec::with_capacity(items.len());
    for item in items {
        let (topic, reason) = grow_topic(
            profile,
            growth,
            live,
            (from, to),
            (item.name, item.partitions, item.replication_factor),
        )?;
        if topic.partitions_after != item.partitions {
            let line = read_count(document, &item.partitions_path)?.map_or(0, |(_, scalar)| scalar.line);
            out.changes.push(ValueChange {
                path: item.partitions_path.clone(),
                line,
                old: item.partitions.to_string(),
                new: topic.partitions_after.to_string(),
                rule: "partitions".into(),
                reason,
                subject: topic.topic.clone(),
                added: false,
                list_items: Vec::new(),
            });
        }
        topics.push(topic);
    }
    Ok(topics)
}

/// One topic's partitions after the scale-out from `from` to `to` nodes, with the arithmetic:
/// grown by the node ratio and its expected growth, never below what Kafka has. A fixed factor,
/// and the expected growth, apply to a growth only: planning the size the pool already has must
/// change nothing (`--nodes N` is declarative; a second plan says "No changes").
pub(super) fn grow_topic(
    profile: &Profile,
    growth: &ExpectedGrowth,
    live: &LiveFacts,
    (from, to): (u64, u64),
    (name, partitions, replication_factor): (String, u64, u64),
) -> Result<(TopicGrowth, String), PlanError> {
    let grows = to > from;
    let ratio = match profile.kafka.partition_factor {
        Some(factor) if grows => NodeRatio::Factor(factor),
        _ => NodeRatio::Nodes { from, to },
    };
    let stream = profile.kafka.stream_of(&name).map(str::to_string);
    let applied = growth.for_topic(&name, stream.as_deref()).filter(|_| grows);
    let (scaled, mut reason) = grown_partitions(&name, partitions, ratio, applied.as_ref())?;
    let live_partitions = live.kafka_partitions.get(&name).copied();
    let mut target = scaled.max(partitions);
    if let Some(live_count) = live_partitions.filter(|count| *count > target) {
        reason = format!("{reason}; Kafka already has {live_count}, and partitions never decrease");
        target = live_count;
    }
    let topic = TopicGrowth {
        topic: name,
        partitions_before: partitions,
        live_partitions,
        partitions_after: target,
        replication_factor,
        stream,
        expected_growth: applied,
    };
    Ok((topic, reason))
}

#[allow(clippy::too_many_arguments)]
pub fn plan_disk(
    document: &Document,
    effective: &super::effective_values::EffectiveValues,
    profile: &Profile,
    brokers: Option<ReplicaCount>,
    topics: &[TopicGrowth],
    live: &LiveFacts,
    changes: &mut Vec<ValueChange>,
    missing: &mut Vec<MissingValue>,
    notes: &mut Vec<String>,
) -> Result<(), ValuesError> {
    let path = &profile.kafka.disk_size_path;
    let Some((size, found)) = effective.text(document, path)? else {
        missing.push(MissingValue {
            subject: "kafka broker disk".into(),
            path: path.clone(),
            consequence: "in neither the file nor the chart's recorded defaults: kfscale does not add it".into(),
        });
        return Ok(());
    };
    let (line, added) = match found {
        super::effective_values::Found::File(scalar) => (Some(scalar.line), false),
        super::effective_values::Found::ChartDefault => (None, true),
    };
    let current = parse_bytes(&size).map_err(|err| {
        ValuesError::new(
            &document.file,
            line,
            None,
            format!("`{path}`: {err}"),
            "write a size such as 600Gi",
        )
    })?;
    let Some(brokers_after) = brokers.map(|count| count.after).filter(|after| *after > 0) else {
        notes.push(format!(
            "kafka broker disk: the broker count is not in the file, so `{path}` is left at {}",
            size
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
            line: line.unwrap_or(0),
            old: size.clone(),
            new: format_gib_ceil(target),
            rule: "disk".into(),
            reason,
            subject: profile.kafka.broker_workload.clone(),
            added,
            list_items: Vec::new(),
        });
    } else {
        notes.push(format!(
            "kafka broker disk: {reason}; `{path}` stays {} (never shrinks)",
            size
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::{GrowthFactor, GrowthSettings, PlanError, scale_values_text};

    const VALUES: &str = "global:\n  numNodes: 6\nkafka-kraft:\n  broker:\n    replicaCount: 6\nkafkaTopics:\n  - {name: logs_ingest_topic, partitions: 12, replicationFactor: 1}\n  - {name: kf_metrics_topic, partitions: 12, replicationFactor: 1}\n  - {name: customer_topic, partitions: 12, replicationFactor: 1}\n";

    fn factor(value: f64) -> GrowthFactor {
        GrowthFactor::new(value).unwrap()
    }

    /// Topic -> partitions after, in file order.
    type Partitions = Vec<(String, u64)>;

    fn partitions(growth: &ExpectedGrowth, to: u32) -> Result<(Partitions, Vec<String>), PlanError> {
        let profile = Profile::builtin("kraft").unwrap();
        let (plan, _) = scale_values_text("values.yaml", VALUES, &profile, 6, to, growth)?;
        let topics = plan
            .topics
            .iter()
            .map(|t| (t.topic.clone(), t.partitions_after))
            .collect();
        Ok((topics, plan.notes))
    }

    fn by_stream_and_flag() -> ExpectedGrowth {
        ExpectedGrowth {
            flag: Some(factor(1.5)),
            settings: GrowthSettings {
                expected: Some(factor(1.2)),
                streams: BTreeMap::from([("logs".into(), factor(2.0))]),
                topics: BTreeMap::new(),
            },
        }
    }

    #[test]
    fn the_default_stays_the_node_ratio() {
        let (topics, notes) = partitions(&ExpectedGrowth::default(), 9).unwrap();
        assert!(topics.iter().all(|(_, after)| *after == 18), "{topics:?}");
        assert!(notes.iter().all(|n| !n.contains("expected growth")), "{notes:?}");
    }

    #[test]
    fn each_topic_grows_by_the_node_ratio_times_its_streams_growth() {
        let (topics, notes) = partitions(&by_stream_and_flag(), 9).unwrap();
        assert_eq!(
            topics,
            [
                ("logs_ingest_topic".to_string(), 36),
                ("kf_metrics_topic".to_string(), 27),
                ("customer_topic".to_string(), 27),
            ],
            "12 × 9/6 × 2 for logs, × 1.5 (the flag) for the rest"
        );
        let summary = notes
            .iter()
            .find(|n| n.starts_with("expected growth in volume"))
            .unwrap();
        assert!(
            summary.contains("1.5 for every topic without its own setting (--expected-growth; it replaces partition_growth.expected 1.2")
                && summary.contains("2 for stream logs"),
            "{summary}"
        );
    }

    #[test]
    fn the_reason_and_the_topic_record_say_where_the_growth_came_from() {
        let profile = Profile::builtin("kraft").unwrap();
        let (plan, _) = scale_values_text("values.yaml", VALUES, &profile, 6, 9, &by_stream_and_flag()).unwrap();
        let logs = plan.changes.iter().find(|c| c.subject == "logs_ingest_topic").unwrap();
        assert_eq!(
            logs.reason,
            "12 × 9/6 × 2 = 36; 2 = expected growth (partition_growth.streams.logs)"
        );
        let topic = &plan.topics[0];
        assert_eq!(topic.stream.as_deref(), Some("logs"));
        assert_eq!(
            topic.expected_growth.as_ref().map(|g| g.set_by.as_str()),
            Some("partition_growth.streams.logs")
        );
        assert_eq!(
            topic.growth_label().as_deref(),
            Some("×2 expected growth (partition_growth.streams.logs)")
        );
        assert_eq!(plan.topics[2].stream, None, "a customer topic is in no stream");
        let (plain, _) = scale_values_text("values.yaml", VALUES, &profile, 6, 9, &ExpectedGrowth::default()).unwrap();
        assert_eq!(
            plain.topics[0].growth_label(),
            None,
            "the node ratio alone needs no label"
        );
    }

    #[test]
    fn a_plan_that_adds_no_nodes_applies_no_growth() {
        let (topics, notes) = partitions(&by_stream_and_flag(), 6).unwrap();
        assert!(topics.iter().all(|(_, after)| *after == 12), "{topics:?}");
        assert!(
            notes.iter().any(|n| n.contains("not applied, the pool keeps its size")),
            "{notes:?}"
        );
    }

    #[test]
    fn settings_that_change_nothing_here_are_noted() {
        let growth = ExpectedGrowth {
            flag: None,
            settings: GrowthSettings {
                expected: None,
                streams: BTreeMap::from([("events".into(), factor(3.0))]),
                topics: BTreeMap::from([("kf_traces_topic".into(), factor(2.0))]),
            },
        };
        let (topics, notes) = partitions(&growth, 9).unwrap();
        assert!(topics.iter().all(|(_, after)| *after == 18), "{topics:?}");
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("partition_growth.streams.events: none of its topics (kf_events_topic)")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("`kf_traces_topic` is not in the values file's topic list")),
            "{notes:?}"
        );
    }

    #[test]
    fn an_unknown_stream_or_topic_is_refused() {
        let growth = ExpectedGrowth {
            flag: None,
            settings: GrowthSettings {
                expected: None,
                streams: BTreeMap::from([("apm".into(), factor(2.0))]),
                topics: BTreeMap::from([("customer_topik".into(), factor(2.0))]),
            },
        };
        let err = partitions(&growth, 9).unwrap_err().to_string();
        assert!(
            err.contains("`partition_growth.streams.apm` names no stream")
                && err.contains("`partition_growth.topics.customer_topik`")
                && err.contains("(events, logs, metrics, traces)"),
            "{err}"
        );
        // A topic of the values file's list is known even when it is in no stream.
        let customer = ExpectedGrowth {
            flag: None,
            settings: GrowthSettings {
                topics: BTreeMap::from([("customer_topic".into(), factor(2.0))]),
                ..GrowthSettings::default()
            },
        };
        let (topics, _) = partitions(&customer, 9).unwrap();
        assert_eq!(topics[2], ("customer_topic".to_string(), 36));
    }

    #[test]
    fn a_count_past_kafkas_limit_is_refused_not_wrapped() {
        let huge = VALUES.replace(
            "customer_topic, partitions: 12",
            "customer_topic, partitions: 2000000000",
        );
        let profile = Profile::builtin("kraft").unwrap();
        let err = scale_values_text("values.yaml", &huge, &profile, 6, 9, &ExpectedGrowth::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("topic `customer_topic`: 2000000000 × 9/6 = 3000000000"),
            "{err}"
        );
    }
}
