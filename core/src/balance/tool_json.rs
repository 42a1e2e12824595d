//! Kafka's own reassignment file format, as read and written by `kafka-reassign-partitions`:
//! `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":[...]}]}`.
//!
//! Read: `log_dirs` is ignored; two optional fields extend it: `size_bytes` (bytes one replica
//! copies, from DescribeLogDirs) and, for a partition to create (empty `replicas`),
//! `replication_factor` (default: the topic's other partitions'). Write: only the partitions whose
//! replicas change, sorted by topic then partition, without `log_dirs` (optional for
//! `--execute`, which then uses "any" directory).
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::error::BalanceError;
use super::model::{BalanceResult, Broker, Partition, PartitionChange};

#[derive(Deserialize)]
struct AssignmentFile {
    version: Option<i64>,
    partitions: Option<Vec<FilePartition>>,
    topics: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct FilePartition {
    topic: String,
    partition: i32,
    replicas: Vec<i32>,
    #[serde(default)]
    size_bytes: Option<u64>,
    #[serde(default)]
    replication_factor: Option<usize>,
}

/// Parses a current-assignment file into the balancer's partitions.
pub fn parse_assignment(text: &str) -> Result<Vec<Partition>, BalanceError> {
    let file: AssignmentFile = serde_json::from_str(text).map_err(|e| BalanceError::Json {
        line: e.line(),
        column: e.column(),
        message: without_location(&e),
    })?;
    if let Some(version) = file.version
        && version != 1
    {
        return Err(BalanceError::UnsupportedVersion(version));
    }
    let Some(entries) = file.partitions else {
        return Err(if file.topics.is_some() {
            BalanceError::TopicsFileGiven
        } else {
            BalanceError::MissingPartitions
        });
    };
    // A new partition's replication factor defaults to that of its topic's existing partitions.
    let mut topic_rf: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &entries {
        if !entry.replicas.is_empty() {
            topic_rf.entry(entry.topic.as_str()).or_insert(entry.replicas.len());
        }
    }
    let mut defaults = Vec::new();
    for entry in &entries {
        let rf = match (entry.replicas.len(), entry.replication_factor) {
            (0, Some(rf)) => rf,
            (0, None) => *topic_rf
                .get(entry.topic.as_str())
                .ok_or_else(|| BalanceError::MissingReplicationFactor {
                    topic: entry.topic.clone(),
                    partition: entry.partition,
                })?,
            (_, Some(rf)) => rf,
            (n, None) => n,
        };
        defaults.push(rf);
    }
    Ok(entries
        .into_iter()
        .zip(defaults)
        .map(|(entry, replication_factor)| Partition {
            topic: entry.topic,
            partition: entry.partition,
            replicas: entry.replicas,
            replication_factor,
            size_bytes: entry.size_bytes,
        })
        .collect())
}

/// serde_json appends " at line L column C"; the error carries those as fields.
fn without_location(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(position) => text[..position].to_string(),
        None => text,
    }
}

/// Brokers from `--brokers` ids and `--racks id=rack` entries.
pub fn brokers_with_racks(ids: &[i32], racks: &[String]) -> Result<Vec<Broker>, BalanceError> {
    let mut rack_of: BTreeMap<i32, String> = BTreeMap::new();
    for entry in racks.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let (id, rack) = entry
            .split_once('=')
            .ok_or_else(|| BalanceError::RackSyntax(entry.to_string()))?;
        let id: i32 = id
            .trim()
            .parse()
            .map_err(|_| BalanceError::RackSyntax(entry.to_string()))?;
        let rack = rack.trim();
        if rack.is_empty() {
            return Err(BalanceError::RackSyntax(entry.to_string()));
        }
        if !ids.contains(&id) {
            return Err(BalanceError::RackForUnknownBroker(id));
        }
        if rack_of.insert(id, rack.to_string()).is_some() {
            return Err(BalanceError::DuplicateRack(id));
        }
    }
    Ok(ids
        .iter()
        .map(|&id| Broker {
            id,
            rack: rack_of.get(&id).cloned(),
        })
        .collect())
}

/// Writes the reassignment for `kafka-reassign-partitions --execute`: the existing partitions
/// that change, one per line. Partitions to create are not in it (`--execute` only moves
/// existing partitions; see [`creations`]).
pub fn write_reassignment(result: &BalanceResult, out: &mut impl Write) -> io::Result<()> {
    write_partitions(
        existing(result).map(|c| (c.topic.as_str(), c.partition, c.new_replicas.as_slice())),
        out,
    )
}

/// Writes the way back, for `kafka-reassign-partitions --execute` after the change: each existing
/// partition that changes, with the replicas it had before, as Kloudfuse's own scale-out script
/// saves them. Partitions created are not in it: Kafka cannot take partitions away.
pub fn write_rollback(result: &BalanceResult, out: &mut impl Write) -> io::Result<()> {
    write_partitions(
        existing(result).map(|c| (c.topic.as_str(), c.partition, c.old_replicas.as_slice())),
        out,
    )
}

fn existing(result: &BalanceResult) -> impl Iterator<Item = &PartitionChange> {
    result.changes.iter().filter(|c| !c.old_replicas.is_empty())
}

/// Writes `(topic, partition, replicas)` entries in Kafka's reassignment format, one per line.
pub fn write_partitions<'a>(
    entries: impl IntoIterator<Item = (&'a str, i32, &'a [i32])>,
    out: &mut impl Write,
) -> io::Result<()> {
    out.write_all(b"{\"version\":1,\"partitions\":[")?;
    let mut first = true;
    for (topic, partition, replicas) in entries {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        out.write_all(b"{\"topic\":")?;
        serde_json::to_writer(&mut *out, topic)?;
        write!(out, ",\"partition\":{partition},\"replicas\":[")?;
        for (i, broker) in replicas.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write!(out, "{broker}")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"\n]}\n")
}

/// Per topic with partitions to create: its new partitions with their replicas, in partition
/// order.
pub fn creations(result: &BalanceResult) -> BTreeMap<&str, Vec<(i32, &[i32])>> {
    let mut by_topic: BTreeMap<&str, Vec<(i32, &[i32])>> = BTreeMap::new();
    for change in result.changes.iter().filter(|c| c.old_replicas.is_empty()) {
        by_topic
            .entry(change.topic.as_str())
            .or_default()
            .push((change.partition, change.new_replicas.as_slice()));
    }
    by_topic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kafka_files_with_log_dirs_and_sizes() {
        let text = r#"{"version":1,"partitions":[
            {"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},
            {"topic":"a","partition":1,"replicas":[2,3],"size_bytes":1024},
            {"topic":"a","partition":2,"replicas":[]}]}"#;
        let partitions = parse_assignment(text).unwrap();
        assert_eq!(partitions.len(), 3);
        assert_eq!(partitions[1].size_bytes, Some(1024));
        assert_eq!(partitions[2].replication_factor, 2);
        assert!(partitions[2].replicas.is_empty());
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let err = parse_assignment("{\"version\":1,\n\"partitions\":[{\"topic\":\"a\"}]}").unwrap_err();
        match err {
            BalanceError::Json { line, message, .. } => {
                assert_eq!(line, 2);
                assert!(message.contains("partition"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn wrong_version_and_topics_file_are_named() {
        assert_eq!(
            parse_assignment(r#"{"version":2,"partitions":[]}"#).unwrap_err(),
            BalanceError::UnsupportedVersion(2)
        );
        assert_eq!(
            parse_assignment(r#"{"version":1,"topics":[{"topic":"a"}]}"#).unwrap_err(),
            BalanceError::TopicsFileGiven
        );
    }

    #[test]
    fn racks_parse_and_reject_bad_entries() {
        let brokers = brokers_with_racks(&[1, 2], &["1=a".into(), " 2 = b ".into()]).unwrap();
        assert_eq!(brokers[1].rack.as_deref(), Some("b"));
        assert_eq!(
            brokers_with_racks(&[1], &["1:a".into()]).unwrap_err(),
            BalanceError::RackSyntax("1:a".into())
        );
        assert_eq!(
            brokers_with_racks(&[1], &["7=a".into()]).unwrap_err(),
            BalanceError::RackForUnknownBroker(7)
        );
        assert_eq!(
            brokers_with_racks(&[1], &["1=a".into(), "1=b".into()]).unwrap_err(),
            BalanceError::DuplicateRack(1)
        );
    }

    #[test]
    fn the_rollback_puts_back_the_replicas_each_moved_partition_had_and_leaves_out_creations() {
        let text = r#"{"version":1,"partitions":[
            {"topic":"a","partition":0,"replicas":[1,2]},
            {"topic":"a","partition":1,"replicas":[2,1]},
            {"topic":"a","partition":2,"replicas":[1,2]},
            {"topic":"a","partition":3,"replicas":[2,1]},
            {"topic":"a","partition":4,"replicas":[]},
            {"topic":"a","partition":5,"replicas":[]}]}"#;
        let partitions = parse_assignment(text).unwrap();
        let brokers = brokers_with_racks(&[1, 2, 3], &[]).unwrap();
        let result = crate::balance::balance(&crate::balance::BalanceRequest { partitions, brokers }).unwrap();
        assert!(
            result.changes.iter().any(|c| !c.old_replicas.is_empty()),
            "the scale-out moves something"
        );

        let mut forward = Vec::new();
        write_reassignment(&result, &mut forward).unwrap();
        let mut back = Vec::new();
        write_rollback(&result, &mut back).unwrap();
        let forward = parse_assignment(std::str::from_utf8(&forward).unwrap()).unwrap();
        let back = parse_assignment(std::str::from_utf8(&back).unwrap()).unwrap();
        // The same partitions both ways (existing ones that change), each back where it was.
        let names = |ps: &[Partition]| ps.iter().map(|p| (p.topic.clone(), p.partition)).collect::<Vec<_>>();
        assert_eq!(names(&forward), names(&back));
        assert!(
            back.iter().all(|p| p.partition < 4),
            "creations cannot be rolled back: {:?}",
            names(&back)
        );
        let before = parse_assignment(text).unwrap();
        for partition in &back {
            let was = before.iter().find(|p| p.partition == partition.partition).unwrap();
            assert_eq!(partition.replicas, was.replicas);
        }
    }
}
