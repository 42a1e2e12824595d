//! Lower bounds on the number of replica moves.
//!
//! A move takes one replica off one broker and puts it on another, so it lowers one count by one
//! and raises one by one. With `R` replicas on `B` brokers a balanced placement has every broker
//! at `floor(R/B)` or `ceil(R/B)`: every replica above `ceil` must leave, and every slot below
//! `floor` must be filled by a move, except the slots that new partitions (created, copying no
//! data) fill. The bound is the larger of the two, per topic and over all topics.

use super::cluster::Cluster;
use super::counts::{TopicCounts, topic_counts};

/// The two bounds on the current assignment.
pub(crate) struct Bounds {
    /// Sum over topics of each topic's bound.
    pub per_topic: usize,
    /// The bound on the replica totals per broker.
    pub global: usize,
}

pub(crate) fn lower_bounds(cluster: &Cluster<'_>) -> Bounds {
    let brokers = cluster.broker_count();
    let mut counts = TopicCounts::new(brokers);
    let mut totals = vec![0u64; brokers];
    let (mut total, mut created, mut per_topic) = (0u64, 0u64, 0u64);
    for t in 0..cluster.topics.len() {
        topic_counts(cluster, &cluster.current, t, &mut counts);
        per_topic += balance_bound(&counts.per_broker, counts.total, counts.created);
        for (sum, c) in totals.iter_mut().zip(&counts.per_broker) {
            *sum += c;
        }
        total += counts.total;
        created += counts.created;
    }
    Bounds {
        per_topic: per_topic as usize,
        global: balance_bound(&totals, total, created) as usize,
    }
}

/// Moves needed to bring `counts` (replicas per broker, before creating `created` new replicas)
/// to `total` replicas spread within one of each other.
pub(crate) fn balance_bound(counts: &[u64], total: u64, created: u64) -> u64 {
    let brokers = counts.len() as u64;
    let floor = total / brokers;
    let ceil = total.div_ceil(brokers);
    let above: u64 = counts.iter().map(|&c| c.saturating_sub(ceil)).sum();
    let short: u64 = counts.iter().map(|&c| floor.saturating_sub(c)).sum();
    above.max(short.saturating_sub(created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_empty_brokers_need_their_floor_filled() {
        // 3 brokers with 8 replicas each, one new broker: 24 / 4 = 6 each, 6 moves.
        assert_eq!(balance_bound(&[8, 8, 8, 0], 24, 0), 6);
    }

    #[test]
    fn created_replicas_fill_slots_for_free() {
        // 4 new replicas: 28 / 4 = 7 each, the new broker gets the 4 new ones and 3 moves.
        assert_eq!(balance_bound(&[8, 8, 8, 0], 28, 4), 3);
        // 6 new replicas fill the new broker completely: no move needed.
        assert_eq!(balance_bound(&[6, 6, 6, 0], 24, 6), 0);
    }

    #[test]
    fn surplus_above_ceil_must_leave() {
        assert_eq!(balance_bound(&[10, 0], 10, 0), 5);
        assert_eq!(balance_bound(&[4, 3, 3], 10, 0), 0);
    }
}
