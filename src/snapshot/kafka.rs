//! Kafka as the admin protocol shows it.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kafka {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_id: Option<i32>,
    pub brokers: Vec<KafkaBroker>,
    pub topics: Vec<KafkaTopic>,
    #[serde(default)]
    pub reassignments: Vec<Reassignment>,
    #[serde(default)]
    pub throttles: Throttles,
    #[serde(default)]
    pub consumer_groups: Vec<ConsumerGroupOffsets>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaBroker {
    pub id: i32,
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaTopic {
    pub name: String,
    #[serde(default)]
    pub internal: bool,
    pub partitions: Vec<KafkaPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaPartition {
    pub partition: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// Bytes of the leader's log (DescribeLogDirs), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// A reassignment in flight (ListPartitionReassignments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassignment {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
}

/// Replication throttles left in the dynamic configs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Throttles {
    /// Broker id -> config name (`leader.replication.throttled.rate`, ...) -> value.
    #[serde(default)]
    pub brokers: BTreeMap<i32, BTreeMap<String, String>>,
    /// Topic -> config name (`leader.replication.throttled.replicas`, ...) -> value.
    #[serde(default)]
    pub topics: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumerGroupOffsets {
    pub group: String,
    pub partitions: Vec<PartitionOffsets>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionOffsets {
    pub topic: String,
    pub partition: i32,
    pub end_offset: i64,
    /// -1 when the group has not committed for this partition.
    pub committed_offset: i64,
}

impl Kafka {
    pub fn topic(&self, name: &str) -> Option<&KafkaTopic> {
        self.topics.iter().find(|topic| topic.name == name)
    }

    pub fn has_throttles(&self) -> bool {
        !self.throttles.brokers.is_empty() || !self.throttles.topics.is_empty()
    }
}
