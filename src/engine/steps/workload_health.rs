//! Whether the release's workloads are healthy: every one Ready and updated at its planned size,
//! and the pods of each scaled workload spread evenly over the pool's nodes (counts per node differ
//! by at most 1). The rollout step waits for this after the upgrade; validate checks it again last.
use std::collections::BTreeMap;
use std::time::Duration;

use kfscale_kube::WorkloadInfo;

use crate::engine::context::{StepContext, StepError};

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
    let kube = &ctx.systems.kube;
    let workloads = ctx
        .wait_for("every workload Ready at its planned size", timeout, || async {
            let workloads = kube.workloads().await?;
            let pending = not_ready(&workloads, &planned);
            let progress = format!(
                "{} not ready: {}",
                pending.len(),
                pending.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
            );
            Ok((pending.is_empty().then_some(workloads), progress))
        })
        .await?;

    let (label, pool) = super::rollout::pool_label(ctx);
    let nodes: Vec<String> = kube
        .nodes()
        .await?
        .into_iter()
        .filter(|n| n.labels.get(label) == Some(&pool) && n.ready)
        .map(|n| n.name)
        .collect();
    let (spreads, uneven) = spread(&workloads, &nodes, &planned);
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

/// `name ready/replicas` of each workload not yet at its planned size, Ready and updated.
fn not_ready(workloads: &[WorkloadInfo], planned: &BTreeMap<String, u64>) -> Vec<String> {
    workloads
        .iter()
        .filter(|w| {
            let wrong_size = planned.get(&w.name).is_some_and(|want| u64::from(w.replicas) != *want);
            wrong_size
                || w.observed_generation < w.generation
                || w.ready_replicas < w.replicas
                || w.updated_replicas < w.replicas
        })
        .map(|w| format!("{} {}/{}", w.name, w.ready_replicas, w.replicas))
        .collect()
}

/// Each scaled workload's spread over `nodes`, and the ones spread unevenly, described.
fn spread(
    workloads: &[WorkloadInfo],
    nodes: &[String],
    planned: &BTreeMap<String, u64>,
) -> (BTreeMap<String, u32>, Vec<String>) {
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
    (spreads, uneven)
}

#[cfg(test)]
mod tests {
    use kfscale_kube::WorkloadKind;

    use super::*;

    fn workload(name: &str, replicas: u32, ready: u32, per_node: &[(&str, u32)]) -> WorkloadInfo {
        WorkloadInfo {
            kind: WorkloadKind::StatefulSet,
            name: name.into(),
            replicas,
            ready_replicas: ready,
            updated_replicas: replicas,
            generation: 2,
            observed_generation: 2,
            ready_pods_per_node: per_node.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        }
    }

    #[test]
    fn a_workload_short_of_its_plan_is_not_ready() {
        let planned = BTreeMap::from([("broker".to_string(), 3), ("redis".to_string(), 1)]);
        let workloads = [
            workload("broker", 2, 2, &[]),
            workload("redis", 1, 0, &[]),
            workload("other", 1, 1, &[]),
        ];
        assert_eq!(not_ready(&workloads, &planned), ["broker 2/2", "redis 0/1"]);
    }

    #[test]
    fn counts_per_node_may_differ_by_one() {
        let planned = BTreeMap::from([("a".to_string(), 3), ("b".to_string(), 3)]);
        let nodes = ["n1".to_string(), "n2".to_string()];
        let workloads = [
            workload("a", 3, 3, &[("n1", 2), ("n2", 1)]),
            workload("b", 3, 3, &[("n1", 3)]),
        ];
        let (spreads, uneven) = spread(&workloads, &nodes, &planned);
        assert_eq!(spreads, BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 3)]));
        assert_eq!(uneven, ["b (0..3 pods per node)"]);
    }
}
