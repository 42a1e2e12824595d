//! Failures: transient ones are retried, permanent ones come back typed with their fix, broken
//! connections are reopened, and an unreachable or wrong endpoint fails fast with what to do.

use std::time::{Duration, Instant};

use crate::common::{SEED, admin, fake, fault, options, sent};
use kfscale_kafka::{BrokerAddress, KafkaAdmin, KafkaError, NewPartitions};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn request_timed_out_is_retried_until_it_succeeds() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    fault(
        &fake,
        json!({"api": "ListPartitionReassignments", "error": "REQUEST_TIMED_OUT", "count": 2}),
    );
    assert!(admin.list_partition_reassignments().await.unwrap().is_empty());
    assert_eq!(sent(&admin, "ListPartitionReassignments"), 3);
}

#[tokio::test]
async fn a_permanent_error_comes_back_at_once_typed_with_its_fix() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    let outcomes = admin
        .create_partitions(&[NewPartitions {
            topic: "kf_metrics_topic".into(),
            total_count: 1,
            assignment: None,
        }])
        .await
        .unwrap();
    let error = outcomes[0].1.clone().unwrap_err();
    assert!(
        matches!(
            &error,
            KafkaError::Api {
                api: "CreatePartitions",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.code_name(), Some("INVALID_PARTITIONS"));
    assert_eq!(error.code(), Some(37));
    assert!(!error.is_retriable());
    let text = error.to_string();
    assert!(
        text.starts_with("Kafka CreatePartitions topic kf_metrics_topic: INVALID_PARTITIONS ("),
        "{text}"
    );
    assert!(text.contains("fix: partition counts only grow"), "{text}");
    assert_eq!(sent(&admin, "CreatePartitions"), 1, "not retried");
}

#[tokio::test]
async fn a_retriable_error_that_persists_gives_up_at_the_deadline() {
    let fake = fake(SEED).await;
    let mut options = options(crate::common::bootstrap(&fake));
    options.timeout = Duration::from_millis(1500);
    let admin = KafkaAdmin::new(options).unwrap();
    fault(
        &fake,
        json!({"api": "ListPartitionReassignments", "error": "NOT_CONTROLLER"}),
    );
    let started = Instant::now();
    let error = admin.list_partition_reassignments().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(matches!(error, KafkaError::GaveUp { .. }), "{error:?}");
    assert!(error.is_retriable());
    assert_eq!(error.code_name(), Some("NOT_CONTROLLER"));
    let text = error.to_string();
    assert!(
        text.contains("still failing after") && text.contains("kafka.timeout_seconds"),
        "{text}"
    );
    assert!(sent(&admin, "ListPartitionReassignments") >= 3);
}

#[tokio::test]
async fn giving_up_on_several_topics_names_each_topic_in_its_own_error() {
    let fake = fake(SEED).await;
    let mut options = options(crate::common::bootstrap(&fake));
    options.timeout = Duration::from_millis(1500);
    let admin = KafkaAdmin::new(options).unwrap();
    fault(&fake, json!({"api": "CreatePartitions", "error": "NOT_CONTROLLER"}));
    let grow = |topic: &str| NewPartitions {
        topic: topic.into(),
        total_count: 24,
        assignment: None,
    };
    let outcomes = admin
        .create_partitions(&[grow("kf_metrics_topic"), grow("kf_logs_topic")])
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 2);
    for (topic, outcome) in outcomes {
        let error = outcome.unwrap_err();
        assert!(matches!(error, KafkaError::GaveUp { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.contains(&format!("topic {topic}:")), "{topic}: {text}");
    }
}

#[tokio::test]
async fn a_dropped_connection_is_reopened() {
    let fake = fake(SEED).await;
    let admin = admin(&fake);
    fault(
        &fake,
        json!({"api": "DescribeLogDirs", "broker": 101, "drop_connection": true, "count": 1}),
    );
    let dirs = admin.describe_log_dirs(101).await.unwrap();
    assert!(!dirs[0].replicas.is_empty());
    assert_eq!(sent(&admin, "DescribeLogDirs"), 2);
    // Bootstrap connection to broker 100, then broker 101 twice.
    assert_eq!(sent(&admin, "ApiVersions"), 3);
}

#[tokio::test]
async fn a_silent_broker_times_out_and_the_error_says_what_to_do() {
    let fake = fake(SEED).await;
    let mut options = options(crate::common::bootstrap(&fake));
    options.timeout = Duration::from_millis(1200);
    options.request_timeout = Duration::from_millis(300);
    let admin = KafkaAdmin::new(options).unwrap();
    admin.metadata().await.unwrap();
    fault(&fake, json!({"api": "ListGroups", "latency_ms": 2000}));
    let error = admin.list_groups().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("Kafka ListGroups to broker") && text.contains("no answer within"),
        "{text}"
    );
    assert!(text.contains("kafka.timeout_seconds"), "{text}");
}

#[tokio::test]
async fn an_unreachable_bootstrap_fails_fast_with_a_fix() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let admin = KafkaAdmin::new(options(vec![BrokerAddress::new("127.0.0.1", port)])).unwrap();
    let started = Instant::now();
    let error = admin.metadata().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(matches!(error, KafkaError::Unreachable { .. }), "{error:?}");
    assert!(!error.is_retriable());
    let text = error.to_string();
    assert!(text.starts_with("Kafka: cannot reach any bootstrap server"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("fix: check that a Kafka broker listens on"), "{text}");
}

#[tokio::test]
async fn an_advertised_name_that_does_not_resolve_says_to_map_it() {
    let admin = KafkaAdmin::new(options(vec![BrokerAddress::new(
        "kafka-kraft-broker-0.kafka-kraft-broker-headless.kfuse.svc.cluster.local.invalid",
        9092,
    )]))
    .unwrap();
    let text = admin.metadata().await.unwrap_err().to_string();
    assert!(
        text.contains("kafka.address_map") && text.contains("kafka.port_forward"),
        "{text}"
    );
}

#[tokio::test]
async fn a_tls_listener_is_told_apart_from_kafka() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 512];
            let _ = socket.read(&mut buf).await;
            // A TLS alert record: what a TLS listener says to a plaintext client.
            let _ = socket.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]).await;
        }
    });
    let admin = KafkaAdmin::new(options(vec![BrokerAddress::new("127.0.0.1", port)])).unwrap();
    let text = admin.metadata().await.unwrap_err().to_string();
    assert!(
        text.contains("not Kafka's framing") && text.contains("PLAINTEXT"),
        "{text}"
    );
}

#[tokio::test]
async fn an_empty_bootstrap_list_is_refused() {
    let error = KafkaAdmin::new(options(Vec::new())).err().unwrap();
    assert!(error.to_string().contains("kafka.bootstrap"), "{error}");
}
