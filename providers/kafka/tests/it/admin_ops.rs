//! Every admin operation against the Kafka fake, with the requests each costs.

use crate::common::{SEED, admin, fake, sent};
use kfscale_kafka::{
    ConfigChange, ConfigOp, ConfigResource, ConfigSource, NewPartitions, ReassignmentRequest, TopicPartition,
};

#[tokio::test]
async fn metadata_describes_every_topic_in_one_request() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let metadata = admin.metadata().await.unwrap();
    assert_eq!(metadata.cluster_id.as_deref(), Some("kfscaleClientTest0001"));
    assert_eq!(metadata.controller_id, Some(100));
    let brokers: Vec<(i32, Option<&str>)> = metadata.brokers.iter().map(|b| (b.id, b.rack.as_deref())).collect();
    assert_eq!(brokers, [(100, Some("a")), (101, Some("b")), (102, Some("c"))]);
    assert_eq!(metadata.brokers[1].port, fake.broker_addr(101).unwrap().port());
    let names: Vec<(&str, bool, usize)> = metadata
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.internal, t.partitions.len()))
        .collect();
    assert_eq!(
        names,
        [
            ("__consumer_offsets", true, 3),
            ("kf_logs_topic", false, 6),
            ("kf_metrics_topic", false, 2)
        ]
    );
    let metrics0 = &metadata.topics[2].partitions[0];
    assert_eq!(
        (metrics0.leader, metrics0.replicas.clone(), metrics0.isr.clone()),
        (Some(101), vec![101, 102], vec![101, 102])
    );
    for topic in &metadata.topics {
        for p in &topic.partitions {
            let model = fake.with_cluster(|c| {
                c.partition(&topic.name, p.partition)
                    .map(|m| (m.replicas.clone(), m.leader))
            });
            assert_eq!(
                model,
                Some((p.replicas.clone(), p.leader.unwrap_or(-1))),
                "{} {}",
                topic.name,
                p.partition
            );
        }
    }
    assert_eq!(admin.request_counts(), [("ApiVersions", 1), ("Metadata", 1)].into());
}

#[tokio::test]
async fn describe_cluster_lists_the_brokers() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let cluster = admin.describe_cluster().await.unwrap();
    assert_eq!(cluster.cluster_id.as_deref(), Some("kfscaleClientTest0001"));
    assert_eq!(cluster.controller_id, Some(100));
    assert_eq!(
        cluster.brokers.iter().map(|b| b.id).collect::<Vec<_>>(),
        [100, 101, 102]
    );
    assert!(cluster.brokers.iter().all(|b| !b.fenced));
    // One Metadata to learn the brokers, then DescribeCluster on the same connection.
    assert_eq!(
        admin.request_counts(),
        [("ApiVersions", 1), ("DescribeCluster", 1), ("Metadata", 1)].into()
    );
}

#[tokio::test]
async fn log_dirs_give_replica_sizes_per_broker() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let dirs = admin.describe_log_dirs(101).await.unwrap();
    assert_eq!(dirs.len(), 1);
    assert_eq!(dirs[0].path, "/bitnami/kafka/data");
    assert!(dirs[0].total_bytes.is_some() && dirs[0].error.is_none());
    let metrics0 = dirs[0]
        .replicas
        .iter()
        .find(|r| r.topic == "kf_metrics_topic" && r.partition == 0)
        .unwrap();
    assert_eq!(metrics0.size_bytes, 2000);
    let all = admin.describe_log_dirs_of(&[100, 101, 102]).await.unwrap();
    assert_eq!(all.keys().copied().collect::<Vec<_>>(), [100, 101, 102]);
    // Broker 100 does not host kf_metrics_topic-0.
    assert!(
        !all[&100][0]
            .replicas
            .iter()
            .any(|r| r.topic == "kf_metrics_topic" && r.partition == 0)
    );
    assert_eq!(sent(&admin, "DescribeLogDirs"), 4);
    assert_eq!(sent(&admin, "ApiVersions"), 3, "one connection per broker");
}

#[tokio::test]
async fn reassignments_start_list_and_cancel() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    assert!(admin.list_partition_reassignments().await.unwrap().is_empty());
    let outcomes = admin
        .alter_partition_reassignments(&[
            ReassignmentRequest {
                topic: "kf_metrics_topic".into(),
                partition: 0,
                target: Some(vec![100, 102]),
            },
            ReassignmentRequest {
                topic: "kf_metrics_topic".into(),
                partition: 1,
                target: Some(vec![102, 999]),
            },
        ])
        .await
        .unwrap();
    assert_eq!(outcomes[0], (TopicPartition::new("kf_metrics_topic", 0), Ok(())));
    let refused = outcomes[1].1.as_ref().unwrap_err();
    assert_eq!(refused.code_name(), Some("INVALID_REPLICA_ASSIGNMENT"), "{refused}");
    assert!(
        refused.to_string().contains("topic kf_metrics_topic partition 1"),
        "{refused}"
    );

    // The model clock is frozen: the copy stays in flight.
    let listed = admin.list_partition_reassignments().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].replicas.clone(),
            listed[0].adding_replicas.clone(),
            listed[0].removing_replicas.clone()
        ),
        (vec![100, 102, 101], vec![100], vec![101])
    );

    let cancel = admin
        .alter_partition_reassignments(&[ReassignmentRequest {
            topic: "kf_metrics_topic".into(),
            partition: 0,
            target: None,
        }])
        .await
        .unwrap();
    assert!(cancel[0].1.is_ok(), "{cancel:?}");
    assert!(admin.list_partition_reassignments().await.unwrap().is_empty());
    assert_eq!(fake.mutation_counts().get("AlterPartitionReassignments"), Some(&2));
}

#[tokio::test]
async fn create_partitions_with_and_without_an_assignment() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let outcomes = admin
        .create_partitions(&[
            NewPartitions {
                topic: "kf_metrics_topic".into(),
                total_count: 4,
                assignment: Some(vec![vec![100, 101], vec![101, 102]]),
            },
            NewPartitions {
                topic: "kf_logs_topic".into(),
                total_count: 8,
                assignment: None,
            },
        ])
        .await
        .unwrap();
    assert!(outcomes.iter().all(|(_, r)| r.is_ok()), "{outcomes:?}");
    let metadata = admin.metadata().await.unwrap();
    let metrics = metadata.topics.iter().find(|t| t.name == "kf_metrics_topic").unwrap();
    let placed: Vec<Vec<i32>> = metrics.partitions.iter().map(|p| p.replicas.clone()).collect();
    assert_eq!(placed[2..], [vec![100, 101], vec![101, 102]]);
    let logs = metadata.topics.iter().find(|t| t.name == "kf_logs_topic").unwrap();
    assert_eq!(logs.partitions.len(), 8);
    assert_eq!(fake.mutation_counts().get("CreatePartitions"), Some(&1));
}

#[tokio::test]
async fn configs_are_described_per_broker_and_altered() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let keys = [
        "leader.replication.throttled.rate",
        "follower.replication.throttled.rate",
        "leader.replication.throttled.replicas",
        "follower.replication.throttled.replicas",
    ];
    let resources = [
        ConfigResource::Broker(101),
        ConfigResource::Broker(100),
        ConfigResource::Topic("kf_logs_topic".into()),
    ];
    let described = admin.describe_configs(&resources, Some(&keys)).await.unwrap();
    assert_eq!(
        described.iter().map(|r| r.resource.clone()).collect::<Vec<_>>(),
        resources
    );
    let rate = described[0]
        .entries
        .iter()
        .find(|e| e.name == "leader.replication.throttled.rate")
        .unwrap();
    assert_eq!(
        (rate.value.as_deref(), rate.source),
        (Some("500000"), ConfigSource::DynamicBroker)
    );
    assert!(
        !described[1].entries.iter().any(|e| e.source.is_dynamic()),
        "{:?}",
        described[1]
    );
    let replicas = described[2]
        .entries
        .iter()
        .find(|e| e.name == "follower.replication.throttled.replicas")
        .unwrap();
    assert_eq!(
        (replicas.value.as_deref(), replicas.source),
        (Some("0:101"), ConfigSource::DynamicTopic)
    );
    // One request per broker; the topic rode along with broker 100's.
    assert_eq!(sent(&admin, "DescribeConfigs"), 2);

    let outcomes = admin
        .incremental_alter_configs(&[
            ConfigChange {
                resource: ConfigResource::Broker(100),
                name: "follower.replication.throttled.rate".into(),
                op: ConfigOp::Set("1000000".into()),
            },
            ConfigChange {
                resource: ConfigResource::Broker(101),
                name: "leader.replication.throttled.rate".into(),
                op: ConfigOp::Delete,
            },
            ConfigChange {
                resource: ConfigResource::Topic("kf_logs_topic".into()),
                name: "leader.replication.throttled.replicas".into(),
                op: ConfigOp::Set("1:100".into()),
            },
            ConfigChange {
                resource: ConfigResource::Topic("kf_metrics_topic".into()),
                name: "leader.replication.throttled.replicas".into(),
                op: ConfigOp::Set("not a list".into()),
            },
        ])
        .await
        .unwrap();
    let results: Vec<(ConfigResource, Option<String>)> = outcomes
        .iter()
        .map(|(r, o)| {
            (
                r.clone(),
                o.as_ref().err().and_then(|e| e.code_name().map(String::from)),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            (ConfigResource::Broker(100), None),
            (ConfigResource::Broker(101), None),
            (ConfigResource::Topic("kf_logs_topic".into()), None),
            (
                ConfigResource::Topic("kf_metrics_topic".into()),
                Some("INVALID_CONFIG".into())
            ),
        ]
    );
    fake.with_cluster(|c| {
        assert_eq!(
            c.configs.broker_value(100, "follower.replication.throttled.rate"),
            Some("1000000")
        );
        assert_eq!(c.configs.broker_value(101, "leader.replication.throttled.rate"), None);
        assert_eq!(
            c.configs
                .topic_value("kf_logs_topic", "leader.replication.throttled.replicas"),
            Some("1:100")
        );
    });
}

#[tokio::test]
async fn groups_committed_offsets_and_end_offsets() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let groups = admin.list_groups().await.unwrap();
    let ids: Vec<&str> = groups.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(ids, ["kf_logs_REALTIME", "kf_metrics_REALTIME"]);
    for group in &groups {
        assert_eq!(
            Some(group.coordinator),
            fake.with_cluster(|c| c.coordinator(&group.group_id))
        );
    }
    assert_eq!(sent(&admin, "ListGroups"), 3, "one per broker");

    let names: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let committed = admin.offset_fetch(&names).await.unwrap();
    let logs = &committed["kf_logs_REALTIME"];
    assert_eq!(logs.len(), 6);
    assert!(
        logs.iter().all(|o| o.topic == "kf_logs_topic" && o.offset == 4700),
        "{logs:?}"
    );
    let metrics = &committed["kf_metrics_REALTIME"];
    assert_eq!(
        metrics.iter().map(|o| (o.partition, o.offset)).collect::<Vec<_>>(),
        [(0, 4000)]
    );
    assert_eq!(
        sent(&admin, "FindCoordinator"),
        1,
        "both groups in one FindCoordinator (v4+)"
    );

    let mut partitions: Vec<TopicPartition> = (0..6).map(|p| TopicPartition::new("kf_logs_topic", p)).collect();
    partitions.push(TopicPartition::new("kf_metrics_topic", 0));
    partitions.push(TopicPartition::new("kf_metrics_topic", 1));
    let ends = admin.list_offsets_latest(&partitions).await.unwrap();
    assert_eq!(ends.len(), 8);
    assert!(
        (0..6).all(|p| ends[&TopicPartition::new("kf_logs_topic", p)] == 5000),
        "{ends:?}"
    );
    assert_eq!(ends[&TopicPartition::new("kf_metrics_topic", 0)], 7000);
    assert_eq!(ends[&TopicPartition::new("kf_metrics_topic", 1)], 9000);
    assert!(
        sent(&admin, "ListOffsets") <= 3,
        "batched per leader: {:?}",
        admin.request_counts()
    );
    assert_eq!(
        sent(&admin, "Metadata"),
        2,
        "brokers for ListGroups, then the leaders of both topics"
    );
}
