//! A Kloudfuse-like cluster of a test's own on the shared rig: an EKS node group in moto, its Ready
//! nodes, and the chart installed in a namespace of its own with its pods pinned to that group.
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::json;

use crate::eks::{self, NodeGroup};
use crate::helm::Helm;
use crate::{RigEnv, names, wait};

pub struct TestCluster {
    /// EKS cluster name, namespace and the prefix of everything the test owns.
    pub id: String,
    pub nodegroup: String,
    /// The chart's values pinning pods to the node group (pass it to every upgrade with `-f`).
    pub placement: PathBuf,
    /// A scratch directory of the test's own.
    pub scratch: PathBuf,
    pub chart: String,
    pub chart_version: String,
    /// The node group's zones when the test chose them (a single-AZ install); None: the rig's default
    /// three zones.
    pub zones: Option<Vec<String>>,
}

impl TestCluster {
    pub fn node_selector(&self) -> String {
        format!("{}={}", crate::nodes::eks::NODEGROUP_LABEL, self.nodegroup)
    }
}

/// Creates `nodes` Ready nodes and installs the chart at `version` with `values` (release `kfuse`).
pub async fn install(rig: &RigEnv, prefix: &str, nodes: i32, values: &str, version: &str) -> Result<TestCluster> {
    install_in_zones(rig, prefix, nodes, None, values, version).await
}

/// [`install`] with the node group in `zones` (e.g. `Some(&["us-east-1a"])` for a single-AZ install);
/// None: the default three zones.
pub async fn install_in_zones(
    rig: &RigEnv,
    prefix: &str,
    nodes: i32,
    zones: Option<&[&str]>,
    values: &str,
    version: &str,
) -> Result<TestCluster> {
    let id = names::unique(prefix);
    let nodegroup = format!("{id}-ng");
    install_named_in_zones(rig, &id, &nodegroup, nodes, zones, values, version).await
}

/// [`install`] with the cluster id (also the namespace) and node group chosen by the caller.
pub async fn install_named(
    rig: &RigEnv,
    id: &str,
    nodegroup: &str,
    nodes: i32,
    values: &str,
    version: &str,
) -> Result<TestCluster> {
    install_named_in_zones(rig, id, nodegroup, nodes, None, values, version).await
}

/// [`install_named`] in `zones`.
pub async fn install_named_in_zones(
    rig: &RigEnv,
    id: &str,
    nodegroup: &str,
    nodes: i32,
    zones: Option<&[&str]>,
    values: &str,
    version: &str,
) -> Result<TestCluster> {
    let kube = rig.kube_client().await?;
    let eks_client = rig.eks_client().await?;
    let helm = Helm::from_rig(rig)?;
    let (id, nodegroup) = (id.to_string(), nodegroup.to_string());
    let scratch = rig.run_dir()?.join("tests").join(&id);
    std::fs::create_dir_all(&scratch)?;
    let mut group = NodeGroup::new(&id, &nodegroup, nodes);
    if let Some(zones) = zones {
        group = group.in_zones(zones);
    }
    eks::create(&eks_client, &group).await?;
    let zones = group.zones.clone();
    let cluster = TestCluster {
        placement: scratch.join("placement.yaml"),
        scratch,
        chart: rig.get("KFSCALE_RIG_CHART")?.to_string(),
        chart_version: version.to_string(),
        id,
        nodegroup,
        zones,
    };
    wait::ready_nodes(&kube, &cluster.node_selector(), nodes as usize, Duration::from_secs(60)).await?;
    std::fs::write(
        &cluster.placement,
        json!({ "global": { "nodeSelector": { crate::nodes::eks::NODEGROUP_LABEL: cluster.nodegroup } } }).to_string(),
    )?;
    let placement = cluster.placement.to_str().context("scratch path is not UTF-8")?;
    helm.install_kfuse(&cluster.chart, version, &cluster.id, &[values, placement], "5m")
        .await?;
    Ok(cluster)
}
