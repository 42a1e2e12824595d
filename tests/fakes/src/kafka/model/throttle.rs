//! Replication throttles as a broker applies them (ReplicationQuotaManager): a topic's
//! `leader|follower.replication.throttled.replicas` says which replicas are throttled, a broker's
//! `leader|follower.replication.throttled.rate` caps the bytes per second of all of its throttled
//! replication traffic together.
use std::collections::BTreeSet;

use super::configs::ConfigStore;

pub const LEADER_REPLICAS: &str = "leader.replication.throttled.replicas";
pub const FOLLOWER_REPLICAS: &str = "follower.replication.throttled.replicas";
pub const LEADER_RATE: &str = "leader.replication.throttled.rate";
pub const FOLLOWER_RATE: &str = "follower.replication.throttled.rate";

/// A parsed throttled-replicas list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottledReplicas {
    All,
    Some(BTreeSet<(i32, i32)>),
}

impl ThrottledReplicas {
    /// `*` or `partition:broker,...`; anything malformed was refused when it was set.
    pub fn parse(value: &str) -> ThrottledReplicas {
        if value.trim() == "*" {
            return ThrottledReplicas::All;
        }
        let pairs = value
            .split(',')
            .filter_map(|entry| {
                let (p, b) = entry.trim().split_once(':')?;
                Some((p.parse().ok()?, b.parse().ok()?))
            })
            .collect();
        ThrottledReplicas::Some(pairs)
    }

    pub fn contains(&self, partition: i32, broker: i32) -> bool {
        match self {
            ThrottledReplicas::All => true,
            ThrottledReplicas::Some(pairs) => pairs.contains(&(partition, broker)),
        }
    }
}

/// Is the replica of `topic`/`partition` on `broker` throttled by the given list config?
pub fn is_throttled(configs: &ConfigStore, list_config: &str, topic: &str, partition: i32, broker: i32) -> bool {
    configs
        .topic_value(topic, list_config)
        .is_some_and(|v| ThrottledReplicas::parse(v).contains(partition, broker))
}

/// A broker's throttle rate in bytes per second, or None when it is unlimited (unset, or Kafka's
/// default `Long.MAX_VALUE`).
pub fn rate(configs: &ConfigStore, broker: i32, rate_config: &str) -> Option<f64> {
    let value: i64 = configs.broker_value(broker, rate_config)?.trim().parse().ok()?;
    if value == i64::MAX { None } else { Some(value as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_name_partition_broker_pairs_or_everything() {
        let list = ThrottledReplicas::parse("0:101, 1:102");
        assert!(list.contains(0, 101) && list.contains(1, 102));
        assert!(!list.contains(0, 102));
        assert!(ThrottledReplicas::parse("*").contains(7, 7));
        assert!(!ThrottledReplicas::parse("").contains(0, 0));
    }
}
