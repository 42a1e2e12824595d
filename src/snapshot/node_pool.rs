//! The cloud node pool the Kloudfuse nodes belong to.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum NodePool {
    /// An AWS EKS managed node group.
    Eks(EksNodeGroup),
    /// A GCP GKE node pool.
    Gke(GkeNodePool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EksNodeGroup {
    pub region: String,
    pub cluster: String,
    pub nodegroup: String,
    /// ACTIVE, UPDATING, CREATING, DEGRADED, ...
    pub status: String,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_size: u32,
    #[serde(default)]
    pub instance_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GkeNodePool {
    pub project: String,
    /// Region or zone of the cluster.
    pub location: String,
    pub cluster: String,
    pub pool: String,
    /// RUNNING, RECONCILING, ...
    pub status: String,
    /// Zones the pool spans; its node count is per zone.
    pub locations: Vec<String>,
    pub node_count_per_zone: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<GkeAutoscaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GkeAutoscaling {
    pub enabled: bool,
    /// Per-zone bounds.
    #[serde(default)]
    pub min_node_count: u32,
    #[serde(default)]
    pub max_node_count: u32,
    /// Whole-pool bounds (used instead of the per-zone ones when set).
    #[serde(default)]
    pub total_min_node_count: u32,
    #[serde(default)]
    pub total_max_node_count: u32,
}

impl NodePool {
    /// Nodes in the pool now (GKE: per-zone count x zones).
    pub fn total_nodes(&self) -> u32 {
        match self {
            NodePool::Eks(group) => group.desired_size,
            NodePool::Gke(pool) => pool.node_count_per_zone * pool.locations.len().max(1) as u32,
        }
    }

    /// The Kubernetes node label carrying the pool name, and the name.
    pub fn node_label(&self) -> (&'static str, &str) {
        match self {
            NodePool::Eks(group) => ("eks.amazonaws.com/nodegroup", &group.nodegroup),
            NodePool::Gke(pool) => ("cloud.google.com/gke-nodepool", &pool.pool),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            NodePool::Eks(group) => format!(
                "EKS node group {} (cluster {}, {})",
                group.nodegroup, group.cluster, group.region
            ),
            NodePool::Gke(pool) => format!(
                "GKE node pool {} (cluster {}, {}/{})",
                pool.pool, pool.cluster, pool.project, pool.location
            ),
        }
    }
}
