//! Builds the [`BalanceResult`] from the final assignment. Every figure (moves, bytes, leaders,
//! balance) is measured on the final assignment against the original, not taken from what the
//! planning steps intended, so the result cannot claim more than it delivers.
use std::collections::BTreeMap;

use super::bounds::Bounds;
use super::cluster::{Cluster, UNPLACED};
use super::model::{BalanceResult, BrokerLoad, PartitionChange};

/// What the planning steps report besides the assignment.
pub(crate) struct PlanFacts {
    pub bounds: Bounds,
    pub count_optimum: usize,
    pub rack_fixes: usize,
    pub constraint_conflicts: usize,
    pub notes: Vec<String>,
}

pub(crate) fn build_result(cluster: &Cluster<'_>, assigned: &[u32], facts: PlanFacts) -> BalanceResult {
    let ids = &cluster.broker_ids;
    // Sized up front: grown by doubling, the list of a big plan's changes would briefly exist
    // twice over (at the peak of a big plan).
    let changed = cluster
        .partitions
        .iter()
        .filter(|p| cluster.current[p.slots()] != assigned[p.slots()])
        .count();
    let mut changes = Vec::with_capacity(changed);
    let (mut replicas_moved, mut bytes_moved) = (0usize, 0u64);
    let (mut leaders_changed, mut reorder_only, mut created) = (0usize, 0usize, 0usize);
    let mut sizes_known = true;
    for p in &cluster.partitions {
        let old = &cluster.current[p.slots()];
        let new = &assigned[p.slots()];
        if !p.created && !p.size_known {
            sizes_known = false;
        }
        if old == new {
            continue;
        }
        let moved = if p.created {
            created += 1;
            0
        } else {
            if old[0] != new[0] {
                leaders_changed += 1;
            }
            new.iter().filter(|b| !old.contains(b)).count()
        };
        if !p.created && moved == 0 {
            reorder_only += 1;
        }
        replicas_moved += moved;
        let bytes = p.size_known.then(|| p.size * moved as u64);
        bytes_moved += bytes.unwrap_or(0);
        changes.push(PartitionChange {
            topic: cluster.topics[p.topic as usize].name.to_string(),
            partition: p.id,
            old_replicas: broker_ids(ids, old),
            new_replicas: broker_ids(ids, new),
            replicas_moved: moved,
            bytes_moved: bytes,
        });
    }
    let before = loads(cluster, &cluster.current);
    let after = loads(cluster, assigned);
    let (replicas_balanced, leaders_balanced) = balance_check(cluster, assigned);
    BalanceResult {
        changes,
        replicas_moved,
        lower_bound: facts.bounds.per_topic.max(facts.bounds.global),
        per_topic_bound: facts.bounds.per_topic,
        global_bound: facts.bounds.global,
        count_optimum: facts.count_optimum,
        bytes_moved,
        leaders_changed,
        reorder_only,
        created,
        before,
        after,
        sizes_known,
        rack_aware: cluster.rack_aware(),
        replicas_balanced,
        leaders_balanced,
        rack_fixes: facts.rack_fixes,
        constraint_conflicts: facts.constraint_conflicts,
        notes: facts.notes,
    }
}

fn broker_ids(ids: &[i32], slots: &[u32]) -> Vec<i32> {
    slots
        .iter()
        .filter(|&&b| b != UNPLACED)
        .map(|&b| ids[b as usize])
        .collect()
}

fn loads(cluster: &Cluster<'_>, assignment: &[u32]) -> BTreeMap<i32, BrokerLoad> {
    let mut per_broker = vec![BrokerLoad::default(); cluster.broker_count()];
    for p in &cluster.partitions {
        for (i, &b) in assignment[p.slots()].iter().enumerate() {
            if b == UNPLACED {
                continue;
            }
            let load = &mut per_broker[b as usize];
            load.replicas += 1;
            load.bytes += p.size;
            if i == 0 {
                load.leaders += 1;
            }
        }
    }
    cluster.broker_ids.iter().copied().zip(per_broker).collect()
}

/// (replicas within one of each other per topic and overall, leaders within one per topic).
fn balance_check(cluster: &Cluster<'_>, assignment: &[u32]) -> (bool, bool) {
    let brokers = cluster.broker_count();
    let mut replicas = vec![0usize; brokers];
    let mut leaders = vec![0usize; brokers];
    let mut totals = vec![0usize; brokers];
    let (mut replicas_ok, mut leaders_ok) = (true, true);
    let spread = |counts: &[usize]| {
        let min = counts.iter().min().copied().unwrap_or(0);
        let max = counts.iter().max().copied().unwrap_or(0);
        max - min <= 1
    };
    for t in 0..cluster.topics.len() {
        replicas.fill(0);
        leaders.fill(0);
        for p in cluster.topic_partitions(t) {
            for (i, &b) in assignment[p.slots()].iter().enumerate() {
                if b == UNPLACED {
                    continue;
                }
                replicas[b as usize] += 1;
                totals[b as usize] += 1;
                if i == 0 {
                    leaders[b as usize] += 1;
                }
            }
        }
        replicas_ok &= spread(&replicas);
        leaders_ok &= spread(&leaders);
    }
    (replicas_ok && spread(&totals), leaders_ok)
}
