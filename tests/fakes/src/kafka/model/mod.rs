//! The cluster the fake brokers share: brokers, topics and partitions, dynamic configs, consumer
//! groups, in-flight reassignments, and the model time they have been advanced to. Pure state and
//! rules, no I/O: the wire handlers and the control endpoint lock it, call [`Cluster::advance_to`]
//! with the model clock's time, then read or change it.
use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use crate::kafka::seed::{Layout, Seed, Settings};

pub mod configs;
pub mod elect;
pub mod groups;
pub mod lifecycle;
pub mod offsets;
pub mod out_of_sync;
pub mod partition;
pub mod placement;
pub mod reassign;
pub mod replication;
pub mod throttle;
pub mod topics;

use configs::ConfigStore;
use groups::Group;
use partition::Partition;
use replication::{BrokerAwayTrigger, Scheduled};

#[derive(Debug, Clone, Serialize)]
pub struct Broker {
    pub id: i32,
    pub host: String,
    /// 0 until the broker's listener is bound for the first time.
    pub port: u16,
    pub rack: Option<String>,
    /// Registered but not serving (its pod is gone or not Ready): no listener, no leadership, out of
    /// every ISR.
    pub fenced: bool,
    pub disk_bytes: i64,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub id: Uuid,
    pub partitions: Vec<Partition>,
}

impl Topic {
    pub fn is_internal(&self) -> bool {
        // Topic.isInternal: the two internal topics of Kafka.
        self.name == "__consumer_offsets" || self.name == "__transaction_state"
    }
}

/// Something that happened to the model, for the state dump and for debugging a test.
#[derive(Debug, Clone, Serialize)]
pub struct ModelEvent {
    pub at_ms: u64,
    pub what: String,
}

#[derive(Debug)]
pub struct Cluster {
    pub cluster_id: String,
    pub layout: Layout,
    pub settings: Settings,
    pub brokers: BTreeMap<i32, Broker>,
    pub topics: BTreeMap<String, Topic>,
    pub groups: BTreeMap<String, Group>,
    pub configs: ConfigStore,
    /// Model time (ms since the fake started) the state has been advanced to.
    pub now_ms: u64,
    /// Unix time in ms at model time 0: record timestamps are this plus model time.
    pub epoch_ms_at_zero: i64,
    pub triggers: Vec<BrokerAwayTrigger>,
    pub scheduled: Vec<Scheduled>,
    pub events: Vec<ModelEvent>,
    /// The topics' throttled-replica lists, parsed (a cache; see replication.rs).
    pub throttle_lists: throttle::ListCache,
    /// The partitions with a replica outside the ISR (an index; see out_of_sync.rs).
    pub out_of_sync: out_of_sync::OutOfSyncIndex,
}

/// Keeps the event list of a long run bounded.
const MAX_EVENTS: usize = 2000;

impl Cluster {
    /// The host broker `id` advertises in Metadata (its pod's DNS name when the seed asks for it).
    pub fn host_of(&self, id: i32) -> String {
        match &self.settings.pod_hosts {
            Some(pods) => pods.host_of(id),
            None => "127.0.0.1".to_string(),
        }
    }

    /// The cluster a seed describes, at model time `now_ms`.
    pub fn from_seed(seed: &Seed, now_ms: u64, epoch_ms_at_zero: i64) -> anyhow::Result<Cluster> {
        let mut cluster = Cluster {
            cluster_id: seed.cluster_id.clone(),
            layout: seed.layout,
            settings: seed.settings.clone(),
            brokers: BTreeMap::new(),
            topics: BTreeMap::new(),
            groups: BTreeMap::new(),
            configs: ConfigStore::default(),
            now_ms,
            epoch_ms_at_zero,
            triggers: Vec::new(),
            scheduled: Vec::new(),
            events: Vec::new(),
            throttle_lists: throttle::ListCache::default(),
            out_of_sync: out_of_sync::OutOfSyncIndex::default(),
        };
        for b in &seed.brokers {
            anyhow::ensure!(
                !cluster.brokers.contains_key(&b.id),
                "seed: broker {} listed twice",
                b.id
            );
            cluster.brokers.insert(
                b.id,
                Broker {
                    id: b.id,
                    host: cluster.host_of(b.id),
                    port: 0,
                    rack: b.rack.clone(),
                    fenced: !b.alive,
                    disk_bytes: b.disk_bytes.unwrap_or(seed.settings.disk_bytes),
                },
            );
        }
        cluster.configs.brokers = seed.broker_configs.clone();
        for t in &seed.topics {
            cluster.seed_topic(t)?;
        }
        for g in &seed.groups {
            cluster.seed_group(g)?;
        }
        Ok(cluster)
    }

    /// Registered and unfenced: the controller's `isActive`.
    pub fn is_active(&self, broker: i32) -> bool {
        self.brokers.get(&broker).is_some_and(|b| !b.fenced)
    }

    /// Unfenced brokers, by id.
    pub fn active_brokers(&self) -> impl Iterator<Item = &Broker> {
        self.brokers.values().filter(|b| !b.fenced)
    }

    /// The id clients see as the controller. KRaft brokers name a random live broker (any of them
    /// forwards to the quorum); the fake names the lowest live id so runs repeat. With ZooKeeper
    /// the controller is one broker; the fake elects the lowest live id as well.
    pub fn controller_id(&self) -> i32 {
        self.active_brokers().map(|b| b.id).next().unwrap_or(-1)
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        self.topics.get(topic)?.partitions.get(usize::try_from(partition).ok()?)
    }

    /// The one way to change a single partition (the out-of-sync index notes it).
    pub fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        self.out_of_sync.note(topic, partition);
        self.topics
            .get_mut(topic)?
            .partitions
            .get_mut(usize::try_from(partition).ok()?)
    }

    /// A deterministic topic id (v4-shaped UUID from the name), so seeds and runs repeat.
    pub fn topic_id(name: &str) -> Uuid {
        let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for byte in name.bytes() {
            hash ^= u128::from(byte);
            hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
        }
        uuid::Builder::from_random_bytes(hash.to_be_bytes()).into_uuid()
    }

    pub fn record(&mut self, what: impl Into<String>) {
        if self.events.len() >= MAX_EVENTS {
            self.events.drain(..MAX_EVENTS / 2);
        }
        let what = what.into();
        tracing::debug!(at_ms = self.now_ms, "{what}");
        self.events.push(ModelEvent {
            at_ms: self.now_ms,
            what,
        });
    }

    /// Record timestamp (Unix ms) of model time `ms`.
    pub fn epoch_ms(&self, ms: u64) -> i64 {
        self.epoch_ms_at_zero + ms as i64
    }

    /// A JSON view of the whole state at the current model time (GET /_control/state).
    pub fn dump(&self) -> serde_json::Value {
        let now = self.now_ms;
        let topics: serde_json::Map<String, serde_json::Value> = self
            .topics
            .values()
            .map(|t| {
                let partitions: Vec<serde_json::Value> = t
                    .partitions
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "partition": p.index,
                            "replicas": p.replicas,
                            "isr": p.isr,
                            "leader": p.leader,
                            "leader_epoch": p.leader_epoch,
                            "partition_epoch": p.partition_epoch,
                            "adding_replicas": p.adding,
                            "removing_replicas": p.removing,
                            "size_bytes": p.size_bytes,
                            "catching_up_bytes": p.catching_up.iter()
                                .map(|(b, bytes)| (b.to_string(), serde_json::json!(bytes.floor() as i64)))
                                .collect::<serde_json::Map<_, _>>(),
                            "log_start_offset": p.log.log_start_offset,
                            "log_end_offset": p.log.log_end_offset(now),
                            "produce_per_sec": p.log.produce_per_sec(),
                        })
                    })
                    .collect();
                let configs = self.configs.topic(&t.name).cloned().unwrap_or_default();
                (
                    t.name.clone(),
                    serde_json::json!({"topic_id": t.id.to_string(), "configs": configs, "partitions": partitions}),
                )
            })
            .collect();
        let groups: serde_json::Map<String, serde_json::Value> = self
            .groups
            .values()
            .map(|g| {
                let offsets: Vec<serde_json::Value> = g
                    .commits
                    .iter()
                    .map(|((topic, partition), commit)| {
                        let committed = self.committed_offset(commit, topic, *partition);
                        let end = self.partition(topic, *partition).map(|p| p.log.log_end_offset(now));
                        serde_json::json!({
                            "topic": topic,
                            "partition": partition,
                            "committed_offset": committed,
                            "log_end_offset": end,
                            "lag": end.map(|e| e - committed),
                            "consume_per_sec": commit.consume_per_sec(),
                        })
                    })
                    .collect();
                (g.id.clone(), serde_json::json!({"state": g.state, "offsets": offsets}))
            })
            .collect();
        serde_json::json!({
            "cluster_id": self.cluster_id,
            "layout": self.layout,
            "now_ms": now,
            "controller_id": self.controller_id(),
            "brokers": self.brokers.values().collect::<Vec<_>>(),
            "topics": topics,
            "groups": groups,
            "broker_configs": self.configs.brokers,
            "triggers": self.triggers,
            "scheduled": self.scheduled,
            "events": self.events,
        })
    }
}
