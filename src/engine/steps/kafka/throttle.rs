//! The replication throttle around the moves, as `kafka-reassign-partitions --throttle` sets it: on
//! each moving topic, the current replicas of its moving partitions are leader-throttled and the new
//! ones follower-throttled; on each broker that sends or receives, both rates. Only throttled
//! replicas are slowed, so producers and consumers keep their bandwidth.
//!
//! The throttle is kfscale's only: before it sets any, it records the throttle configs already on
//! those brokers and topics (the customer's); at the end it removes only the values it set itself
//! (a value someone changed since is theirs) and puts the customer's back. It is never removed
//! while a move it throttles is still copying (the reassignment step decides when).
use std::collections::{BTreeMap, BTreeSet};

use kfscale_kafka::{ConfigChange, ConfigOp, ConfigResource, ConfigSource, KafkaAdmin, first_error};
use serde::{Deserialize, Serialize};

use super::moves::Move;
use crate::engine::context::StepError;

pub const LEADER_REPLICAS: &str = "leader.replication.throttled.replicas";
pub const FOLLOWER_REPLICAS: &str = "follower.replication.throttled.replicas";
pub const LEADER_RATE: &str = "leader.replication.throttled.rate";
pub const FOLLOWER_RATE: &str = "follower.replication.throttled.rate";
const NAMES: [&str; 4] = [LEADER_REPLICAS, FOLLOWER_REPLICAS, LEADER_RATE, FOLLOWER_RATE];

/// The throttle configs wanted, resource by resource.
pub type Configs = BTreeMap<ConfigResource, Vec<(&'static str, String)>>;

/// A broker or a topic, as the state file records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Topic(String),
    Broker(i32),
}

/// One throttle config on one broker or topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConfigValue {
    pub target: Target,
    pub name: String,
    pub value: String,
}

/// The throttle, recorded before it is set, so a resumed or failed apply knows what is its own to
/// remove and what to put back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttled {
    pub topics: Vec<String>,
    pub brokers: Vec<i32>,
    /// The throttle configs those brokers and topics had before kfscale set any (the customer's).
    #[serde(default)]
    pub earlier: Vec<ConfigValue>,
    /// What kfscale set. A state written before this was recorded has none: then every throttle
    /// config on the recorded resources is removed, as that kfscale did.
    #[serde(default)]
    pub ours: Vec<ConfigValue>,
}

impl Target {
    fn resource(&self) -> ConfigResource {
        match self {
            Target::Topic(topic) => ConfigResource::Topic(topic.clone()),
            Target::Broker(id) => ConfigResource::Broker(*id),
        }
    }

    fn of(resource: &ConfigResource) -> Option<Target> {
        match resource {
            ConfigResource::Topic(topic) => Some(Target::Topic(topic.clone())),
            ConfigResource::Broker(id) => Some(Target::Broker(*id)),
            ConfigResource::BrokerDefault => None,
        }
    }
}

impl Throttled {
    fn resources(&self) -> Vec<ConfigResource> {
        self.topics
            .iter()
            .map(|t| ConfigResource::Topic(t.clone()))
            .chain(self.brokers.iter().map(|b| ConfigResource::Broker(*b)))
            .collect()
    }

    fn earlier_value(&self, target: &Target, name: &str) -> Option<&str> {
        self.earlier
            .iter()
            .find(|c| c.target == *target && c.name == name)
            .map(|c| c.value.as_str())
    }
}

/// The configs the throttle needs, resource by resource.
pub fn throttle_configs(moves: &[Move], rate: u64) -> Configs {
    let mut leaders: BTreeMap<&str, BTreeSet<(i32, i32)>> = BTreeMap::new();
    let mut followers: BTreeMap<&str, BTreeSet<(i32, i32)>> = BTreeMap::new();
    let mut brokers = BTreeSet::new();
    for planned in moves.iter().filter(|m| !m.adding().is_empty()) {
        for broker in &planned.from {
            leaders
                .entry(&planned.topic)
                .or_default()
                .insert((planned.partition, *broker));
        }
        for broker in planned.adding() {
            followers
                .entry(&planned.topic)
                .or_default()
                .insert((planned.partition, broker));
        }
        brokers.extend(planned.from.iter().chain(planned.to.iter()).copied());
    }
    let list = |pairs: &BTreeSet<(i32, i32)>| {
        pairs
            .iter()
            .map(|(p, b)| format!("{p}:{b}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut configs: Configs = BTreeMap::new();
    for (topic, pairs) in &leaders {
        let entry = configs.entry(ConfigResource::Topic(topic.to_string())).or_default();
        entry.push((LEADER_REPLICAS, list(pairs)));
        if let Some(pairs) = followers.get(topic) {
            entry.push((FOLLOWER_REPLICAS, list(pairs)));
        }
    }
    for broker in brokers {
        configs.insert(
            ConfigResource::Broker(broker),
            vec![(LEADER_RATE, rate.to_string()), (FOLLOWER_RATE, rate.to_string())],
        );
    }
    configs
}

/// The record of a throttle about to be set on the resources of `configs`: where, and what the
/// customer had there before.
pub async fn record_earlier(admin: &KafkaAdmin, configs: &Configs) -> Result<Throttled, StepError> {
    let mut throttled = Throttled::default();
    for resource in configs.keys() {
        match resource {
            ConfigResource::Topic(topic) => throttled.topics.push(topic.clone()),
            ConfigResource::Broker(id) => throttled.brokers.push(*id),
            ConfigResource::BrokerDefault => {}
        }
    }
    throttled.earlier = values(current(admin, &throttled.resources()).await?);
    Ok(throttled)
}

/// What kfscale sets: its own configs, with a customer's replica list kept in it (a `*` stays `*`,
/// a list becomes the union), so their throttle goes on working while kfscale's runs.
pub fn with_earlier(configs: &Configs, throttled: &Throttled) -> Vec<ConfigValue> {
    let mut ours = Vec::new();
    for (resource, entries) in configs {
        let Some(target) = Target::of(resource) else {
            continue;
        };
        for (name, value) in entries {
            let value = match throttled.earlier_value(&target, name) {
                Some(earlier) if name.ends_with(".replicas") => union_of_replicas(earlier, value),
                _ => value.clone(),
            };
            ours.push(ConfigValue {
                target: target.clone(),
                name: name.to_string(),
                value,
            });
        }
    }
    ours
}

fn union_of_replicas(earlier: &str, ours: &str) -> String {
    if earlier.trim() == "*" {
        return "*".into();
    }
    let all: BTreeSet<&str> = earlier
        .split(',')
        .chain(ours.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    all.into_iter().collect::<Vec<_>>().join(",")
}

/// Sets the configs that differ from what the cluster has (a resumed apply sets nothing twice).
pub async fn set(admin: &KafkaAdmin, ours: &[ConfigValue]) -> Result<usize, StepError> {
    let resources: BTreeSet<ConfigResource> = ours.iter().map(|c| c.target.resource()).collect();
    let now = current(admin, &resources.into_iter().collect::<Vec<_>>()).await?;
    let changes: Vec<ConfigChange> = ours
        .iter()
        .filter(|c| now.get(&(c.target.resource(), c.name.clone())) != Some(&c.value))
        .map(|c| ConfigChange {
            resource: c.target.resource(),
            name: c.name.clone(),
            op: ConfigOp::Set(c.value.clone()),
        })
        .collect();
    if !changes.is_empty() {
        first_error(admin.incremental_alter_configs(&changes).await?)?;
    }
    Ok(changes.len())
}

/// What removing the throttle did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub deleted: usize,
    /// The customer's earlier values put back.
    pub restored: usize,
    /// kfscale's values someone changed since: theirs now, left alone.
    pub left: usize,
}

impl std::fmt::Display for Removed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} throttle config(s) removed", self.deleted)?;
        if self.restored > 0 {
            write!(f, ", {} earlier value(s) restored", self.restored)?;
        }
        if self.left > 0 {
            write!(f, ", {} changed by someone else since and left alone", self.left)?;
        }
        Ok(())
    }
}

/// Takes kfscale's throttle off: each value it set and still finds is deleted, or set back to the
/// customer's earlier value. Call it only when no move it throttles is in flight.
pub async fn remove(admin: &KafkaAdmin, throttled: &Throttled) -> Result<Removed, StepError> {
    let resources = throttled.resources();
    if resources.is_empty() {
        return Ok(Removed::default());
    }
    let now = current(admin, &resources).await?;
    let mut removed = Removed::default();
    let mut changes = Vec::new();
    let legacy = throttled.ours.is_empty();
    for ((resource, name), value) in &now {
        let Some(target) = Target::of(resource) else {
            continue;
        };
        let ours = throttled.ours.iter().find(|c| c.target == target && c.name == *name);
        match ours {
            Some(ours) if ours.value != *value => removed.left += 1,
            None if !legacy => {}
            _ => {
                let op = match throttled.earlier_value(&target, name) {
                    Some(earlier) => {
                        removed.restored += 1;
                        ConfigOp::Set(earlier.to_string())
                    }
                    None => {
                        removed.deleted += 1;
                        ConfigOp::Delete
                    }
                };
                changes.push(ConfigChange {
                    resource: resource.clone(),
                    name: name.clone(),
                    op,
                });
            }
        }
    }
    // An earlier value kfscale's own replaced and someone then deleted stays deleted: not ours.
    if !changes.is_empty() {
        first_error(admin.incremental_alter_configs(&changes).await?)?;
    }
    Ok(removed)
}

fn values(now: BTreeMap<(ConfigResource, String), String>) -> Vec<ConfigValue> {
    now.into_iter()
        .filter_map(|((resource, name), value)| {
            Some(ConfigValue {
                target: Target::of(&resource)?,
                name,
                value,
            })
        })
        .collect()
}

/// The throttle configs set dynamically on these resources now.
async fn current(
    admin: &KafkaAdmin,
    resources: &[ConfigResource],
) -> Result<BTreeMap<(ConfigResource, String), String>, StepError> {
    let names = NAMES;
    let described = admin.describe_configs(resources, Some(&names)).await?;
    let mut now = BTreeMap::new();
    for configs in described {
        for entry in configs.entries {
            // Only what is set on the resource itself: a cluster-wide default is not ours to remove.
            let own = matches!(
                (&configs.resource, entry.source),
                (ConfigResource::Topic(_), ConfigSource::DynamicTopic)
                    | (ConfigResource::Broker(_), ConfigSource::DynamicBroker)
            );
            if own
                && names.contains(&entry.name.as_str())
                && let Some(value) = entry.value
            {
                now.insert((configs.resource.clone(), entry.name), value);
            }
        }
    }
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_replicas_lead_and_new_ones_follow_on_the_moving_partitions_only() {
        let moves = vec![
            Move {
                topic: "a".into(),
                partition: 3,
                from: vec![1, 2],
                to: vec![1, 4],
                bytes: None,
            },
            // A reorder copies nothing: no throttle for it.
            Move {
                topic: "b".into(),
                partition: 0,
                from: vec![1, 2],
                to: vec![2, 1],
                bytes: None,
            },
        ];
        let configs = throttle_configs(&moves, 1000);
        assert_eq!(
            configs[&ConfigResource::Topic("a".into())],
            vec![
                (LEADER_REPLICAS, "3:1,3:2".to_string()),
                (FOLLOWER_REPLICAS, "3:4".to_string())
            ]
        );
        assert!(!configs.contains_key(&ConfigResource::Topic("b".into())));
        let brokers: Vec<_> = configs
            .keys()
            .filter_map(|r| match r {
                ConfigResource::Broker(id) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(brokers, vec![1, 2, 4]);
    }

    #[test]
    fn a_customers_replica_list_stays_in_ours_and_a_star_stays_a_star() {
        assert_eq!(union_of_replicas("0:5,3:1", "3:1,3:2"), "0:5,3:1,3:2");
        assert_eq!(union_of_replicas("*", "3:1"), "*");
        let configs: Configs = BTreeMap::from([
            (
                ConfigResource::Topic("a".into()),
                vec![(LEADER_REPLICAS, "3:1".to_string())],
            ),
            (ConfigResource::Broker(1), vec![(LEADER_RATE, "100".to_string())]),
        ]);
        let throttled = Throttled {
            topics: vec!["a".into()],
            brokers: vec![1],
            earlier: vec![
                ConfigValue {
                    target: Target::Topic("a".into()),
                    name: LEADER_REPLICAS.into(),
                    value: "0:5".into(),
                },
                ConfigValue {
                    target: Target::Broker(1),
                    name: LEADER_RATE.into(),
                    value: "7".into(),
                },
            ],
            ours: vec![],
        };
        let ours = with_earlier(&configs, &throttled);
        assert_eq!(ours[0].value, "0:5,3:1");
        // The rate is the one the operator configured for this apply; the customer's comes back after.
        assert_eq!(ours[1].value, "100");
    }
}
