//! Whether the release's workloads are healthy: every one Ready and updated at its planned size,
//! and the pods of each scaled workload spread evenly over the pool's nodes (counts per node differ
//! by at most 1). The rollout step waits for this after the upgrade; validate checks it again last.
//! The rules themselves are the verify checklist's (`crate::verify`).
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::engine::context::{StepContext, StepError};
use crate::verify::{not_ready, pods_unsettled, spread};

/// How the workloads were found: how many, over how many nodes, and each scaled one's spread
/// (max - min pods per node).
pub struct Health {
    pub workloads: usize,
    pub nodes: usize,
    pub spreads: BTreeMap<String, u32>,
}

/// Waits until every workload is Ready at its planned size, then checks the spread; fails naming the
/// workloads that are not spread evenly.
pub async fn wait_healthy(ctx: &StepContext<'_>, timeout: Duration) -> Result<Health, StepError> {
    let planned = planned_sizes(ctx);
    let names: BTreeSet<String> = planned.keys().cloned().collect();
    let kube = &ctx.systems.kube;
    let workloads = ctx
        .wait_for("every workload Ready at its planned size", timeout, || async {
            let workloads = kube.workloads().await?;
            let mut pending = not_ready(&workloads, &planned);
            if pending.is_empty() {
                pending = pods_unsettled(&workloads, &names);
            }
            let progress = format!(
                "{} not ready: {}",
                pending.len(),
                pending.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
            );
            Ok((pending.is_empty().then_some(workloads), progress))
        })
        .await?;

    let pool = &ctx.systems.pool_selector;
    let nodes: Vec<String> = kube
        .nodes()
        .await?
        .into_iter()
        .filter(|n| pool.matches(&n.labels) && n.ready)
        .map(|n| n.name)
        .collect();
    let (spreads, uneven) = spread(&workloads, &nodes, &names);
    if !uneven.is_empty() {
        return Err(StepError::failed(format!(
            "pods are not spread evenly over the {} nodes of {pool}: {}; fix: check the scheduler's view (taints, resources, topology spread) and re-run `kfscale apply`",
            nodes.len(),
            uneven.join(", ")
        )));
    }
    Ok(Health {
        workloads: workloads.len(),
        nodes: nodes.len(),
        spreads,
    })
}

/// Workload name -> replicas after the change, for the workloads the values file scales.
fn planned_sizes(ctx: &StepContext<'_>) -> BTreeMap<String, u64> {
    ctx.plan
        .values
        .workloads
        .iter()
        .map(|(name, count)| (name.clone(), count.after))
        .collect()
}
