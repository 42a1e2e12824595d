//! The seed: the clusters and node pools the fake starts with, and the timings of its model. Field names
//! follow the container API (camelCase) so a seed reads like the resources it creates.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Project of clusters that name none.
    #[serde(default = "default_project")]
    pub project: String,
    pub clusters: Vec<ClusterSeed>,
    #[serde(default)]
    pub timing: Timing,
    /// Operations allowed to run at once per project; one more gets 429 RESOURCE_EXHAUSTED. 0 = no limit.
    #[serde(default)]
    pub concurrent_operations_quota: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSeed {
    pub name: String,
    #[serde(default)]
    pub project: Option<String>,
    /// A region (regional cluster) or a zone (zonal cluster).
    pub location: String,
    /// Zones of the cluster's nodes; a zonal cluster defaults to its own zone.
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub current_master_version: Option<String>,
    pub node_pools: Vec<NodePoolSeed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePoolSeed {
    pub name: String,
    pub machine_type: String,
    /// Per zone, as in the API.
    pub initial_node_count: u32,
    /// Per-zone size now, when the pool was resized since creation (defaults to `initialNodeCount`).
    #[serde(default)]
    pub node_count_per_zone: Option<BTreeMap<String, u32>>,
    /// Zones of the pool (defaults to the cluster's).
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub autoscaling: Option<AutoscalingSeed>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<TaintSeed>,
    #[serde(default = "default_disk_size")]
    pub disk_size_gb: u32,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalingSeed {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub min_node_count: u32,
    #[serde(default)]
    pub max_node_count: u32,
    #[serde(default)]
    pub total_min_node_count: u32,
    #[serde(default)]
    pub total_max_node_count: u32,
    /// BALANCED or ANY.
    #[serde(default)]
    pub location_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaintSeed {
    pub key: String,
    #[serde(default)]
    pub value: String,
    /// NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE (the API's enum names).
    pub effect: String,
}

/// Model-time durations of the fake's processes, in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Timing {
    /// How long an operation stays PENDING.
    #[serde(default = "default_pending")]
    pub operation_pending_seconds: f64,
    /// How long it then stays RUNNING before DONE.
    #[serde(default = "default_running")]
    pub operation_running_seconds: f64,
    /// How long after a size change the cluster autoscaler pulls an autoscaled pool back within its bounds.
    #[serde(default = "default_autoscaler")]
    pub autoscaler_delay_seconds: f64,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            operation_pending_seconds: default_pending(),
            operation_running_seconds: default_running(),
            autoscaler_delay_seconds: default_autoscaler(),
        }
    }
}

fn default_project() -> String {
    "kfuse-project".to_string()
}

fn default_disk_size() -> u32 {
    100
}

fn default_pending() -> f64 {
    5.0
}

fn default_running() -> f64 {
    90.0
}

fn default_autoscaler() -> f64 {
    60.0
}

impl Seed {
    /// One regional cluster with one pool over three zones: the shape of a multi-AZ Kloudfuse install.
    pub fn example() -> Seed {
        serde_json::from_value(serde_json::json!({
            "project": "kfuse-project",
            "clusters": [{
                "name": "kfuse",
                "location": "us-central1",
                "locations": ["us-central1-a", "us-central1-b", "us-central1-c"],
                "nodePools": [{
                    "name": "kfuse-pool",
                    "machineType": "n2-standard-16",
                    "initialNodeCount": 2,
                    "labels": {"kf_role": "data"}
                }]
            }]
        }))
        .expect("the example seed matches the seed schema (checked by a test)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_seed_parses() {
        let seed = Seed::example();
        assert_eq!(seed.clusters[0].node_pools[0].initial_node_count, 2);
        assert_eq!(seed.timing.operation_running_seconds, 90.0);
    }
}
