//! Where requests go: the controller (and after it moves), group coordinators, partition leaders;
//! and which versions they go out at.

use crate::common::{SEED, admin, fake, fault, sent};
use kfscale_fakes::kafka::shared::lock;
use kfscale_kafka::{NewPartitions, TopicPartition};
use serde_json::json;

fn grow(topic: &str, total_count: i32) -> Vec<NewPartitions> {
    vec![NewPartitions {
        topic: topic.into(),
        total_count,
        assignment: None,
    }]
}

/// (broker, processed) of every CreatePartitions the fake received.
fn create_partitions_log(fake: &kfscale_fakes::kafka::FakeKafka) -> Vec<(i32, bool)> {
    let shared = fake.shared();
    let mutations = lock(&shared.mutations);
    mutations
        .log()
        .iter()
        .filter(|m| m.api == "CreatePartitions")
        .map(|m| (m.broker, m.processed))
        .collect()
}

#[tokio::test]
async fn not_controller_refreshes_the_metadata_and_retries() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    admin.metadata().await.unwrap();
    fault(
        &fake,
        json!({"api": "CreatePartitions", "error": "NOT_CONTROLLER", "count": 1}),
    );
    let outcomes = admin.create_partitions(&grow("kf_metrics_topic", 3)).await.unwrap();
    assert!(outcomes[0].1.is_ok(), "{outcomes:?}");
    assert_eq!(create_partitions_log(&fake), [(100, false), (100, true)]);
    assert_eq!(sent(&admin, "CreatePartitions"), 2);
    assert_eq!(sent(&admin, "Metadata"), 2, "NOT_CONTROLLER refreshed the metadata");
}

#[tokio::test]
async fn controller_requests_follow_the_controller_when_it_moves() {
    // ZooKeeper layout: only the controller (the lowest live id) takes controller requests.
    let seed = r#"{
      "layout": "legacy",
      "brokers": [{"id": 0, "rack": "a"}, {"id": 1, "rack": "b"}, {"id": 2, "rack": "c"}],
      "topics": [{"name": "kf_metrics_topic", "partition_count": 2, "replication_factor": 2}]
    }"#;
    let fake = fake(seed).await;
    let admin = admin(&fake);
    assert_eq!(admin.metadata().await.unwrap().controller_id, Some(0));

    // The controller's broker stops: the request written on its connection breaks with no answer.
    // Carried out or not, nobody knows, so the client does not send the change again: it says so,
    // and the caller reads before it sends (here: still 2 partitions, so it grows them again).
    fake.with_cluster(|c| c.broker_down(0));
    let lost = admin.create_partitions(&grow("kf_metrics_topic", 3)).await.unwrap();
    assert!(lost[0].1.as_ref().is_err_and(|e| e.outcome_unknown()), "{lost:?}");
    let partitions = fake.with_cluster(|c| c.topics["kf_metrics_topic"].partitions.len());
    assert_eq!(partitions, 2);
    // The refresh names broker 1.
    assert!(
        admin.create_partitions(&grow("kf_metrics_topic", 3)).await.unwrap()[0]
            .1
            .is_ok()
    );
    // It comes back and is the controller again: broker 1 answers NOT_CONTROLLER.
    fake.with_cluster(|c| c.broker_up(0, Some("a".into())));
    assert!(
        admin.create_partitions(&grow("kf_metrics_topic", 4)).await.unwrap()[0]
            .1
            .is_ok()
    );

    // Broker 1 took the first; it refused the second (NOT_CONTROLLER), which broker 0 then took.
    assert_eq!(create_partitions_log(&fake), [(1, true), (1, true), (0, true)]);
    // Plus the first attempt, on broker 0's connection that broke before it was read.
    assert_eq!(sent(&admin, "CreatePartitions"), 4);
    let partitions = fake.with_cluster(|c| c.topics["kf_metrics_topic"].partitions.len());
    assert_eq!(partitions, 4);
}

#[tokio::test]
async fn offset_fetch_finds_the_coordinator_again_after_not_coordinator() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    fault(
        &fake,
        json!({"api": "OffsetFetch", "error": "NOT_COORDINATOR", "count": 1}),
    );
    let committed = admin.offset_fetch(&["kf_logs_REALTIME".to_string()]).await.unwrap();
    assert_eq!(committed["kf_logs_REALTIME"].len(), 6);
    assert_eq!(sent(&admin, "FindCoordinator"), 2);
    assert_eq!(sent(&admin, "OffsetFetch"), 2);
}

#[tokio::test]
async fn list_offsets_follow_the_leader_when_it_moves() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let metrics0 = TopicPartition::new("kf_metrics_topic", 0);
    assert_eq!(
        admin
            .list_offsets_latest(std::slice::from_ref(&metrics0))
            .await
            .unwrap()[&metrics0],
        7000
    );
    fake.with_cluster(|c| c.broker_down(101));
    assert_eq!(
        fake.with_cluster(|c| c.partition("kf_metrics_topic", 0).map(|p| p.leader)),
        Some(102)
    );
    assert_eq!(
        admin
            .list_offsets_latest(std::slice::from_ref(&metrics0))
            .await
            .unwrap()[&metrics0],
        7000
    );

    fault(
        &fake,
        json!({"api": "ListOffsets", "error": "NOT_LEADER_OR_FOLLOWER", "count": 1}),
    );
    let before = sent(&admin, "Metadata");
    assert_eq!(
        admin
            .list_offsets_latest(std::slice::from_ref(&metrics0))
            .await
            .unwrap()[&metrics0],
        7000
    );
    assert_eq!(
        sent(&admin, "Metadata"),
        before + 1,
        "NOT_LEADER_OR_FOLLOWER refreshed the leaders"
    );
}

#[tokio::test]
async fn versions_are_the_highest_both_sides_speak() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let versions = admin.negotiated_versions(100).await.unwrap();
    let expected = [
        ("ApiVersions", 4),
        ("Metadata", 13),
        ("DescribeCluster", 2),
        ("DescribeLogDirs", 4),
        ("ListPartitionReassignments", 0),
        ("AlterPartitionReassignments", 1),
        ("CreatePartitions", 3),
        ("DescribeConfigs", 4),
        ("IncrementalAlterConfigs", 1),
        ("ListGroups", 5),
        ("FindCoordinator", 6),
        ("OffsetFetch", 9),
        ("ListOffsets", 10),
    ];
    for (api, version) in expected {
        assert_eq!(versions.get(api), Some(&Some(version)), "{api}: {versions:?}");
    }
}
