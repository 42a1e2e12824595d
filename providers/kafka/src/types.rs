//! What the admin operations take and return: plain data, no kfscale rules.
use std::fmt;

use crate::error::KafkaError;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "topic {} partition {}", self.topic, self.partition)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
    /// Registered but fenced (DescribeCluster v2 with fenced brokers); Metadata lists live ones only.
    pub fenced: bool,
}

/// DescribeCluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    /// The broker that takes controller requests (in KRaft a broker that forwards them).
    pub controller_id: Option<i32>,
    /// Sorted by id.
    pub brokers: Vec<BrokerInfo>,
}

/// Metadata of every topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    pub controller_id: Option<i32>,
    /// Sorted by id.
    pub brokers: Vec<BrokerInfo>,
    /// Sorted by name.
    pub topics: Vec<TopicMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    pub name: String,
    pub internal: bool,
    /// Sorted by partition.
    pub partitions: Vec<PartitionMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    pub partition: i32,
    /// None while the partition has no leader.
    pub leader: Option<i32>,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline: Vec<i32>,
    /// Kafka's name of the partition's error (`LEADER_NOT_AVAILABLE`), if any.
    pub error: Option<String>,
}

/// One log directory of a broker (DescribeLogDirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDir {
    pub path: String,
    /// Kafka's name of the directory's error (`KAFKA_STORAGE_ERROR`: offline), if any.
    pub error: Option<String>,
    /// Disk size and free bytes (v4+; None from older brokers).
    pub total_bytes: Option<u64>,
    pub usable_bytes: Option<u64>,
    pub replicas: Vec<ReplicaLog>,
}

/// A replica's log on one broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaLog {
    pub topic: String,
    pub partition: i32,
    pub size_bytes: u64,
    pub offset_lag: i64,
    /// A replica being moved between this broker's directories (AlterReplicaLogDirs).
    pub is_future: bool,
}

/// A reassignment in flight (ListPartitionReassignments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReassignment {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
}

/// Start a reassignment to `target`, or cancel the one in flight (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassignmentRequest {
    pub topic: String,
    pub partition: i32,
    pub target: Option<Vec<i32>>,
}

/// Grow a topic to `total_count` partitions; `assignment` places the new ones (one replica list per
/// new partition), else the controller does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartitions {
    pub topic: String,
    pub total_count: i32,
    pub assignment: Option<Vec<Vec<i32>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigResource {
    Topic(String),
    Broker(i32),
    /// The cluster-wide default of every broker (resource name `""`).
    BrokerDefault,
}

impl ConfigResource {
    /// Kafka's ConfigResource.Type id.
    pub(crate) fn type_id(&self) -> i8 {
        match self {
            ConfigResource::Topic(_) => 2,
            ConfigResource::Broker(_) | ConfigResource::BrokerDefault => 4,
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            ConfigResource::Topic(name) => name.clone(),
            ConfigResource::Broker(id) => id.to_string(),
            ConfigResource::BrokerDefault => String::new(),
        }
    }

    /// The broker a request about this resource must go to (KafkaAdminClient.nodeFor).
    pub(crate) fn node(&self) -> Option<i32> {
        match self {
            ConfigResource::Broker(id) => Some(*id),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigResource::Topic(name) => write!(f, "topic {name}"),
            ConfigResource::Broker(id) => write!(f, "broker {id}"),
            ConfigResource::BrokerDefault => f.write_str("the brokers' cluster default"),
        }
    }
}

/// Where a config value comes from (DescribeConfigs `config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    DynamicTopic,
    DynamicBroker,
    DynamicDefaultBroker,
    StaticBroker,
    Default,
    Other(i8),
}

impl ConfigSource {
    pub(crate) fn from_id(id: i8) -> ConfigSource {
        match id {
            1 => ConfigSource::DynamicTopic,
            2 => ConfigSource::DynamicBroker,
            3 => ConfigSource::DynamicDefaultBroker,
            4 => ConfigSource::StaticBroker,
            5 => ConfigSource::Default,
            other => ConfigSource::Other(other),
        }
    }

    /// Set at runtime (IncrementalAlterConfigs), as opposed to a file or a built-in default.
    pub fn is_dynamic(self) -> bool {
        matches!(
            self,
            ConfigSource::DynamicTopic | ConfigSource::DynamicBroker | ConfigSource::DynamicDefaultBroker
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// None for sensitive values and unset ones.
    pub value: Option<String>,
    pub source: ConfigSource,
    pub read_only: bool,
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceConfigs {
    pub resource: ConfigResource,
    pub entries: Vec<ConfigEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOp {
    Set(String),
    /// Back to the default.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChange {
    pub resource: ConfigResource,
    pub name: String,
    pub op: ConfigOp,
}

/// A consumer group as ListGroups shows it on its coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub protocol_type: String,
    /// v4+ (`Stable`, `Empty`, ...).
    pub state: Option<String>,
    /// v5+ (`classic`, `consumer`).
    pub group_type: Option<String>,
    /// The broker that listed it: its coordinator.
    pub coordinator: i32,
}

/// A group's committed offset of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    /// -1 when the group has not committed for this partition.
    pub offset: i64,
    pub metadata: Option<String>,
}

/// Per-entity outcome of a request that changes several things at once: a permanent error of one
/// entity does not undo the others.
pub type Outcomes<K> = Vec<(K, Result<(), KafkaError>)>;

/// The first error among `outcomes`, for callers that treat any failure as fatal.
pub fn first_error<K>(outcomes: Outcomes<K>) -> Result<(), KafkaError> {
    outcomes.into_iter().try_for_each(|(_, result)| result)
}
