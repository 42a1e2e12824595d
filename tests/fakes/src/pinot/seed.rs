//! The seed: instances, tables and the timings of the fake's model.
use serde::{Deserialize, Serialize};

use super::names::TableType;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Namespace of the pods, which instance names embed.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    #[serde(default)]
    pub controllers: Vec<InstanceSeed>,
    #[serde(default)]
    pub brokers: Vec<InstanceSeed>,
    #[serde(default)]
    pub servers: Vec<InstanceSeed>,
    #[serde(default)]
    pub minions: Vec<InstanceSeed>,
    #[serde(default)]
    pub tables: Vec<TableSeed>,
    #[serde(default)]
    pub timing: Timing,
    /// Disk usage the pre-checks see, per server (bytes); servers not listed have 1 TiB with 20% used.
    #[serde(default)]
    pub disks: Vec<DiskSeed>,
}

/// An instance by pod name (the Kloudfuse chart's naming) or by full Helix instance name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceSeed {
    #[serde(default)]
    pub pod: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Defaults: servers by pod name (`pinot-server-offline-*` -> DefaultTenant_OFFLINE, other servers ->
    /// DefaultTenant_REALTIME), brokers DefaultTenant_BROKER, minions minion_untagged, controllers none.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default = "yes")]
    pub live: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableSeed {
    /// Raw name (`kf_metrics`) or with type suffix.
    pub name: String,
    #[serde(rename = "type")]
    pub table_type: TableType,
    #[serde(default = "one")]
    pub replication: u32,
    #[serde(default = "default_tenant")]
    pub server_tenant: String,
    #[serde(default = "default_tenant")]
    pub broker_tenant: String,
    /// REALTIME: stream partitions, each with one CONSUMING segment and `completedSegmentsPerPartition`
    /// ONLINE ones. OFFLINE: ignored.
    #[serde(default = "one")]
    pub partitions: u32,
    #[serde(default)]
    pub completed_segments_per_partition: u32,
    /// OFFLINE: number of segments.
    #[serde(default)]
    pub segments: u32,
    #[serde(default = "default_segment_size")]
    pub segment_size_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiskSeed {
    pub instance: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
}

/// Model-time durations, in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Timing {
    /// A server loads one completed segment replica in this time; a server loads one segment at a time.
    #[serde(default = "default_load")]
    pub segment_load_seconds: f64,
    /// A new CONSUMING replica takes this long to catch up before it shows CONSUMING.
    #[serde(default = "default_consuming_load")]
    pub consuming_segment_load_seconds: f64,
    /// A replica removed from the ideal state leaves the external view after this.
    #[serde(default = "default_drop")]
    pub segment_drop_seconds: f64,
    /// Period of the RebalanceChecker (controller.rebalance.checker.frequencyPeriod, 5m); 0 turns it off.
    #[serde(default = "default_checker")]
    pub rebalance_checker_period_seconds: f64,
    /// How long a controller restart keeps the API down (503) before it serves again.
    #[serde(default = "default_restart")]
    pub restart_seconds: f64,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            segment_load_seconds: default_load(),
            consuming_segment_load_seconds: default_consuming_load(),
            segment_drop_seconds: default_drop(),
            rebalance_checker_period_seconds: default_checker(),
            restart_seconds: default_restart(),
        }
    }
}

fn default_namespace() -> String {
    "kfuse".to_string()
}

fn default_tenant() -> String {
    "DefaultTenant".to_string()
}

fn default_segment_size() -> u64 {
    200 * 1024 * 1024
}

fn default_load() -> f64 {
    2.0
}

fn default_consuming_load() -> f64 {
    5.0
}

fn default_drop() -> f64 {
    0.5
}

fn default_checker() -> f64 {
    300.0
}

fn default_restart() -> f64 {
    30.0
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

impl Seed {
    /// A small Kloudfuse-like cluster: 3 realtime and 1 offline servers, `kf_metrics` and `kf_logs`
    /// realtime tables (replication 2, 4 partitions) and one offline table.
    pub fn example() -> Seed {
        serde_json::from_value(serde_json::json!({
            "controllers": [{"pod": "pinot-controller-0"}],
            "brokers": [{"pod": "pinot-broker-0"}],
            "servers": [
                {"pod": "pinot-server-realtime-0"}, {"pod": "pinot-server-realtime-1"}, {"pod": "pinot-server-realtime-2"},
                {"pod": "pinot-server-offline-0"}
            ],
            "minions": [{"pod": "pinot-minion-0"}],
            "tables": [
                {"name": "kf_metrics", "type": "REALTIME", "replication": 2, "partitions": 4, "completedSegmentsPerPartition": 3},
                {"name": "kf_logs", "type": "REALTIME", "replication": 2, "partitions": 4, "completedSegmentsPerPartition": 2},
                {"name": "kf_rollup_archive", "type": "OFFLINE", "replication": 1, "segments": 4}
            ]
        }))
        .expect("the example seed matches the seed schema (checked by a test)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_seed_parses() {
        let seed = super::Seed::example();
        assert_eq!(seed.servers.len(), 4);
        assert_eq!(seed.tables[0].replication, 2);
    }
}
