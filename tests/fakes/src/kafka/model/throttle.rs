//! Replication throttles as a broker applies them (ReplicationQuotaManager): a topic's
//! `leader|follower.replication.throttled.replicas` says which replicas are throttled, a broker's
//! `leader|follower.replication.throttled.rate` caps the bytes per second of all of its throttled
//! replication traffic together.
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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

/// Parsed throttled-replica lists, kept while a topic's config value stays the same: a
/// reassignment of thousands of partitions names them all in one value, and the model asks about
/// every copy at every event (re-parsing made a big reassignment quadratic).
#[derive(Debug, Default)]
pub struct ListCache {
    parsed: RefCell<BTreeMap<ListKey, (String, Arc<ThrottledReplicas>)>>,
}

/// (topic, config name).
type ListKey = (String, &'static str);

impl ListCache {
    /// The topic's list `list_config` (None when the topic does not set it).
    pub fn get(&self, configs: &ConfigStore, topic: &str, list_config: &'static str) -> Option<Arc<ThrottledReplicas>> {
        let value = configs.topic_value(topic, list_config)?;
        let mut parsed = self.parsed.borrow_mut();
        let key = (topic.to_string(), list_config);
        if let Some((seen, list)) = parsed.get(&key)
            && seen == value
        {
            return Some(Arc::clone(list));
        }
        let list = Arc::new(ThrottledReplicas::parse(value));
        parsed.insert(key, (value.to_string(), Arc::clone(&list)));
        Some(list)
    }
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
