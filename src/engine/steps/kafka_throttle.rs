//! The replication throttle around the moves, as `kafka-reassign-partitions --throttle` sets it: on
//! each moving topic, the current replicas of its moving partitions are leader-throttled and the new
//! ones follower-throttled; on each broker that sends or receives, both rates. Only throttled
//! replicas are slowed, so producers and consumers keep their bandwidth. A forgotten throttle stays
//! forever, so it is removed at the end, also after a failure.
use std::collections::{BTreeMap, BTreeSet};

use kfscale_kafka::{ConfigChange, ConfigOp, ConfigResource, ConfigSource, KafkaAdmin, first_error};
use serde::{Deserialize, Serialize};

use super::kafka_moves::Move;
use crate::engine::context::StepError;

pub const LEADER_REPLICAS: &str = "leader.replication.throttled.replicas";
pub const FOLLOWER_REPLICAS: &str = "follower.replication.throttled.replicas";
pub const LEADER_RATE: &str = "leader.replication.throttled.rate";
pub const FOLLOWER_RATE: &str = "follower.replication.throttled.rate";

/// Where the throttle was set: recorded before it is set, so a resumed or failed apply knows what
/// to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttled {
    pub topics: Vec<String>,
    pub brokers: Vec<i32>,
}

/// The configs the throttle needs, resource by resource.
pub fn throttle_configs(moves: &[Move], rate: u64) -> BTreeMap<ConfigResource, Vec<(&'static str, String)>> {
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
    let mut configs: BTreeMap<ConfigResource, Vec<(&'static str, String)>> = BTreeMap::new();
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

pub fn throttled(configs: &BTreeMap<ConfigResource, Vec<(&'static str, String)>>) -> Throttled {
    let mut throttled = Throttled::default();
    for resource in configs.keys() {
        match resource {
            ConfigResource::Topic(topic) => throttled.topics.push(topic.clone()),
            ConfigResource::Broker(id) => throttled.brokers.push(*id),
            ConfigResource::BrokerDefault => {}
        }
    }
    throttled
}

/// Sets the configs that differ from what the cluster has (a resumed apply sets nothing twice).
pub async fn set(
    admin: &KafkaAdmin,
    configs: &BTreeMap<ConfigResource, Vec<(&'static str, String)>>,
) -> Result<usize, StepError> {
    let resources: Vec<ConfigResource> = configs.keys().cloned().collect();
    let names = [LEADER_REPLICAS, FOLLOWER_REPLICAS, LEADER_RATE, FOLLOWER_RATE];
    let now = current(admin, &resources, &names).await?;
    let changes: Vec<ConfigChange> = configs
        .iter()
        .flat_map(|(resource, entries)| {
            entries
                .iter()
                .filter(|(name, value)| now.get(&(resource.clone(), name.to_string())) != Some(value))
                .map(|(name, value)| ConfigChange {
                    resource: resource.clone(),
                    name: name.to_string(),
                    op: ConfigOp::Set(value.clone()),
                })
        })
        .collect();
    if !changes.is_empty() {
        first_error(admin.incremental_alter_configs(&changes).await?)?;
    }
    Ok(changes.len())
}

/// Deletes every throttle config still present on the recorded resources; returns how many.
pub async fn remove(admin: &KafkaAdmin, throttled: &Throttled) -> Result<usize, StepError> {
    let resources: Vec<ConfigResource> = throttled
        .topics
        .iter()
        .map(|t| ConfigResource::Topic(t.clone()))
        .chain(throttled.brokers.iter().map(|b| ConfigResource::Broker(*b)))
        .collect();
    if resources.is_empty() {
        return Ok(0);
    }
    let names = [LEADER_REPLICAS, FOLLOWER_REPLICAS, LEADER_RATE, FOLLOWER_RATE];
    let now = current(admin, &resources, &names).await?;
    let changes: Vec<ConfigChange> = now
        .into_keys()
        .map(|(resource, name)| ConfigChange {
            resource,
            name,
            op: ConfigOp::Delete,
        })
        .collect();
    if !changes.is_empty() {
        first_error(admin.incremental_alter_configs(&changes).await?)?;
    }
    Ok(changes.len())
}

/// The throttle configs set dynamically on these resources now.
async fn current(
    admin: &KafkaAdmin,
    resources: &[ConfigResource],
    names: &[&str],
) -> Result<BTreeMap<(ConfigResource, String), String>, StepError> {
    let described = admin.describe_configs(resources, Some(names)).await?;
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
        assert_eq!(
            throttled(&configs),
            Throttled {
                topics: vec!["a".into()],
                brokers: vec![1, 2, 4]
            }
        );
    }
}
