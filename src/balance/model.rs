//! Inputs and outputs of the balancer. Plain data, serializable, no behaviour.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A broker the cluster will have after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Broker {
    pub id: i32,
    /// Rack (availability zone); `None` when the cluster does not declare racks.
    pub rack: Option<String>,
}

/// One partition as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Partition {
    pub topic: String,
    pub partition: i32,
    /// Current replicas, preferred leader first. Empty for a partition that does not exist yet
    /// (a partition the plan will create): placing it copies no data and is not a move.
    pub replicas: Vec<i32>,
    /// Replication factor; equals `replicas.len()` for existing partitions.
    pub replication_factor: usize,
    /// Bytes a copy of one replica moves, when known (DescribeLogDirs).
    pub size_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BalanceRequest {
    pub partitions: Vec<Partition>,
    /// The target broker set. Every replica in `partitions` must be on one of these brokers.
    pub brokers: Vec<Broker>,
}

/// A partition whose replica list changes (a move, a reorder of leaders, or a creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartitionChange {
    pub topic: String,
    pub partition: i32,
    /// Empty for a partition being created.
    pub old_replicas: Vec<i32>,
    pub new_replicas: Vec<i32>,
    /// Replicas that land on a broker that did not hold them (data copied).
    pub replicas_moved: usize,
    pub bytes_moved: Option<u64>,
}

/// Per-broker replica and preferred-leader counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BrokerLoad {
    pub replicas: usize,
    pub leaders: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BalanceResult {
    /// Only partitions that change, sorted by (topic, partition).
    pub changes: Vec<PartitionChange>,
    pub replicas_moved: usize,
    /// max(per-topic bound summed over topics, global bound).
    pub lower_bound: usize,
    pub per_topic_bound: usize,
    pub global_bound: usize,
    /// The fewest moves any balanced placement needs when only broker counts are considered
    /// (>= lower_bound; above it when per-topic and global balance conflict).
    pub count_optimum: usize,
    pub bytes_moved: u64,
    /// Partitions whose preferred leader changes.
    pub leaders_changed: usize,
    /// Partitions that only change replica order (no data copied).
    pub reorder_only: usize,
    /// Partitions created (empty `old_replicas`).
    pub created: usize,
    pub before: BTreeMap<i32, BrokerLoad>,
    pub after: BTreeMap<i32, BrokerLoad>,
    /// Human-readable notes where a constraint prevented full balance or the bound.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BalanceError {
    #[error("the balancer is not implemented yet")]
    NotImplemented,
    #[error(
        "partition {topic}-{partition} is on broker {broker}, which is not in the target broker set; add it to the broker list"
    )]
    UnknownBroker { topic: String, partition: i32, broker: i32 },
    #[error(
        "partition {topic}-{partition} has replication factor {replication_factor} but only {brokers} brokers are given; a partition needs that many distinct brokers"
    )]
    ReplicationFactorTooHigh {
        topic: String,
        partition: i32,
        replication_factor: usize,
        brokers: usize,
    },
    #[error("partition {topic}-{partition} lists broker {broker} twice in its replicas; fix the assignment")]
    DuplicateReplica { topic: String, partition: i32, broker: i32 },
    #[error("partition {topic}-{partition} appears twice in the assignment")]
    DuplicatePartition { topic: String, partition: i32 },
    #[error("broker {0} appears twice in the broker list")]
    DuplicateBroker(i32),
    #[error("the broker list is empty")]
    NoBrokers,
    #[error(
        "partition {topic}-{partition}: replication factor {replication_factor} does not match its {replicas} replicas"
    )]
    ReplicationFactorMismatch {
        topic: String,
        partition: i32,
        replication_factor: usize,
        replicas: usize,
    },
}
