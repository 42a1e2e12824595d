//! Kafka through its admin protocol, cheaply: one Metadata for every topic, then per broker one
//! DescribeLogDirs, one DescribeConfigs (throttles) and one ListGroups, one
//! ListPartitionReassignments, one FindCoordinator, and OffsetFetch / ListOffsets batched per
//! coordinator / leader. Nothing is asked per partition.
use std::collections::{BTreeMap, BTreeSet};

use kfscale_kafka::{ClusterMetadata, ConfigResource, KafkaAdmin, LogDir, ResourceConfigs, TopicPartition};

use crate::connect::ConfigContext;
use crate::profile::Profile;
use crate::snapshot::{
    ConsumerGroupOffsets, Kafka, KafkaBroker, KafkaPartition, KafkaTopic, Kubernetes, PartitionOffsets, Reassignment,
    Throttles, WorkloadKind,
};

const BROKER_THROTTLES: [&str; 2] = [
    "leader.replication.throttled.rate",
    "follower.replication.throttled.rate",
];
const TOPIC_THROTTLES: [&str; 2] = [
    "leader.replication.throttled.replicas",
    "follower.replication.throttled.replicas",
];

pub async fn observe(context: &ConfigContext<'_>, profile: &Profile, kubernetes: &Kubernetes) -> anyhow::Result<Kafka> {
    let brokers = broker_statefulset_replicas(profile, kubernetes);
    let admin = crate::connect::kafka(context, profile, &kubernetes.namespace, brokers).await?;
    let kafka = read(&admin).await;
    let counts = admin.request_counts();
    tracing::info!(
        requests = admin.request_total(),
        "Kafka requests by API: {}",
        counts
            .iter()
            .map(|(api, n)| format!("{api} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    kafka
}

async fn read(admin: &KafkaAdmin) -> anyhow::Result<Kafka> {
    let metadata = admin.metadata().await?;
    let brokers: Vec<i32> = metadata.brokers.iter().map(|b| b.id).collect();
    let (log_dirs, reassignments, throttles, groups) = tokio::try_join!(
        admin.describe_log_dirs_of(&brokers),
        admin.list_partition_reassignments(),
        throttles_of(admin, &metadata),
        consumer_groups(admin),
    )?;
    Ok(Kafka {
        cluster_id: metadata.cluster_id.clone(),
        controller_id: metadata.controller_id,
        brokers: metadata
            .brokers
            .iter()
            .map(|b| KafkaBroker {
                id: b.id,
                host: b.host.clone(),
                port: b.port,
                rack: b.rack.clone(),
                // The mapping broker id -> pod the planner derives new broker ids from.
                pod: crate::plan::pod_named_by(&b.host).map(str::to_string),
            })
            .collect(),
        topics: topics(&metadata, &log_dirs),
        reassignments: reassignments
            .into_iter()
            .map(|r| Reassignment {
                topic: r.topic,
                partition: r.partition,
                replicas: r.replicas,
                adding_replicas: r.adding_replicas,
                removing_replicas: r.removing_replicas,
            })
            .collect(),
        throttles,
        consumer_groups: groups,
    })
}

/// Topics with each partition's size: the leader's log (what a follower copies), or the largest
/// replica's while the partition has no leader.
fn topics(metadata: &ClusterMetadata, log_dirs: &BTreeMap<i32, Vec<LogDir>>) -> Vec<KafkaTopic> {
    let mut sizes: BTreeMap<(i32, &str, i32), u64> = BTreeMap::new();
    for (broker, dirs) in log_dirs {
        for replica in dirs.iter().flat_map(|d| &d.replicas).filter(|r| !r.is_future) {
            sizes.insert((*broker, replica.topic.as_str(), replica.partition), replica.size_bytes);
        }
    }
    metadata
        .topics
        .iter()
        .map(|topic| KafkaTopic {
            name: topic.name.clone(),
            internal: topic.internal,
            partitions: topic
                .partitions
                .iter()
                .map(|p| {
                    let on = |broker: i32| sizes.get(&(broker, topic.name.as_str(), p.partition)).copied();
                    let size_bytes = match p.leader {
                        Some(leader) => on(leader),
                        None => p.replicas.iter().filter_map(|&r| on(r)).max(),
                    };
                    KafkaPartition {
                        partition: p.partition,
                        leader: p.leader.unwrap_or(-1),
                        replicas: p.replicas.clone(),
                        isr: p.isr.clone(),
                        size_bytes,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The replication throttles set now on the brokers and topics of `metadata` (one DescribeConfigs
/// per broker): what a finished reassignment must leave none of.
pub(crate) async fn throttles_of(
    admin: &KafkaAdmin,
    metadata: &ClusterMetadata,
) -> Result<Throttles, kfscale_kafka::KafkaError> {
    let mut resources: Vec<ConfigResource> = metadata.brokers.iter().map(|b| ConfigResource::Broker(b.id)).collect();
    resources.extend(metadata.topics.iter().map(|t| ConfigResource::Topic(t.name.clone())));
    let keys: Vec<&str> = BROKER_THROTTLES.iter().chain(TOPIC_THROTTLES.iter()).copied().collect();
    Ok(throttles(&admin.describe_configs(&resources, Some(&keys)).await?))
}

/// Replication throttles set at runtime: broker rates (the broker's own or the cluster default)
/// and topic replica lists that are not empty.
fn throttles(configs: &[ResourceConfigs]) -> Throttles {
    let set = |resource: &ResourceConfigs, names: &[&str]| -> BTreeMap<String, String> {
        resource
            .entries
            .iter()
            .filter(|e| e.source.is_dynamic() && names.contains(&e.name.as_str()))
            .filter_map(|e| Some((e.name.clone(), e.value.clone().filter(|v| !v.is_empty())?)))
            .collect()
    };
    let mut throttles = Throttles::default();
    for resource in configs {
        match &resource.resource {
            ConfigResource::Broker(id) => {
                let values = set(resource, &BROKER_THROTTLES);
                if !values.is_empty() {
                    throttles.brokers.insert(*id, values);
                }
            }
            ConfigResource::Topic(name) => {
                let values = set(resource, &TOPIC_THROTTLES);
                if !values.is_empty() {
                    throttles.topics.insert(name.clone(), values);
                }
            }
            ConfigResource::BrokerDefault => {}
        }
    }
    throttles
}

/// Every group with its committed offsets and the end offsets of those partitions (lag is their
/// difference).
pub(crate) async fn consumer_groups(
    admin: &KafkaAdmin,
) -> Result<Vec<ConsumerGroupOffsets>, kfscale_kafka::KafkaError> {
    let groups: Vec<String> = admin.list_groups().await?.into_iter().map(|g| g.group_id).collect();
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let committed = admin.offset_fetch(&groups).await?;
    let partitions: BTreeSet<TopicPartition> = committed
        .values()
        .flatten()
        .map(|c| TopicPartition::new(&c.topic, c.partition))
        .collect();
    let partitions: Vec<TopicPartition> = partitions.into_iter().collect();
    let ends = if partitions.is_empty() {
        BTreeMap::new()
    } else {
        admin.list_offsets_latest(&partitions).await?
    };
    Ok(groups
        .into_iter()
        .map(|group| {
            let partitions = committed
                .get(&group)
                .into_iter()
                .flatten()
                .map(|c| PartitionOffsets {
                    topic: c.topic.clone(),
                    partition: c.partition,
                    end_offset: ends
                        .get(&TopicPartition::new(&c.topic, c.partition))
                        .copied()
                        .unwrap_or(-1),
                    committed_offset: c.offset,
                })
                .collect();
            ConsumerGroupOffsets { group, partitions }
        })
        .collect())
}

/// The replica count of the profile's broker StatefulSet, if the cluster has it.
fn broker_statefulset_replicas(profile: &Profile, kubernetes: &Kubernetes) -> Option<u32> {
    kubernetes
        .workloads
        .iter()
        .find(|w| w.kind == WorkloadKind::StatefulSet && w.name == profile.kafka.broker_workload)
        .map(|w| w.replicas)
}

#[cfg(test)]
mod tests {
    use kfscale_kafka::{BrokerInfo, ConfigEntry, ConfigSource, PartitionMetadata, ReplicaLog, TopicMetadata};

    use super::*;

    fn partition(partition: i32, leader: Option<i32>, replicas: &[i32]) -> PartitionMetadata {
        PartitionMetadata {
            partition,
            leader,
            leader_epoch: 0,
            replicas: replicas.to_vec(),
            isr: replicas.to_vec(),
            offline: Vec::new(),
            error: None,
        }
    }

    fn dir(replicas: &[(&str, i32, u64, bool)]) -> Vec<LogDir> {
        vec![LogDir {
            path: "/data".into(),
            error: None,
            total_bytes: None,
            usable_bytes: None,
            replicas: replicas
                .iter()
                .map(|&(topic, partition, size_bytes, is_future)| ReplicaLog {
                    topic: topic.into(),
                    partition,
                    size_bytes,
                    offset_lag: 0,
                    is_future,
                })
                .collect(),
        }]
    }

    #[test]
    fn a_partition_weighs_what_its_leader_holds() {
        let metadata = ClusterMetadata {
            cluster_id: None,
            controller_id: None,
            brokers: vec![BrokerInfo {
                id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
                fenced: false,
            }],
            topics: vec![TopicMetadata {
                name: "t".into(),
                internal: false,
                partitions: vec![
                    partition(0, Some(2), &[1, 2]),
                    partition(1, None, &[1, 2]),
                    partition(2, Some(1), &[1]),
                ],
            }],
        };
        let log_dirs = BTreeMap::from([
            (1, dir(&[("t", 0, 90, false), ("t", 1, 40, false), ("t", 1, 999, true)])),
            (2, dir(&[("t", 0, 100, false), ("t", 1, 50, false)])),
        ]);
        let sizes: Vec<Option<u64>> = topics(&metadata, &log_dirs)[0]
            .partitions
            .iter()
            .map(|p| p.size_bytes)
            .collect();
        // Leader 2's log; no leader: the largest replica (a future replica is not one); not found: unknown.
        assert_eq!(sizes, [Some(100), Some(50), None]);
    }

    #[test]
    fn only_throttles_set_at_runtime_count() {
        let entry = |name: &str, value: &str, source: ConfigSource| ConfigEntry {
            name: name.into(),
            value: Some(value.into()),
            source,
            read_only: false,
            sensitive: false,
        };
        let configs = vec![
            ResourceConfigs {
                resource: ConfigResource::Broker(101),
                entries: vec![
                    entry(
                        "leader.replication.throttled.rate",
                        "500000",
                        ConfigSource::DynamicBroker,
                    ),
                    entry(
                        "follower.replication.throttled.rate",
                        "9223372036854775807",
                        ConfigSource::Default,
                    ),
                ],
            },
            ResourceConfigs {
                resource: ConfigResource::Broker(102),
                entries: vec![entry(
                    "follower.replication.throttled.rate",
                    "1000",
                    ConfigSource::DynamicDefaultBroker,
                )],
            },
            ResourceConfigs {
                resource: ConfigResource::Topic("t".into()),
                entries: vec![
                    entry("leader.replication.throttled.replicas", "", ConfigSource::Default),
                    entry(
                        "follower.replication.throttled.replicas",
                        "0:101",
                        ConfigSource::DynamicTopic,
                    ),
                ],
            },
            ResourceConfigs {
                resource: ConfigResource::Topic("quiet".into()),
                entries: vec![entry(
                    "leader.replication.throttled.replicas",
                    "",
                    ConfigSource::DynamicTopic,
                )],
            },
        ];
        let throttles = throttles(&configs);
        assert_eq!(
            throttles.brokers,
            BTreeMap::from([
                (
                    101,
                    BTreeMap::from([("leader.replication.throttled.rate".to_string(), "500000".to_string())])
                ),
                (
                    102,
                    BTreeMap::from([("follower.replication.throttled.rate".to_string(), "1000".to_string())])
                ),
            ])
        );
        assert_eq!(
            throttles.topics,
            BTreeMap::from([(
                "t".to_string(),
                BTreeMap::from([(
                    "follower.replication.throttled.replicas".to_string(),
                    "0:101".to_string()
                )])
            )])
        );
    }
}
