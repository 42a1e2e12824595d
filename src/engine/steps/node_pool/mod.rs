//! Grow the node pool: the cloud's own resize, then wait until the pool has its planned size and
//! that many of its nodes are Ready in Kubernetes. Each cloud has its own file; each records the
//! resize's handle before waiting, so a resumed apply polls it instead of resizing again. Nodes added
//! by other means are only waited for.
use kfscale_kube::NodeInfo;

use crate::connect::NodePoolClient;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::snapshot::{PoolSelector, pool_taint};

mod aks;
mod call_sent;
mod eks;
mod external;
mod gke;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    match &ctx.systems.node_pool {
        NodePoolClient::Eks { .. } => eks::run(ctx).await,
        NodePoolClient::Gke { .. } => gke::run(ctx).await,
        NodePoolClient::Aks { .. } => aks::run(ctx).await,
        NodePoolClient::External { .. } => external::run(ctx).await,
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
