//! How many of a topic's extra replicas each rack may take.
//!
//! The rack rule caps each partition's replicas per rack, which bounds the topic's total on a
//! rack from above (sum of the caps) and from below (what the other racks cannot hold). With
//! every broker of rack `k` at `f_t` or `f_t + 1`, the rack's total is `n_k * f_t + x_k`, so the
//! bounds become a range for `x_k`, the extras placed on rack `k` ("must" to "may").
//!
//! Within that range a narrower one ("keep") lets every existing replica stay on its rack and
//! still leaves each new partition room on every rack it needs; the count plan prefers it among
//! equally cheap choices, because then same-rack moves and valid new partitions always exist.
use super::cluster::{Cluster, UNPLACED};
use super::racks::{rack_cap, racks_constrain};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RackRange {
    pub must: u32,
    pub may: u32,
    /// `must <= keep_low <= keep_high <= may`.
    pub keep_low: u32,
    pub keep_high: u32,
}

/// Per rack group: the range of extras of `topic`; `None` if per-topic balance and the rack
/// rule are incompatible (racks of very unequal sizes).
pub(crate) fn rack_ranges(
    cluster: &Cluster<'_>,
    assignment: &[u32],
    topic: usize,
    groups: &[Vec<u32>],
    floor: u64,
    extras: u32,
) -> Option<Vec<RackRange>> {
    if !racks_constrain(cluster) {
        let all = cluster.broker_count() as u32;
        return Some(vec![RackRange {
            must: 0,
            may: all,
            keep_low: 0,
            keep_high: all,
        }]);
    }
    let racks = groups.len();
    // Totals per rack: any placement (least, most), existing replicas where they are (kept),
    // and the least and most new partitions need / can put there.
    let mut least = vec![0u64; racks];
    let mut most = vec![0u64; racks];
    let mut kept = vec![0u64; racks];
    let mut new_least = vec![0u64; racks];
    let mut new_most = vec![0u64; racks];
    let mut per_partition_most = vec![0u64; racks];
    for p in cluster.topic_partitions(topic) {
        let rf = p.replication_factor as u64;
        let cap = rack_cap(cluster, p.replication_factor) as u64;
        for (k, group) in groups.iter().enumerate() {
            per_partition_most[k] = cap.min(group.len() as u64);
        }
        let sum: u64 = per_partition_most.iter().sum();
        for k in 0..racks {
            let needed = rf.saturating_sub(sum - per_partition_most[k]);
            least[k] += needed;
            most[k] += per_partition_most[k];
            if p.created {
                new_least[k] += needed;
                new_most[k] += per_partition_most[k];
            }
        }
        for &b in &assignment[p.slots()] {
            if b != UNPLACED {
                kept[cluster.rack_of(b) as usize] += 1;
            }
        }
    }
    let mut ranges = Vec::with_capacity(racks);
    let mut keep_feasible = true;
    for (k, group) in groups.iter().enumerate() {
        let size = group.len() as u64;
        let base = size * floor;
        let must = least[k].saturating_sub(base);
        let may = most[k].checked_sub(base)?.min(size);
        if must > may {
            return None;
        }
        let keep_low = (kept[k] + new_least[k]).saturating_sub(base).max(must);
        let keep_high = (kept[k] + new_most[k]).checked_sub(base).map_or(0, |h| h.min(may));
        keep_feasible &= keep_low <= keep_high && (kept[k] + new_most[k]) >= base;
        ranges.push(RackRange {
            must: must as u32,
            may: may as u32,
            keep_low: keep_low as u32,
            keep_high: keep_high as u32,
        });
    }
    let sum = |f: fn(&RackRange) -> u32| ranges.iter().map(f).sum::<u32>();
    if sum(|r| r.must) > extras || sum(|r| r.may) < extras {
        return None;
    }
    keep_feasible &= sum(|r| r.keep_low) <= extras && extras <= sum(|r| r.keep_high);
    if !keep_feasible {
        for range in &mut ranges {
            range.keep_low = range.must;
            range.keep_high = range.may;
        }
    }
    Some(ranges)
}
