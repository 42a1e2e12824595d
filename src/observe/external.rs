//! Nodes kfscale does not add itself: those of the cluster that match `cluster.external.node_selector`,
//! Ready and schedulable.
use super::ConfigContext;
use crate::snapshot::{ExternalNodes, NodePool, PoolSelector};

pub async fn observe(context: &ConfigContext<'_>, selector: PoolSelector) -> anyhow::Result<NodePool> {
    let kube = context.kube().await?;
    let ready_nodes = kube
        .nodes()
        .await?
        .iter()
        .filter(|node| selector.matches(&node.labels) && node.ready && !node.unschedulable)
        .count() as u32;
    Ok(NodePool::External(ExternalNodes {
        node_selector: selector.0,
        ready_nodes,
    }))
}
