//! Shared by the client's tests: a fake cluster in-process (frozen model clock) and a client for it.
#![allow(dead_code)]

use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::control::faults::FaultSpec;
use kfscale_fakes::kafka::seed::Seed;
use kfscale_kafka::{AdminOptions, BrokerAddress, KAFKA_RETRY, KafkaAdmin};

/// Three brokers with racks, two data topics and the offsets topic, two groups, throttles set.
pub const SEED: &str = r#"{
  "cluster_id": "kfscaleClientTest0001",
  "brokers": [{"id": 100, "rack": "a"}, {"id": 101, "rack": "b"}, {"id": 102, "rack": "c"}],
  "topics": [
    {"name": "kf_logs_topic", "partition_count": 6, "replication_factor": 2,
     "size_bytes": 1000, "log_end_offset": 5000,
     "configs": {"follower.replication.throttled.replicas": "0:101"}},
    {"name": "kf_metrics_topic", "size_bytes": 100, "log_end_offset": 9000,
     "partitions": [{"replicas": [101, 102], "leader": 101, "size_bytes": 2000, "log_end_offset": 7000},
                    {"replicas": [102, 100]}]},
    {"name": "__consumer_offsets", "partition_count": 3, "replication_factor": 1, "size_bytes": 10}
  ],
  "groups": [
    {"group_id": "kf_logs_REALTIME", "offsets": [{"topic": "kf_logs_topic", "lag": 300}]},
    {"group_id": "kf_metrics_REALTIME", "offsets": [{"topic": "kf_metrics_topic", "partition": 0, "offset": 4000}]}
  ],
  "broker_configs": {"101": {"leader.replication.throttled.rate": "500000"}}
}"#;

pub async fn fake(seed: &str) -> FakeKafka {
    FakeKafka::start(Seed::from_json(seed).expect("test seed"), ModelClock::new(0.0))
        .await
        .expect("start the Kafka fake")
}

pub fn bootstrap(fake: &FakeKafka) -> Vec<BrokerAddress> {
    fake.broker_addrs()
        .values()
        .map(|a| BrokerAddress::new(a.ip().to_string(), a.port()))
        .collect()
}

/// Short deadlines, so failure tests are quick; the backoff stays Kafka's.
pub fn options(bootstrap: Vec<BrokerAddress>) -> AdminOptions {
    let mut options = AdminOptions::direct(bootstrap);
    options.timeout = Duration::from_secs(5);
    options.request_timeout = Duration::from_secs(2);
    options.retry = KAFKA_RETRY;
    options
}

pub fn admin(fake: &FakeKafka) -> KafkaAdmin {
    KafkaAdmin::new(options(bootstrap(fake))).expect("client")
}

pub fn fault(fake: &FakeKafka, spec: serde_json::Value) {
    let spec: FaultSpec = serde_json::from_value(spec).expect("fault spec");
    fake.faults().add(spec).expect("add fault");
}

/// Requests of `api` the client sent.
pub fn sent(admin: &KafkaAdmin, api: &str) -> u64 {
    admin.request_counts().get(api).copied().unwrap_or(0)
}
