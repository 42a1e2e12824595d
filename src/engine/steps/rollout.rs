//! Wait for every workload to run its planned replicas, Ready and updated, and check that the pods
//! of each scaled workload are spread evenly over the pool's nodes (counts differ by at most 1).
use std::collections::BTreeMap;

use crate::engine::context::{Outcome, StepContext, StepError};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let kube = &ctx.systems.kube;
    let planned: BTreeMap<String, u64> = ctx
        .plan
        .values
        .workloads
        .iter()
        .map(|(name, count)| (name.clone(), count.after))
        .collect();
    let workloads = ctx
        .wait_for(
            "every workload Ready at its planned size",
            ctx.settings.rollout_timeout,
            || async {
                let workloads = kube.workloads().await?;
                let pending: Vec<String> = workloads
                    .iter()
                    .filter(|w| {
                        let wrong_size = planned.get(&w.name).is_some_and(|want| u64::from(w.replicas) != *want);
                        wrong_size
                            || w.observed_generation < w.generation
                            || w.ready_replicas < w.replicas
                            || w.updated_replicas < w.replicas
                    })
                    .map(|w| format!("{} {}/{}", w.name, w.ready_replicas, w.replicas))
                    .collect();
                let progress = format!(
                    "{} not ready: {}",
                    pending.len(),
                    pending.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
                );
                Ok((pending.is_empty().then_some(workloads), progress))
            },
        )
        .await?;

    let (label, pool) = ctx.systems.node_pool.node_label();
    let nodes: Vec<String> = kube
        .nodes()
        .await?
        .into_iter()
        .filter(|n| n.labels.get(label).map(String::as_str) == Some(pool) && n.ready)
        .map(|n| n.name)
        .collect();
    let mut uneven = Vec::new();
    let mut spreads = BTreeMap::new();
    for workload in workloads
        .iter()
        .filter(|w| planned.contains_key(&w.name) && w.replicas > 0)
    {
        let counts: Vec<u32> = nodes
            .iter()
            .map(|node| workload.ready_pods_per_node.get(node).copied().unwrap_or(0))
            .collect();
        let (min, max) = (
            counts.iter().min().copied().unwrap_or(0),
            counts.iter().max().copied().unwrap_or(0),
        );
        spreads.insert(workload.name.clone(), max - min);
        if max - min > 1 {
            uneven.push(format!("{} ({min}..{max} pods per node)", workload.name));
        }
    }
    ctx.observe("spread", &spreads);
    if !uneven.is_empty() {
        return Err(StepError::failed(format!(
            "pods are not spread evenly over the {} nodes of {pool}: {}; fix: check the scheduler's view (taints, resources, topology spread) and re-run `kfscale apply`",
            nodes.len(),
            uneven.join(", ")
        )));
    }
    Ok(Outcome::Done(format!(
        "{} workloads Ready, spread over {} nodes",
        workloads.len(),
        nodes.len()
    )))
}
