//! Checks a request and turns it into the indexed [`Cluster`]. Per-partition problems are reported
//! for the first offending partition in request order, so the message points at the first thing to
//! fix in the file.
use std::collections::HashMap;

use super::cluster::{Cluster, PartitionInfo, Topic, UNPLACED};
use super::error::BalanceError;
use super::model::Broker;
use super::source::{PartitionRef, PartitionSource};

pub(crate) fn build_cluster<'a, P: PartitionSource + ?Sized>(
    source: &'a P,
    brokers: &'a [Broker],
) -> Result<Cluster<'a>, BalanceError> {
    let brokers = sorted_brokers(brokers)?;
    let broker_ids: Vec<i32> = brokers.iter().map(|b| b.id).collect();
    let (rack_names, broker_rack) = racks(&brokers)?;

    let count = source.len();
    let mut topic_of_partition = Vec::with_capacity(count);
    let mut topic_names: Vec<&str> = Vec::new();
    let mut topic_index: HashMap<&str, u32> = HashMap::new();
    // Assignments list a topic's partitions together: remembering the last topic skips most
    // hash lookups.
    let mut last: Option<(&str, u32)> = None;
    for i in 0..count {
        let partition = source.get(i);
        check_partition(&partition, &broker_ids)?;
        let name = partition.topic;
        let index = match last {
            Some((last_name, index)) if last_name == name => index,
            _ => *topic_index.entry(name).or_insert_with(|| {
                topic_names.push(name);
                (topic_names.len() - 1) as u32
            }),
        };
        last = Some((name, index));
        topic_of_partition.push(index);
    }

    // Topics in name order so that everything downstream is independent of the request order.
    let mut by_name: Vec<u32> = (0..topic_names.len() as u32).collect();
    by_name.sort_unstable_by_key(|&t| topic_names[t as usize]);
    let mut rank = vec![0u32; topic_names.len()];
    for (position, &t) in by_name.iter().enumerate() {
        rank[t as usize] = position as u32;
    }

    // Partition numbers are validated non-negative, so (rank, number) packs into one sort key.
    let mut order: Vec<(u64, usize)> = (0..count)
        .map(|i| {
            let key = (u64::from(rank[topic_of_partition[i] as usize]) << 32) | source.get(i).partition as u64;
            (key, i)
        })
        .collect();
    drop(topic_of_partition);
    order.sort_unstable();
    if let Some(pair) = order.windows(2).find(|w| w[0].0 == w[1].0) {
        let duplicate = source.get(pair[1].1);
        return Err(BalanceError::DuplicatePartition {
            topic: duplicate.topic.to_string(),
            partition: duplicate.partition,
        });
    }

    let total_slots = (0..count).map(|i| source.get(i).replication_factor).sum();
    let mut current = Vec::with_capacity(total_slots);
    let mut partitions = Vec::with_capacity(order.len());
    let mut topics: Vec<Topic<'_>> = by_name
        .iter()
        .map(|&t| Topic {
            name: topic_names[t as usize],
            partitions: 0..0,
        })
        .collect();
    for (position, &(key, request_index)) in order.iter().enumerate() {
        let partition = source.get(request_index);
        let topic = (key >> 32) as u32;
        let range = &mut topics[topic as usize].partitions;
        if range.start == range.end {
            *range = position..position;
        }
        range.end = position + 1;
        let created = partition.replicas.is_empty();
        partitions.push(PartitionInfo {
            topic,
            id: partition.partition,
            first_slot: current.len(),
            replication_factor: partition.replication_factor,
            size: partition.size_bytes.unwrap_or(0),
            size_known: partition.size_bytes.is_some(),
            created,
        });
        if created {
            current.extend(std::iter::repeat_n(UNPLACED, partition.replication_factor));
        } else {
            // Every id was found by `check_partition`; a miss cannot happen, but map it to the
            // same error rather than panic.
            for &broker in partition.replicas {
                let index = broker_ids
                    .binary_search(&broker)
                    .map_err(|_| BalanceError::UnknownBroker {
                        topic: partition.topic.to_string(),
                        partition: partition.partition,
                        broker,
                    })?;
                current.push(index as u32);
            }
        }
    }

    Ok(Cluster {
        broker_ids,
        broker_rack,
        rack_names,
        topics,
        partitions,
        current,
    })
}

fn sorted_brokers(brokers: &[Broker]) -> Result<Vec<&Broker>, BalanceError> {
    if brokers.is_empty() {
        return Err(BalanceError::NoBrokers);
    }
    if let Some(negative) = brokers.iter().find(|b| b.id < 0) {
        return Err(BalanceError::NegativeBrokerId(negative.id));
    }
    let mut sorted: Vec<&Broker> = brokers.iter().collect();
    sorted.sort_by_key(|b| b.id);
    if let Some(pair) = sorted.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(BalanceError::DuplicateBroker(pair[0].id));
    }
    Ok(sorted)
}

/// Rack names (sorted) and each broker's rack index; both empty when no broker has a rack.
fn racks<'a>(brokers: &[&'a Broker]) -> Result<(Vec<&'a str>, Vec<u32>), BalanceError> {
    let with_rack: Vec<i32> = brokers.iter().filter(|b| b.rack.is_some()).map(|b| b.id).collect();
    if with_rack.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    if with_rack.len() != brokers.len() {
        let without_rack = brokers.iter().filter(|b| b.rack.is_none()).map(|b| b.id).collect();
        return Err(BalanceError::PartialRacks {
            with_rack,
            without_rack,
        });
    }
    let mut names: Vec<&str> = brokers.iter().filter_map(|b| b.rack.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let broker_rack = brokers
        .iter()
        .filter_map(|b| b.rack.as_deref())
        // Present: `names` holds every broker's rack.
        .map(|rack| names.binary_search(&rack).unwrap_or(0) as u32)
        .collect();
    Ok((names, broker_rack))
}

fn check_partition(partition: &PartitionRef<'_>, broker_ids: &[i32]) -> Result<(), BalanceError> {
    let topic = || partition.topic.to_string();
    if partition.topic.is_empty() {
        return Err(BalanceError::EmptyTopicName {
            partition: partition.partition,
        });
    }
    if partition.partition < 0 {
        return Err(BalanceError::NegativePartition {
            topic: topic(),
            partition: partition.partition,
        });
    }
    if partition.replication_factor == 0 {
        return Err(BalanceError::ZeroReplicationFactor {
            topic: topic(),
            partition: partition.partition,
        });
    }
    if !partition.replicas.is_empty() && partition.replicas.len() != partition.replication_factor {
        return Err(BalanceError::ReplicationFactorMismatch {
            topic: topic(),
            partition: partition.partition,
            replication_factor: partition.replication_factor,
            replicas: partition.replicas.len(),
        });
    }
    if partition.replication_factor > broker_ids.len() {
        return Err(BalanceError::ReplicationFactorTooHigh {
            topic: topic(),
            partition: partition.partition,
            replication_factor: partition.replication_factor,
            brokers: broker_ids.len(),
        });
    }
    for (i, &broker) in partition.replicas.iter().enumerate() {
        if partition.replicas[..i].contains(&broker) {
            return Err(BalanceError::DuplicateReplica {
                topic: topic(),
                partition: partition.partition,
                broker,
            });
        }
        if broker_ids.binary_search(&broker).is_err() {
            return Err(BalanceError::UnknownBroker {
                topic: topic(),
                partition: partition.partition,
                broker,
            });
        }
    }
    Ok(())
}
