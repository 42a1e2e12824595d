//! The rack rule (the repair of partitions that break it is in [`super::rack_fix`]).
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
