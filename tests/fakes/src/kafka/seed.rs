//! The seed file: the cluster the fake starts with (JSON, see README "Kafka"). Everything has a
//! default except the brokers, so a test writes only what it cares about.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default = "default_cluster_id")]
    pub cluster_id: String,
    #[serde(default)]
    pub layout: Layout,
    #[serde(default)]
    pub settings: Settings,
    pub brokers: Vec<SeedBroker>,
    #[serde(default)]
    pub topics: Vec<SeedTopic>,
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    /// Dynamic broker configs by resource name: `""` is the cluster default, `"101"` one broker.
    #[serde(default)]
    pub broker_configs: BTreeMap<String, BTreeMap<String, String>>,
}

/// Kloudfuse's two Kafka layouts (domain/kloudfuse.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `kafka-kraft-broker` StatefulSet, broker ids from 100; any broker forwards admin requests to
    /// the controller quorum.
    #[default]
    Kraft,
    /// `kafka-broker` with ZooKeeper, broker ids from 0; one broker is the controller and the others
    /// answer controller requests with NOT_CONTROLLER.
    Legacy,
}

impl Layout {
    /// The broker id of StatefulSet ordinal 0.
    pub fn id_base(self) -> i32 {
        match self {
            Layout::Kraft => 100,
            Layout::Legacy => 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The broker's `num.partitions`: partitions of a topic created with -1.
    pub num_partitions: i32,
    /// The broker's `default.replication.factor`.
    pub default_replication_factor: i16,
    /// Copy speed of one catching-up replica when no throttle applies (bytes per model second).
    pub unthrottled_copy_bytes_per_sec: f64,
    /// The one log directory every broker reports in DescribeLogDirs.
    pub log_dir: String,
    /// Disk size of a broker (DescribeLogDirs total bytes) unless the broker says otherwise.
    pub disk_bytes: i64,
    /// Advertise each broker under its pod's DNS name, as a chart's brokers do (absent: 127.0.0.1).
    pub pod_hosts: Option<PodHosts>,
}

/// Broker `id_base + N` advertises `<statefulset>-N.<statefulset>-headless.<namespace>.svc.<domain>`
/// (a broker below `id_base` advertises 127.0.0.1). A client reaches it with a host-only
/// `address_map` entry to 127.0.0.1 (kfscale's `kafka.address_map`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PodHosts {
    pub namespace: String,
    pub statefulset: String,
    pub id_base: i32,
    #[serde(default = "default_cluster_domain")]
    pub domain: String,
}

impl PodHosts {
    /// The host broker `id` advertises.
    pub fn host_of(&self, id: i32) -> String {
        if id < self.id_base {
            return "127.0.0.1".to_string();
        }
        self.pod_host(id - self.id_base)
    }

    /// The DNS name of the pod at `ordinal`.
    pub fn pod_host(&self, ordinal: i32) -> String {
        let set = &self.statefulset;
        format!("{set}-{ordinal}.{set}-headless.{}.svc.{}", self.namespace, self.domain)
    }
}

fn default_cluster_domain() -> String {
    "cluster.local".to_string()
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            num_partitions: 1,
            default_replication_factor: 1,
            unthrottled_copy_bytes_per_sec: 100.0 * 1024.0 * 1024.0,
            log_dir: "/bitnami/kafka/data".to_string(),
            disk_bytes: 100 * 1024 * 1024 * 1024,
            pod_hosts: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBroker {
    pub id: i32,
    #[serde(default)]
    pub rack: Option<String>,
    /// False: registered but fenced (its pod is not Ready), no listener.
    #[serde(default = "yes")]
    pub alive: bool,
    #[serde(default)]
    pub disk_bytes: Option<i64>,
}

/// A topic: either explicit `partitions`, or `partition_count` (+ `replication_factor`) placed the
/// way CreateTopics places them. The `size_bytes`, `log_end_offset`, `produce_per_sec` here are the
/// defaults of every partition.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTopic {
    pub name: String,
    #[serde(default)]
    pub partitions: Vec<SeedPartition>,
    #[serde(default)]
    pub partition_count: Option<i32>,
    #[serde(default)]
    pub replication_factor: Option<i16>,
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    #[serde(default)]
    pub size_bytes: i64,
    #[serde(default)]
    pub log_end_offset: i64,
    #[serde(default)]
    pub produce_per_sec: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPartition {
    pub replicas: Vec<i32>,
    /// Defaults to every replica on a live broker.
    #[serde(default)]
    pub isr: Option<Vec<i32>>,
    /// Defaults to the first ISR member on a live broker.
    #[serde(default)]
    pub leader: Option<i32>,
    #[serde(default)]
    pub size_bytes: Option<i64>,
    #[serde(default)]
    pub log_start_offset: Option<i64>,
    #[serde(default)]
    pub log_end_offset: Option<i64>,
    #[serde(default)]
    pub produce_per_sec: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    pub group_id: String,
    /// ListGroups/DescribeGroups state; the fake models no members, so `Empty` fits best.
    #[serde(default = "empty_state")]
    pub state: String,
    #[serde(default)]
    pub offsets: Vec<SeedCommit>,
}

/// Committed offsets of a group on one partition, or on every partition of the topic when
/// `partition` is absent. Give `offset` or `lag` (behind the log end); `consume_per_sec` defaults to
/// the partition's produce rate (steady lag).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCommit {
    pub topic: String,
    #[serde(default)]
    pub partition: Option<i32>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub lag: Option<i64>,
    #[serde(default)]
    pub consume_per_sec: Option<f64>,
}

impl Seed {
    pub fn from_json(text: &str) -> Result<Seed> {
        serde_json::from_str(text).context("parsing the Kafka fake's seed (JSON)")
    }

    pub fn from_file(path: &Path) -> Result<Seed> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading seed {}", path.display()))?;
        Seed::from_json(&text).with_context(|| format!("in {}", path.display()))
    }

    /// `count` live brokers with the layout's ids and nothing else: the smallest useful cluster.
    pub fn with_brokers(layout: Layout, count: i32) -> Seed {
        Seed {
            cluster_id: default_cluster_id(),
            layout,
            settings: Settings::default(),
            brokers: (0..count)
                .map(|i| SeedBroker {
                    id: layout.id_base() + i,
                    rack: None,
                    alive: true,
                    disk_bytes: None,
                })
                .collect(),
            topics: Vec::new(),
            groups: Vec::new(),
            broker_configs: BTreeMap::new(),
        }
    }
}

fn default_cluster_id() -> String {
    // The shape of a KRaft cluster id (22 characters of base64url).
    "kfscaleFakeCluster0001".to_string()
}

fn yes() -> bool {
    true
}

fn empty_state() -> String {
    "Empty".to_string()
}
