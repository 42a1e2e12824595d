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
    /// The pod this broker runs in, as observed (the pod its advertised host names). Absent in
    /// snapshots taken before kfscale recorded it: the planner then reads it from `host` by the
    /// same rule (`<pod>.<service>.<namespace>.svc...`), so an old snapshot plans the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
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

impl Throttles {
    pub fn is_empty(&self) -> bool {
        self.brokers.is_empty() && self.topics.is_empty()
    }

    /// These throttles less the configs that `before` had with the same value: what was set since.
    pub fn set_since(&self, before: &Throttles) -> Throttles {
        fn less<K: Ord + Clone>(
            now: &BTreeMap<K, BTreeMap<String, String>>,
            before: &BTreeMap<K, BTreeMap<String, String>>,
        ) -> BTreeMap<K, BTreeMap<String, String>> {
            now.iter()
                .map(|(key, configs)| {
                    let kept: BTreeMap<String, String> = configs
                        .iter()
                        .filter(|(name, value)| before.get(key).and_then(|b| b.get(*name)) != Some(*value))
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect();
                    (key.clone(), kept)
                })
                .filter(|(_, kept)| !kept.is_empty())
                .collect()
        }
        Throttles {
            brokers: less(&self.brokers, &before.brokers),
            topics: less(&self.topics, &before.topics),
        }
    }
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
        !self.throttles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_set_since_leave_out_what_was_there_with_the_same_value() {
        let configs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let before = Throttles {
            brokers: BTreeMap::from([(1, configs(&[("leader.replication.throttled.rate", "7")]))]),
            topics: BTreeMap::from([(
                "t".to_string(),
                configs(&[("leader.replication.throttled.replicas", "*")]),
            )]),
        };
        let now = Throttles {
            brokers: BTreeMap::from([
                (1, configs(&[("leader.replication.throttled.rate", "7")])),
                (2, configs(&[("leader.replication.throttled.rate", "100")])),
            ]),
            topics: BTreeMap::from([(
                "t".to_string(),
                configs(&[("leader.replication.throttled.replicas", "0:1")]),
            )]),
        };
        let since = now.set_since(&before);
        assert_eq!(since.brokers.keys().collect::<Vec<_>>(), vec![&2]);
        assert_eq!(since.topics["t"]["leader.replication.throttled.replicas"], "0:1");
        assert!(before.set_since(&before).is_empty());
    }
}
