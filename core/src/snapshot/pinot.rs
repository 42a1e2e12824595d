//! The Pinot controller's view: tables, instances and their tags, segment health.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pinot {
    pub tables: Vec<PinotTable>,
    pub instances: Vec<PinotInstance>,
    #[serde(default)]
    pub running_rebalances: Vec<RunningRebalance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinotTable {
    /// With the type suffix, e.g. `kf_metrics_REALTIME`.
    pub name: String,
    /// REALTIME or OFFLINE.
    pub table_type: String,
    /// The server tenant tag the table's segments go to, e.g. `DefaultTenant_REALTIME`.
    pub server_tag: String,
    pub replication: u32,
    pub segments: SegmentCounts,
    /// Servers holding segments of the table now.
    #[serde(default)]
    pub servers: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentCounts {
    pub good: u32,
    pub bad: u32,
    pub updating: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinotInstance {
    /// e.g. `Server_pinot-server-realtime-0.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098`.
    pub name: String,
    /// SERVER, BROKER, CONTROLLER, MINION.
    pub instance_type: String,
    pub tags: Vec<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunningRebalance {
    pub table: String,
    pub job_id: String,
    pub status: String,
}

fn enabled_by_default() -> bool {
    true
}

impl Pinot {
    pub fn table(&self, name: &str) -> Option<&PinotTable> {
        self.tables.iter().find(|table| table.name == name)
    }

    pub fn servers_tagged(&self, tag: &str) -> usize {
        self.instances
            .iter()
            .filter(|instance| instance.instance_type == "SERVER" && instance.tags.iter().any(|t| t == tag))
            .count()
    }
}
