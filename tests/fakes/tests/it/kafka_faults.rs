//! Fault injection (error codes, latency, dropped connections, apply-then-fail) and the count of
//! mutating requests on the control endpoint.

use std::time::{Duration, Instant};

use crate::kafka_common::ops::{list_reassignments, reassign};
use crate::kafka_common::{client, name, seed, start};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::{ApiKey, CreatePartitionsRequest, MetadataRequest};
use kfscale_fakes::kafka::FakeKafka;
use serde_json::{Value, json};

const SEED: &str = r#"{
  "brokers": [{"id": 100}, {"id": 101}, {"id": 102}],
  "topics": [{"name": "kf_logs_topic", "partition_count": 2, "replication_factor": 2}]
}"#;

async fn post_fault(fake: &FakeKafka, body: Value) -> anyhow::Result<reqwest::Response> {
    Ok(reqwest::Client::new()
        .post(format!("{}/_control/faults", fake.control_url()))
        .json(&body)
        .send()
        .await?)
}

async fn get(fake: &FakeKafka, path: &str) -> anyhow::Result<Value> {
    Ok(reqwest::get(format!("{}{path}", fake.control_url()))
        .await?
        .json()
        .await?)
}

fn grow(count: i32, validate_only: bool) -> CreatePartitionsRequest {
    let t = CreatePartitionsTopic::default()
        .with_name(name("kf_logs_topic"))
        .with_count(count)
        .with_assignments(None);
    CreatePartitionsRequest::default()
        .with_topics(vec![t])
        .with_timeout_ms(1000)
        .with_validate_only(validate_only)
}

#[tokio::test]
async fn an_error_fault_fails_that_many_requests_without_applying_them() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let armed = post_fault(
        &fake,
        json!({"api": "CreatePartitions", "error": "NOT_CONTROLLER", "count": 1}),
    )
    .await?;
    assert!(armed.status().is_success());
    let mut c = client(&fake, 100).await?;
    let first = c.send(grow(4, false), 3).await?;
    assert_eq!(first.results[0].error_code, ResponseError::NotController.code());
    assert_eq!(
        fake.with_cluster(|c| c.topics["kf_logs_topic"].partitions.len()),
        2,
        "not applied"
    );
    let second = c.send(grow(4, false), 3).await?;
    assert_eq!(second.results[0].error_code, 0);

    assert_eq!(get(&fake, "/_control/mutations").await?, json!({"CreatePartitions": 2}));
    let log = get(&fake, "/_control/mutations/log").await?;
    assert_eq!(log[0]["processed"], json!(false));
    assert_eq!(log[0]["fault"], json!(1));
    assert_eq!(log[1]["processed"], json!(true));
    assert_eq!(log[1]["request"], json!({"topics": {"kf_logs_topic": 4}}));
    Ok(())
}

#[tokio::test]
async fn an_applied_then_failed_request_changes_the_cluster_and_a_blind_retry_shows_it() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    post_fault(
        &fake,
        json!({"api": "CREATE_PARTITIONS", "error": "REQUEST_TIMED_OUT", "apply": true, "count": 1}),
    )
    .await?;
    let mut c = client(&fake, 101).await?;
    let first = c.send(grow(4, false), 3).await?;
    assert_eq!(first.results[0].error_code, ResponseError::RequestTimedOut.code());
    assert_eq!(
        fake.with_cluster(|c| c.topics["kf_logs_topic"].partitions.len()),
        4,
        "applied before failing"
    );
    let retry = c.send(grow(4, false), 3).await?;
    assert_eq!(retry.results[0].error_code, ResponseError::InvalidPartitions.code());
    assert_eq!(fake.mutation_counts().get("CreatePartitions"), Some(&2));
    Ok(())
}

#[tokio::test]
async fn validate_only_requests_are_not_mutations() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    assert_eq!(c.send(grow(4, true), 3).await?.results[0].error_code, 0);
    assert!(fake.mutation_counts().is_empty());
    reassign(&mut c, "kf_logs_topic", &[(0, Some(&[101, 102]))]).await?;
    assert_eq!(fake.mutation_counts().get("AlterPartitionReassignments"), Some(&1));
    list_reassignments(&mut c).await?;
    assert_eq!(fake.mutation_counts().len(), 1, "reads are not counted");
    Ok(())
}

#[tokio::test]
async fn latency_delays_the_answer() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    post_fault(&fake, json!({"api": "Metadata", "latency_ms": 300, "count": 1})).await?;
    let mut c = client(&fake, 100).await?;
    let started = Instant::now();
    let response = c.send(MetadataRequest::default().with_topics(None), 12).await?;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.topics.len(), 1, "a slow answer is still an answer");
    Ok(())
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_only_the_named_broker_is_hit() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    post_fault(
        &fake,
        json!({"api": "ListPartitionReassignments", "broker": 101, "drop_connection": true}),
    )
    .await?;
    let mut c = client(&fake, 100).await?;
    assert!(list_reassignments(&mut c).await.is_ok(), "broker 100 is not faulted");
    let mut c = client(&fake, 101).await?;
    let mut body = bytes::BytesMut::new();
    kafka_protocol::protocol::Encodable::encode(
        &kafka_protocol::messages::ListPartitionReassignmentsRequest::default().with_topics(None),
        &mut body,
        0,
    )?;
    assert!(
        c.send_raw(ApiKey::ListPartitionReassignments as i16, 0, &body)
            .await?
            .is_none()
    );
    // Forever until cleared.
    let mut c = client(&fake, 101).await?;
    assert!(
        c.send_raw(ApiKey::ListPartitionReassignments as i16, 0, &body)
            .await?
            .is_none()
    );
    let listed = get(&fake, "/_control/faults").await?;
    assert_eq!(listed["requests"][0]["hits"], json!(2));
    reqwest::Client::new()
        .delete(format!("{}/_control/faults", fake.control_url()))
        .send()
        .await?;
    let mut c = client(&fake, 101).await?;
    assert!(list_reassignments(&mut c).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn bad_fault_specs_are_refused() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    assert_eq!(
        post_fault(&fake, json!({"api": "Frobnicate", "error": "NOT_CONTROLLER"}))
            .await?
            .status(),
        400
    );
    assert_eq!(
        post_fault(&fake, json!({"api": "Metadata", "error": "NO_SUCH_ERROR"}))
            .await?
            .status(),
        400
    );
    assert_eq!(post_fault(&fake, json!({"api": "Metadata"})).await?.status(), 400);
    assert_eq!(
        post_fault(&fake, json!({"broker_away": {"broker": 999}}))
            .await?
            .status(),
        400
    );
    Ok(())
}
