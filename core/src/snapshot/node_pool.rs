//! The node pool the Kloudfuse nodes belong to: a cloud's (EKS, GKE, AKS), or nodes that arrive by
//! other means (Karpenter, a self-managed group, Terraform, a colleague) that kfscale only waits for.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::pool_selector::PoolSelector;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum NodePool {
    /// An AWS EKS managed node group.
    Eks(EksNodeGroup),
    /// A GCP GKE node pool.
    Gke(GkeNodePool),
    /// An Azure AKS agent pool.
    Aks(AksAgentPool),
    /// Nodes kfscale does not add itself, found by a node selector.
    External(ExternalNodes),
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AksAgentPool {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub pool: String,
    /// Succeeded, Updating, Scaling, Failed, ...
    pub provisioning_state: String,
    /// The node count (for the whole pool, over all its zones).
    pub count: u32,
    #[serde(default)]
    pub enable_auto_scaling: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    /// Zones of the region the pool spreads over (`1`, `2`, `3`).
    #[serde(default)]
    pub availability_zones: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalNodes {
    /// The labels every node of the pool carries.
    pub node_selector: BTreeMap<String, String>,
    /// Matching nodes that are Ready and schedulable now.
    pub ready_nodes: u32,
}

/// The label AKS puts on every node of an agent pool.
pub const AKS_POOL_LABEL: &str = "kubernetes.azure.com/agentpool";
pub const EKS_POOL_LABEL: &str = "eks.amazonaws.com/nodegroup";
pub const GKE_POOL_LABEL: &str = "cloud.google.com/gke-nodepool";

impl NodePool {
    /// Nodes in the pool now (GKE: per-zone count x zones; nodes by other means: those Ready).
    pub fn total_nodes(&self) -> u32 {
        match self {
            NodePool::Eks(group) => group.desired_size,
            NodePool::Gke(pool) => pool.node_count_per_zone * pool.locations.len().max(1) as u32,
            NodePool::Aks(pool) => pool.count,
            NodePool::External(nodes) => nodes.ready_nodes,
        }
    }

    /// The labels that mark the pool's nodes.
    pub fn selector(&self) -> PoolSelector {
        match self {
            NodePool::Eks(group) => PoolSelector::label(EKS_POOL_LABEL, &group.nodegroup),
            NodePool::Gke(pool) => PoolSelector::label(GKE_POOL_LABEL, &pool.pool),
            NodePool::Aks(pool) => PoolSelector::label(AKS_POOL_LABEL, &pool.pool),
            NodePool::External(nodes) => PoolSelector(nodes.node_selector.clone()),
        }
    }

    /// What a snapshot's node records as its pool (`Node::pool`): a cloud pool's name from the
    /// node's pool label, or, for nodes by other means, the selector's text when the node matches it.
    pub fn pool_of(&self, labels: &BTreeMap<String, String>) -> Option<String> {
        match self {
            NodePool::Eks(_) => labels.get(EKS_POOL_LABEL).cloned(),
            NodePool::Gke(_) => labels.get(GKE_POOL_LABEL).cloned(),
            NodePool::Aks(_) => labels.get(AKS_POOL_LABEL).cloned(),
            NodePool::External(_) => {
                let selector = self.selector();
                selector.matches(labels).then(|| selector.to_string())
            }
        }
    }

    /// The pool's name as nodes record it (see `pool_of`).
    pub fn pool_name(&self) -> String {
        match self {
            NodePool::Eks(group) => group.nodegroup.clone(),
            NodePool::Gke(pool) => pool.pool.clone(),
            NodePool::Aks(pool) => pool.pool.clone(),
            NodePool::External(_) => self.selector().to_string(),
        }
    }

    /// Whether kfscale resizes the pool itself (false: it waits for nodes added by other means).
    pub fn resizable(&self) -> bool {
        !matches!(self, NodePool::External(_))
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
            NodePool::Aks(pool) => format!(
                "AKS agent pool {} (cluster {}, resource group {})",
                pool.pool, pool.cluster, pool.resource_group
            ),
            NodePool::External(_) => format!("nodes labelled {} (added outside kfscale)", self.selector()),
        }
    }
}
