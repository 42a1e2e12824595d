//! What kfscale reads from the Kubernetes API of the release namespace.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    pub namespace: String,
    pub nodes: Vec<Node>,
    pub workloads: Vec<Workload>,
    #[serde(default)]
    pub jobs: Vec<Job>,
    #[serde(default)]
    pub pvcs: Vec<PersistentVolumeClaim>,
    #[serde(default)]
    pub storage_classes: Vec<StorageClass>,
    /// `.data.version` of ConfigMap `kfuse-version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kfuse_version: Option<String>,
    /// The KRaft cluster id held by Secret `kafka-kraft-kraft-cluster-id` (an id, not a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kraft_cluster_id_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub name: String,
    /// The pool the node belongs to (see `NodePool::pool_of`): a cloud pool's name from its label
    /// (`eks.amazonaws.com/nodegroup`, `cloud.google.com/gke-nodepool`, `kubernetes.azure.com/agentpool`),
    /// or a node selector's text for nodes added by other means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    pub ready: bool,
    #[serde(default)]
    pub unschedulable: bool,
    #[serde(default)]
    pub taints: Vec<Taint>,
    /// The node's labels that a pool sets alike on all its nodes (the per-node ones, such as the
    /// hostname, zone, region and instance type, are left out): what makes nodes of one pool uniform.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub name: String,
    /// spec.replicas (DaemonSets: desired scheduled).
    pub replicas: u32,
    pub ready_replicas: u32,
    #[serde(default)]
    pub updated_replicas: u32,
    /// Ready pods per node name (for the spread check).
    #[serde(default)]
    pub pods_per_node: BTreeMap<String, u32>,
    /// A StatefulSet's volume claim templates: claim name -> requested storage (`600Gi`). The
    /// field is immutable, so `helm upgrade` fails when the chart renders another size.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volume_claim_templates: BTreeMap<String, String>,
    /// The Helm release that manages it (annotation `meta.helm.sh/release-name`), `""` when none
    /// does. Absent from snapshots made before kfscale read it: such a workload counts as the
    /// release's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm_release: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub name: String,
    #[serde(default)]
    pub active: u32,
    #[serde(default)]
    pub succeeded: u32,
    #[serde(default)]
    pub failed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersistentVolumeClaim {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// spec.resources.requests.storage, e.g. `600Gi`.
    pub requested: String,
    /// status.capacity.storage once bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageClass {
    pub name: String,
    pub provisioner: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub allow_volume_expansion: bool,
}

impl Kubernetes {
    pub fn workload(&self, name: &str) -> Option<&Workload> {
        self.workloads.iter().find(|workload| workload.name == name)
    }
}
