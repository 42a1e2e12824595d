//! Inputs and outputs of the balancer. Plain data, serializable, no behaviour.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::error::BalanceError;

/// A broker the cluster will have after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Broker {
    pub id: i32,
    /// Rack (availability zone); `None` when the cluster does not declare racks. All brokers
    /// have one or none. With racks, a partition keeps at most `ceil(RF / racks)` replicas per
    /// rack (distinct racks when RF <= racks).
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
    /// Bytes a copy of one replica moves, when known (DescribeLogDirs). Smaller partitions
    /// move first.
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
    /// Replicas that land on a broker that did not hold them (data copied); 0 for a reorder
    /// (new preferred leader) and for a creation.
    pub replicas_moved: usize,
    /// `replicas_moved * size_bytes`, when the size is known.
    pub bytes_moved: Option<u64>,
}

/// Per-broker replica, preferred-leader and byte counts.
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
    /// The fewest moves any balanced placement needs when only broker counts are considered:
    /// replicas above their broker's target plus new replicas that find no room (a new
    /// partition brings at most one replica to a broker). At least `lower_bound`, above it when
    /// per-topic and global balance conflict or new partitions cannot fill new brokers alone.
    /// When racks force an imbalance (`constraint_conflicts > 0`), the moves of the best plan
    /// the racks allow.
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
    /// Whether every existing partition came with `size_bytes` (else byte figures are partial).
    pub sizes_known: bool,
    /// Whether brokers have racks (then replicas of a partition are spread over racks).
    pub rack_aware: bool,
    /// Replicas per broker within 1 of each other per topic and over all topics.
    pub replicas_balanced: bool,
    /// Preferred leaders per broker within 1 of each other per topic.
    pub leaders_balanced: bool,
    /// Partitions that were not rack-valid and were moved to become so (costs moves beyond the
    /// count optimum).
    pub rack_fixes: usize,
    /// Times distinct-broker or rack constraints forced an extra move or left an imbalance; 0
    /// means `replicas_moved == count_optimum + moves of rack_fixes` and full balance.
    pub constraint_conflicts: usize,
    /// Human-readable notes where a constraint prevented full balance or the bound.
    pub notes: Vec<String>,
}
