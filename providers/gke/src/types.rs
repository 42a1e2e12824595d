//! Plain structs of what the GKE client returns.
use std::collections::BTreeMap;

/// A node pool's address: `projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRef {
    pub project: String,
    /// Region (regional cluster) or zone (zonal cluster).
    pub location: String,
    pub cluster: String,
    pub pool: String,
}

impl PoolRef {
    pub fn cluster_name(&self) -> String {
        format!(
            "projects/{}/locations/{}/clusters/{}",
            self.project, self.location, self.cluster
        )
    }

    pub fn pool_name(&self) -> String {
        format!("{}/nodePools/{}", self.cluster_name(), self.pool)
    }

    /// The full name of an operation of this pool's location, from its short name or its full name.
    pub fn operation_name(&self, operation: &str) -> String {
        if operation.starts_with("projects/") {
            operation.to_string()
        } else {
            format!(
                "projects/{}/locations/{}/operations/{operation}",
                self.project, self.location
            )
        }
    }
}

impl std::fmt::Display for PoolRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "node pool {} (cluster {}, {}/{})",
            self.pool, self.cluster, self.project, self.location
        )
    }
}

/// A node pool with its current size per zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    pub name: String,
    /// PROVISIONING, RUNNING, RUNNING_WITH_ERROR, RECONCILING, STOPPING, ERROR.
    pub status: String,
    /// Zones the pool spans.
    pub locations: Vec<String>,
    /// The size the pool was created with; GKE never updates it on resize.
    pub initial_node_count: u32,
    /// The current size of each zone: the `targetSize` of the managed instance group behind each of
    /// the pool's `instanceGroupUrls` (where the Terraform provider reads it too).
    pub size_per_zone: BTreeMap<String, u32>,
    pub autoscaling: Option<Autoscaling>,
    pub machine_type: String,
    pub labels: BTreeMap<String, String>,
    pub instance_group_urls: Vec<String>,
}

impl NodePool {
    pub fn total_nodes(&self) -> u32 {
        self.size_per_zone.values().sum()
    }

    /// The per-zone count when every zone has the same size (what `setSize` produces).
    pub fn uniform_size_per_zone(&self) -> Option<u32> {
        let mut sizes = self.size_per_zone.values();
        let first = *sizes.next()?;
        sizes.all(|&size| size == first).then_some(first)
    }
}

/// Autoscaling bounds: per zone (`min/max_node_count`) or for the whole pool (`total_*`, used
/// instead when set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Autoscaling {
    pub enabled: bool,
    pub min_node_count: u32,
    pub max_node_count: u32,
    pub total_min_node_count: u32,
    pub total_max_node_count: u32,
}

/// A cluster operation (setSize and setAutoscaling return one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The short name (`operation-...`); [`PoolRef::operation_name`] gives the full one.
    pub name: String,
    /// SET_NODE_POOL_SIZE, UPDATE_CLUSTER, ...
    pub operation_type: String,
    /// PENDING, RUNNING, DONE, ABORTING.
    pub status: String,
    /// The error the operation ended with (DONE with an error changed nothing).
    pub error: Option<String>,
    pub target_link: String,
}

impl Operation {
    pub fn is_done(&self) -> bool {
        self.status == "DONE"
    }
}

/// What kfscale reads of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub location: String,
    pub locations: Vec<String>,
    pub status: String,
    pub current_master_version: String,
    pub node_pools: Vec<String>,
}
