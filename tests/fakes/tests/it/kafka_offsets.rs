//! Log end offsets and committed offsets on the model clock (consumer lag grows and shrinks),
//! ListOffsets' leader rule and sentinels, and the group coordinator's routing.

use crate::kafka_common::ops::{advance, lag};
use crate::kafka_common::{client, name, seed, start};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, GroupId, ListOffsetsRequest, OffsetFetchRequest};
use kafka_protocol::protocol::StrBytes;

const SEED: &str = r#"{
  "brokers": [{"id": 100}, {"id": 101}, {"id": 102}],
  "topics": [
    {"name": "kf_metrics_topic", "partitions": [{"replicas": [100, 101], "log_start_offset": 40}],
     "log_end_offset": 1000, "produce_per_sec": 100},
    {"name": "__consumer_offsets", "partition_count": 50, "replication_factor": 3}
  ],
  "groups": [{"group_id": "kf_metrics_REALTIME",
              "offsets": [{"topic": "kf_metrics_topic", "offset": 900, "consume_per_sec": 50}]}]
}"#;

const GROUP: &str = "kf_metrics_REALTIME";
const TOPIC: &str = "kf_metrics_topic";

#[tokio::test]
async fn lag_grows_with_a_slow_consumer_and_shrinks_when_it_speeds_up() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    assert_eq!(lag(&fake, GROUP, TOPIC, 0).await?, (1000, 900));
    advance(&fake, 10.0);
    assert_eq!(
        lag(&fake, GROUP, TOPIC, 0).await?,
        (2000, 1400),
        "100/s in, 50/s out: lag 100 -> 600"
    );

    let http = reqwest::Client::new();
    let url = format!("{}/_control/rates/consume", fake.control_url());
    let body = serde_json::json!({"group": GROUP, "topic": TOPIC, "per_sec": 300});
    assert!(http.post(&url).json(&body).send().await?.status().is_success());
    advance(&fake, 2.0);
    assert_eq!(
        lag(&fake, GROUP, TOPIC, 0).await?,
        (2200, 2000),
        "300/s out: lag 600 -> 200"
    );
    advance(&fake, 10.0);
    assert_eq!(
        lag(&fake, GROUP, TOPIC, 0).await?,
        (3200, 3200),
        "caught up, it follows the log end"
    );

    // The producer stops: the log end stands still.
    let url = format!("{}/_control/rates/produce", fake.control_url());
    let body = serde_json::json!({"topic": TOPIC, "per_sec": 0});
    assert!(http.post(&url).json(&body).send().await?.status().is_success());
    advance(&fake, 100.0);
    assert_eq!(lag(&fake, GROUP, TOPIC, 0).await?, (3200, 3200));
    Ok(())
}

async fn list_offset(
    fake: &kfscale_fakes::kafka::FakeKafka,
    broker: i32,
    timestamp: i64,
    epoch: i32,
) -> anyhow::Result<(i16, i64, i32)> {
    let mut c = client(fake, broker).await?;
    let p = ListOffsetsPartition::default()
        .with_partition_index(0)
        .with_timestamp(timestamp)
        .with_current_leader_epoch(epoch);
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(name(TOPIC))
                .with_partitions(vec![p]),
        ]);
    let response = c.send(request, 10).await?;
    let p = &response.topics[0].partitions[0];
    Ok((p.error_code, p.offset, p.leader_epoch))
}

#[tokio::test]
async fn list_offsets_answers_on_the_leader_only() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    assert_eq!(list_offset(&fake, 100, -1, -1).await?, (0, 1000, 0));
    assert_eq!(list_offset(&fake, 100, -2, -1).await?, (0, 40, 0));
    assert_eq!(list_offset(&fake, 100, -3, -1).await?.1, 999);
    assert_eq!(
        list_offset(&fake, 101, -1, -1).await?.0,
        ResponseError::NotLeaderOrFollower.code()
    );
    assert_eq!(
        list_offset(&fake, 100, -1, 3).await?.0,
        ResponseError::UnknownLeaderEpoch.code()
    );
    // After a leader change the old epoch is fenced and the new leader answers.
    fake.with_cluster(|c| c.broker_down(100));
    assert_eq!(
        list_offset(&fake, 101, -1, 0).await?.0,
        ResponseError::FencedLeaderEpoch.code()
    );
    assert_eq!(list_offset(&fake, 101, -1, 1).await?, (0, 1000, 1));
    Ok(())
}

#[tokio::test]
async fn offsets_by_timestamp_follow_the_produce_rate() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    advance(&fake, 10.0);
    let zero = fake.with_cluster(|c| c.epoch_ms(0));
    assert_eq!(list_offset(&fake, 100, zero + 2_500, -1).await?.1, 1250);
    assert_eq!(
        list_offset(&fake, 100, zero + 60_000, -1).await?.1,
        -1,
        "no record that new"
    );
    Ok(())
}

#[tokio::test]
async fn group_requests_go_to_the_leader_of_the_groups_offsets_partition() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    // abs("kf_metrics_REALTIME".hashCode()) % 50 names the __consumer_offsets partition.
    let (coordinator, expected) = fake.with_cluster(|c| {
        let hash = kfscale_fakes::kafka::model::groups::java_string_hash(GROUP) & 0x7fff_ffff;
        (
            c.coordinator(GROUP),
            c.partition("__consumer_offsets", hash % 50).map(|p| p.leader),
        )
    });
    assert_eq!(coordinator, expected);
    let coordinator = coordinator.unwrap_or(-1);
    let mut c = client(&fake, 100).await?;
    let response = c
        .send(
            FindCoordinatorRequest::default().with_coordinator_keys(vec![StrBytes::from_static_str(GROUP)]),
            6,
        )
        .await?;
    assert_eq!(response.coordinators[0].node_id.0, coordinator);

    let other = [100, 101, 102].into_iter().find(|&b| b != coordinator).unwrap_or(100);
    let mut c = client(&fake, other).await?;
    let request = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(StrBytes::from_static_str(GROUP)))
            .with_topics(None),
    ]);
    let response = c.send(request, 9).await?;
    assert_eq!(response.groups[0].error_code, ResponseError::NotCoordinator.code());
    Ok(())
}
