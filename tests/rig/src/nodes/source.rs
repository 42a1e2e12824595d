//! Where node pools come from. A cloud's node-pool API (EKS through moto now, a GKE fake later) is the
//! source of truth for how many nodes each pool has; the provisioner only mirrors it into Kubernetes.
use std::collections::BTreeMap;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Taint;

/// One node pool as its cloud API describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    /// The cloud cluster the pool belongs to.
    pub cluster: String,
    /// The pool's name in the cloud API.
    pub name: String,
    /// How many nodes the pool should have now (EKS desiredSize; for GKE, per zone times zones).
    pub desired: u32,
    /// The machine type, which sets the nodes' capacity.
    pub instance_type: String,
    /// Labels the cloud puts on every node of the pool besides its pool label.
    pub labels: BTreeMap<String, String>,
    /// Taints the cloud puts on every node of the pool.
    pub taints: Vec<Taint>,
    /// Zones the pool's nodes are spread over, round robin.
    pub zones: Vec<String>,
}

/// A cloud node-pool API the provisioner mirrors.
pub trait PoolSource: Send + Sync {
    /// Short name of the source, recorded on its nodes (`eks`, `gke`).
    fn kind(&self) -> &'static str;

    /// The label key every node of a pool carries with the pool's name as value.
    fn pool_label(&self) -> &'static str;

    /// Extra labels every node of this cloud carries (capacity type and the like).
    fn cloud_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// The provider id of a node, in the form the cloud's node controller would write.
    fn provider_id(&self, zone: &str, node_name: &str) -> String;

    /// Every pool the cloud API knows now. An error leaves the nodes of this source untouched.
    fn pools(&self) -> BoxFuture<'_, anyhow::Result<Vec<PoolSpec>>>;
}
