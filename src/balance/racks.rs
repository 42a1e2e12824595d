//! The rack rule and the repair of partitions that break it.
//!
//! Rule: with `K >= 2` racks, a partition of replication factor `RF` has at most
//! `ceil(RF / K)` replicas on any one rack. For `RF <= K` that is Kafka's own guarantee (every
//! replica on a different rack); for `RF = 3, K = 2` it means a 2 + 1 split. With one rack, or no
//! racks, every placement is valid.
use super::cluster::{Cluster, UNPLACED};

/// Most replicas of one partition a rack may hold.
pub(crate) fn rack_cap(cluster: &Cluster<'_>, replication_factor: usize) -> usize {
    replication_factor.div_ceil(cluster.rack_count().max(1))
}

/// Whether racks constrain placement at all.
pub(crate) fn racks_constrain(cluster: &Cluster<'_>) -> bool {
    cluster.rack_count() >= 2
}

/// Whether moving the replica in `slot` (of a partition whose replicas are `replicas`) onto
/// `broker` keeps the partition rack-valid. A move within one rack never changes the rack spread.
pub(crate) fn move_keeps_racks(cluster: &Cluster<'_>, replicas: &[u32], moving: usize, broker: u32) -> bool {
    if !racks_constrain(cluster) {
        return true;
    }
    let target_rack = cluster.rack_of(broker);
    let from = replicas[moving];
    if from != UNPLACED && cluster.rack_of(from) == target_rack {
        return true;
    }
    let already = replicas
        .iter()
        .enumerate()
        .filter(|&(i, &b)| i != moving && b != UNPLACED && cluster.rack_of(b) == target_rack)
        .count();
    already < rack_cap(cluster, replicas.len())
}

/// Whether a partition's replicas respect the rack rule.
pub(crate) fn is_rack_valid(cluster: &Cluster<'_>, replicas: &[u32]) -> bool {
    if !racks_constrain(cluster) {
        return true;
    }
    let cap = rack_cap(cluster, replicas.len());
    replicas.iter().enumerate().all(|(i, &b)| {
        b == UNPLACED || {
            let rack = cluster.rack_of(b);
            let same = replicas[..=i]
                .iter()
                .filter(|&&o| o != UNPLACED && cluster.rack_of(o) == rack)
                .count();
            same <= cap
        }
    })
}

/// Moves replicas of rack-invalid partitions to racks that lack them, choosing the broker with
/// the fewest replicas of the topic (then overall). Returns the partitions fixed and the
/// partitions that cannot be fixed (their racks hold too few brokers).
pub(crate) fn fix_rack_spread(cluster: &Cluster<'_>, assigned: &mut [u32]) -> (usize, Vec<usize>) {
    let mut fixed = 0;
    let mut unfixable = Vec::new();
    if !racks_constrain(cluster) {
        return (fixed, unfixable);
    }
    let brokers = cluster.broker_count();
    let mut total = vec![0usize; brokers];
    for &b in assigned.iter().filter(|&&b| b != UNPLACED) {
        total[b as usize] += 1;
    }
    let mut topic_count = vec![0usize; brokers];
    for (t, topic) in cluster.topics.iter().enumerate() {
        let partitions = topic.partitions.clone();
        let invalid: Vec<usize> = partitions
            .clone()
            .filter(|&p| {
                let info = &cluster.partitions[p];
                !info.created && !is_rack_valid(cluster, &assigned[info.slots()])
            })
            .collect();
        if invalid.is_empty() {
            continue;
        }
        topic_count.fill(0);
        for p in cluster.topic_partitions(t) {
            for &b in &assigned[p.slots()] {
                if b != UNPLACED {
                    topic_count[b as usize] += 1;
                }
            }
        }
        for p in invalid {
            let slots = cluster.partitions[p].slots();
            let mut ok = true;
            while !is_rack_valid(cluster, &assigned[slots.clone()]) {
                let replicas = &assigned[slots.clone()];
                let Some((moving, destination)) = best_fix(cluster, replicas, &topic_count, &total) else {
                    ok = false;
                    break;
                };
                let from = replicas[moving] as usize;
                topic_count[from] -= 1;
                total[from] -= 1;
                topic_count[destination as usize] += 1;
                total[destination as usize] += 1;
                assigned[slots.start + moving] = destination;
            }
            if ok {
                fixed += 1;
            } else {
                unfixable.push(p);
            }
        }
    }
    (fixed, unfixable)
}

/// The replica to move (one on an over-full rack, from the broker most loaded with the topic)
/// and its destination, or `None` when no rack-improving destination exists.
fn best_fix(cluster: &Cluster<'_>, replicas: &[u32], topic_count: &[usize], total: &[usize]) -> Option<(usize, u32)> {
    let cap = rack_cap(cluster, replicas.len());
    let mut per_rack = vec![0usize; cluster.rack_count()];
    for &b in replicas {
        per_rack[cluster.rack_of(b) as usize] += 1;
    }
    let moving = (0..replicas.len())
        .filter(|&i| per_rack[cluster.rack_of(replicas[i]) as usize] > cap)
        .max_by_key(|&i| (topic_count[replicas[i] as usize], i))?;
    let destination = (0..cluster.broker_count() as u32)
        .filter(|&b| per_rack[cluster.rack_of(b) as usize] < cap && !replicas.contains(&b))
        .min_by_key(|&b| (topic_count[b as usize], total[b as usize], b))?;
    Some((moving, destination))
}
