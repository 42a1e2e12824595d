//! `workloads`: every workload of the release namespace Ready and updated (at its planned size, when
//! an apply asks); `spread`: the pods of each scaled workload spread evenly over the pool's nodes
//! (Ready pods per node differ by at most 1). The apply's rollout step waits on the same rules.
use crate::snapshot::PoolSelector;
use std::collections::{BTreeMap, BTreeSet};

use kfscale_kube::{NodeInfo, WorkloadInfo};

use super::check::{Check, capped};

/// `name ready/replicas` of each workload not yet Ready, updated and (when `planned` names it) at
/// its planned size.
pub fn not_ready(workloads: &[WorkloadInfo], planned: &BTreeMap<String, u64>) -> Vec<String> {
    workloads
        .iter()
        .filter(|w| {
            let wrong_size = planned.get(&w.name).is_some_and(|want| u64::from(w.replicas) != *want);
            wrong_size
                || w.observed_generation < w.generation
                || w.ready_replicas < w.replicas
                || w.updated_replicas < w.replicas
        })
        .map(|w| match planned.get(&w.name) {
            Some(want) if u64::from(w.replicas) != *want => {
                format!("{} {}/{} (planned {want})", w.name, w.ready_replicas, w.replicas)
            }
            _ => format!("{} {}/{}", w.name, w.ready_replicas, w.replicas),
        })
        .collect()
}

/// `name counted/ready` of each workload of `names` whose pod list does not hold exactly the Ready
/// pods its status counts (a pod turned Ready or went away between the two reads, or an old
/// ReplicaSet's pods are still Ready): a spread taken from such a list would be wrong either way.
pub fn pods_unsettled(workloads: &[WorkloadInfo], names: &BTreeSet<String>) -> Vec<String> {
    workloads
        .iter()
        .filter(|w| names.contains(&w.name))
        .filter_map(|w| {
            let counted: u32 = w.ready_pods_per_node.values().sum();
            (counted != w.ready_replicas).then(|| format!("{} pods {counted}/{}", w.name, w.ready_replicas))
        })
        .collect()
}

/// Each workload of `names`' spread over `nodes` (max - min Ready pods per node), and the ones
/// spread unevenly, described.
pub fn spread(
    workloads: &[WorkloadInfo],
    nodes: &[String],
    names: &BTreeSet<String>,
) -> (BTreeMap<String, u32>, Vec<String>) {
    let mut uneven = Vec::new();
    let mut spreads = BTreeMap::new();
    for workload in workloads.iter().filter(|w| names.contains(&w.name) && w.replicas > 0) {
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

/// The Ready nodes of the pool, or every Ready node without a pool.
pub fn pool_nodes(nodes: &[NodeInfo], pool: Option<&PoolSelector>) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| n.ready && pool.is_none_or(|pool| pool.matches(&n.labels)))
        .map(|n| n.name.clone())
        .collect()
}

pub fn check_workloads(workloads: &[WorkloadInfo], planned: &BTreeMap<String, u64>) -> Check {
    let pending = not_ready(workloads, planned);
    if workloads.is_empty() {
        return Check::red("workloads", "no workloads in the release namespace")
            .fix("check kubernetes.namespace in kfscale.yaml: it must be the namespace the release runs in");
    }
    if pending.is_empty() {
        let pods: u32 = workloads.iter().map(|w| w.ready_replicas).sum();
        return Check::green(
            "workloads",
            format!("all {} workloads Ready ({pods} pods)", workloads.len()),
        );
    }
    Check::red(
        "workloads",
        format!("{} of {} workloads not Ready", pending.len(), workloads.len()),
    )
    .evidence(capped(pending.into_iter().map(|w| format!("not Ready: {w}")).collect()))
    .fix("kubectl -n <namespace> describe the workloads named (pods Pending, crashing or failing their readiness probe), fix the cause, then run `kfscale verify` again")
}

pub fn check_spread(workloads: &[WorkloadInfo], nodes: &[String], names: &BTreeSet<String>, pool: &str) -> Check {
    if nodes.is_empty() {
        return Check::red("spread", format!("no Ready nodes in {pool}"))
            .fix("check the node pool and the cluster: section of kfscale.yaml");
    }
    let (spreads, uneven) = spread(workloads, nodes, names);
    if uneven.is_empty() {
        let widest = spreads.iter().max_by_key(|(_, s)| **s);
        let note = widest.map_or(String::new(), |(name, s)| format!(", widest {s} ({name})"));
        return Check::green(
            "spread",
            format!(
                "{} scaled workloads spread over the {} nodes of {pool} (spread <= 1{note})",
                spreads.len(),
                nodes.len()
            ),
        );
    }
    Check::red(
        "spread",
        format!("{} workload(s) not spread evenly over the {} nodes of {pool}", uneven.len(), nodes.len()),
    )
    .evidence(capped(uneven))
    .fix("check the scheduler's view (taints, resources, topology spread constraints); deleting the pods of a crowded node lets them reschedule")
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
            volume_claim_templates: BTreeMap::new(),
            helm_release: None,
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
        assert_eq!(not_ready(&workloads, &planned), ["broker 2/2 (planned 3)", "redis 0/1"]);
        let check = check_workloads(&workloads, &planned);
        assert_eq!(check.status, super::super::Status::Red);
        assert_eq!(
            check.evidence,
            ["not Ready: broker 2/2 (planned 3)", "not Ready: redis 0/1"]
        );
        assert_eq!(
            check_workloads(&workloads[2..], &BTreeMap::new()).status,
            super::super::Status::Green
        );
    }

    #[test]
    fn a_pod_list_short_of_the_ready_count_is_unsettled() {
        let names = BTreeSet::from(["server".to_string(), "broker".to_string()]);
        let workloads = [
            // Read after the status went to 8 Ready, a list holding only 6 Ready pods is stale.
            workload("server", 8, 8, &[("n1", 2), ("n2", 2), ("n3", 2)]),
            workload("broker", 4, 4, &[("n1", 1), ("n2", 1), ("n3", 1), ("n4", 1)]),
            workload("other", 2, 2, &[]),
        ];
        assert_eq!(pods_unsettled(&workloads, &names), ["server pods 6/8"]);
    }

    #[test]
    fn counts_per_node_may_differ_by_one() {
        let names = BTreeSet::from(["a".to_string(), "b".to_string()]);
        let nodes = ["n1".to_string(), "n2".to_string()];
        let workloads = [
            workload("a", 3, 3, &[("n1", 2), ("n2", 1)]),
            workload("b", 3, 3, &[("n1", 3)]),
        ];
        let (spreads, uneven) = spread(&workloads, &nodes, &names);
        assert_eq!(spreads, BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 3)]));
        assert_eq!(uneven, ["b (0..3 pods per node)"]);
        let check = check_spread(&workloads, &nodes, &names, "pool p");
        assert_eq!(check.evidence, ["b (0..3 pods per node)"]);
    }
}
