//! Grow the node pool: the cloud's own resize, then wait until the pool has its planned size and
//! that many of its nodes are Ready in Kubernetes. Each cloud has its own file; each records the
//! resize's handle before waiting, so a resumed apply polls it instead of resizing again. Nodes added
//! by other means are only waited for. Either way the step ends by checking that the nodes are alike,
//! as the runbook requires: Kloudfuse scales replicas by node count, which assumes equal nodes.
use std::collections::BTreeSet;

use kfscale_kube::NodeInfo;

use crate::connect::NodePoolClient;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::snapshot::{NodeShape, OddNode, PoolSelector, odd_among, pool_labels, pool_taint};

mod aks;
mod call_sent;
mod eks;
mod external;
mod gke;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let outcome = match &ctx.systems.node_pool {
        NodePoolClient::Eks { .. } => eks::run(ctx).await,
        NodePoolClient::Gke { .. } => gke::run(ctx).await,
        // Nodes added by other means are all compared with each other while they are waited for.
        NodePoolClient::External { .. } => return external::run(ctx).await,
        NodePoolClient::Aks { .. } => aks::run(ctx).await,
    }?;
    new_nodes_alike(ctx).await?;
    Ok(outcome)
}

/// After a cloud resize: every node of the pool that was not in it when the plan was made must look
/// like the nodes that were (instance type, pool labels, taints). A pool template changed since the
/// old nodes were made, or labels set on the old nodes by hand, would otherwise leave the new nodes
/// without the pods pinned by those labels. Runs on a resumed step too: the check reads the nodes.
async fn new_nodes_alike(ctx: &mut StepContext<'_>) -> Result<(), StepError> {
    let before: BTreeSet<&str> = ctx.plan.node_pool.nodes_before.iter().map(String::as_str).collect();
    if before.is_empty() {
        return Ok(()); // a plan made before kfscale recorded the pool's nodes
    }
    let selector = &ctx.systems.pool_selector;
    let nodes = ctx.systems.kube.nodes().await?;
    let (old, new): (Vec<NodeShape>, Vec<NodeShape>) = nodes
        .iter()
        .filter(|node| takes_pods(selector, node))
        .map(shape_of)
        .partition(|shape| before.contains(shape.name.as_str()));
    let odd = odd_among(&old, &new);
    ctx.observe("new_nodes_checked", &new.len());
    if odd.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = odd.iter().map(OddNode::to_string).collect();
    Err(StepError::failed(format!(
        "the pool has its new nodes, but they differ from the nodes it had: {}; fix: make them alike (set the same labels and taints on the new nodes, or correct the pool's template and replace them), then re-run `kfscale apply`: the resize is recorded and is not sent again",
        listed.join("; ")
    )))
}

/// A node as the uniformity checks compare it: instance type, the labels a pool sets alike, and
/// the pool's own taints (`key=value:Effect`, as `kubectl taint` writes one).
fn shape_of(node: &NodeInfo) -> NodeShape {
    NodeShape {
        name: node.name.clone(),
        instance_type: node.labels.get("node.kubernetes.io/instance-type").cloned(),
        labels: pool_labels(&node.labels),
        taints: node
            .taints
            .iter()
            .filter(|(key, _, _)| pool_taint(key))
            .map(|(key, value, effect)| {
                if value.is_empty() {
                    format!("{key}:{effect}")
                } else {
                    format!("{key}={value}:{effect}")
                }
            })
            .collect(),
    }
}

/// Whether `node` is one of the pool's and takes new pods now: Ready, not cordoned, and free of the
/// NoSchedule/NoExecute taints a node's life puts on and takes off (not-ready, unreachable,
/// uninitialized, disk pressure, an autoscaler's deletion mark). A Ready node can still carry the
/// not-ready taint until the node lifecycle controller lifts it; the upgrade that follows this step
/// must find every new node open, or the scheduler crowds the pods onto the old ones for good.
/// Every cloud's wait counts nodes through this one test.
fn takes_pods(selector: &PoolSelector, node: &NodeInfo) -> bool {
    let blocking = |effect: &str| effect == "NoSchedule" || effect == "NoExecute";
    selector.matches(&node.labels)
        && node.ready
        && !node.unschedulable
        && !node
            .taints
            .iter()
            .any(|(key, _, effect)| blocking(effect) && !pool_taint(key))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn node(ready: bool, unschedulable: bool, taints: &[(&str, &str)]) -> NodeInfo {
        NodeInfo {
            name: "n".into(),
            labels: BTreeMap::from([("pool".to_owned(), "kf".to_owned())]),
            ready,
            unschedulable,
            provider_id: None,
            taints: taints
                .iter()
                .map(|(key, effect)| (key.to_string(), String::new(), effect.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_node_takes_pods_only_when_ready_open_and_free_of_life_cycle_taints() {
        let pool = PoolSelector(BTreeMap::from([("pool".to_owned(), "kf".to_owned())]));
        assert!(takes_pods(&pool, &node(true, false, &[])));
        // The pool's own taints are tolerated by the pods it is for; a soft life-cycle taint keeps no pod off.
        assert!(takes_pods(&pool, &node(true, false, &[("kf_role", "NoSchedule")])));
        assert!(takes_pods(
            &pool,
            &node(
                true,
                false,
                &[("node.kubernetes.io/memory-pressure", "PreferNoSchedule")]
            )
        ));
        assert!(!takes_pods(&pool, &node(false, false, &[])));
        assert!(!takes_pods(&pool, &node(true, true, &[])));
        for taint in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
            "node.cloudprovider.kubernetes.io/uninitialized",
            "ToBeDeletedByClusterAutoscaler",
        ] {
            assert!(
                !takes_pods(&pool, &node(true, false, &[(taint, "NoSchedule")])),
                "{taint}"
            );
        }
        assert!(!takes_pods(
            &pool,
            &node(true, false, &[("node.kubernetes.io/unreachable", "NoExecute")])
        ));
        let other = PoolSelector(BTreeMap::from([("pool".to_owned(), "other".to_owned())]));
        assert!(!takes_pods(&other, &node(true, false, &[])));
    }
}
