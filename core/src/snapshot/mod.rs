//! The snapshot: everything kfscale knows about the live world at one instant, as plain data.
//! `kfscale snapshot` writes one; `kfscale plan --snapshot FILE` plans from one with no network.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod fingerprint;
mod helm;
mod kafka;
mod kubernetes;
mod node_pool;
mod node_shape;
mod parse;
mod pinot;
mod pool_selector;
mod values_file;

pub use fingerprint::{Fingerprints, digest, sha256_hex};
pub use helm::HelmRelease;
pub use kafka::{
    ConsumerGroupOffsets, Kafka, KafkaBroker, KafkaPartition, KafkaTopic, PartitionOffsets, Reassignment, Throttles,
};
pub use kubernetes::{Job, Kubernetes, Node, PersistentVolumeClaim, StorageClass, Taint, Workload, WorkloadKind};
pub use node_pool::{
    AKS_POOL_LABEL, AksAgentPool, EKS_POOL_LABEL, EksNodeGroup, ExternalNodes, GKE_POOL_LABEL, GkeAutoscaling,
    GkeNodePool, NodePool,
};
pub use node_shape::{NodeShape, OddNode, odd_among, odd_nodes, pool_labels, pool_taint};
pub use parse::{SnapshotError, parse_snapshot};
pub use pinot::{Pinot, PinotInstance, PinotTable, RunningRebalance, SegmentCounts};
pub use pool_selector::PoolSelector;
pub use values_file::{GitInfo, ValuesFile};

/// Bumped when a reader of the old format could misread the new one.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format_version: u32,
    /// The kfscale version that observed it.
    pub kfscale_version: String,
    /// RFC 3339 time of observation; informational, not part of any fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    pub node_pool: NodePool,
    pub kubernetes: Kubernetes,
    pub helm: HelmRelease,
    pub values: ValuesFile,
    pub kafka: Kafka,
    pub pinot: Pinot,
}
