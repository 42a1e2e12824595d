//! Repair of partitions that break the rack rule, before balancing: a replica on an over-full
//! rack moves to a rack with room, onto the broker with the fewest replicas of the topic (then
//! overall). After a scale-out those are the new brokers, which need replicas anyway, so the
//! repair usually costs no move beyond the balancing.
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::cluster::{Cluster, UNPLACED};
use super::racks::{is_rack_valid, rack_cap, racks_constrain};

/// Fixes what it can; returns the partitions fixed and those whose racks hold too few brokers.
pub(crate) fn fix_rack_spread(cluster: &Cluster<'_>, assigned: &mut [u32]) -> (usize, Vec<usize>) {
    let mut fixed = 0;
    let mut unfixable = Vec::new();
    if !racks_constrain(cluster) {
        return (fixed, unfixable);
    }
    let mut loads = Loads::new(cluster, assigned);
    for (t, topic) in cluster.topics.iter().enumerate() {
        let invalid: Vec<usize> = topic
            .partitions
            .clone()
            .filter(|&p| {
                let info = &cluster.partitions[p];
                !info.created && !is_rack_valid(cluster, &assigned[info.slots()])
            })
            .collect();
        if invalid.is_empty() {
            continue;
        }
        loads.start_topic(cluster, t, assigned);
        for p in invalid {
            let slots = cluster.partitions[p].slots();
            let mut ok = true;
            while !is_rack_valid(cluster, &assigned[slots.clone()]) {
                let Some((moving, destination)) = loads.best_fix(cluster, &assigned[slots.clone()]) else {
                    ok = false;
                    break;
                };
                loads.moved(cluster, assigned[slots.start + moving], destination);
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

type LoadKey = (usize, usize, u32);

/// Replica counts per broker (of the current topic and overall), with a min-heap per rack to
/// find the least loaded broker quickly. A broker's entry goes stale when its counts change; a
/// fresh entry is pushed then, and stale ones are dropped when they surface.
struct Loads {
    topic: Vec<usize>,
    total: Vec<usize>,
    by_rack: Vec<BinaryHeap<Reverse<LoadKey>>>,
}

impl Loads {
    fn new(cluster: &Cluster<'_>, assigned: &[u32]) -> Self {
        let mut total = vec![0usize; cluster.broker_count()];
        for &b in assigned.iter().filter(|&&b| b != UNPLACED) {
            total[b as usize] += 1;
        }
        Loads {
            topic: vec![0; cluster.broker_count()],
            total,
            by_rack: vec![BinaryHeap::new(); cluster.rack_count()],
        }
    }

    fn start_topic(&mut self, cluster: &Cluster<'_>, topic: usize, assigned: &[u32]) {
        self.topic.fill(0);
        for p in cluster.topic_partitions(topic) {
            for &b in &assigned[p.slots()] {
                if b != UNPLACED {
                    self.topic[b as usize] += 1;
                }
            }
        }
        for heap in &mut self.by_rack {
            heap.clear();
        }
        for b in 0..cluster.broker_count() as u32 {
            self.push(cluster, b);
        }
    }

    fn key(&self, b: u32) -> LoadKey {
        (self.topic[b as usize], self.total[b as usize], b)
    }

    fn push(&mut self, cluster: &Cluster<'_>, b: u32) {
        let key = self.key(b);
        self.by_rack[cluster.rack_of(b) as usize].push(Reverse(key));
    }

    fn moved(&mut self, cluster: &Cluster<'_>, from: u32, to: u32) {
        self.topic[from as usize] -= 1;
        self.total[from as usize] -= 1;
        self.topic[to as usize] += 1;
        self.total[to as usize] += 1;
        self.push(cluster, from);
        self.push(cluster, to);
    }

    /// The least loaded broker of `rack` that `replicas` do not use.
    fn least_loaded(&mut self, rack: usize, replicas: &[u32]) -> Option<LoadKey> {
        let mut skipped = Vec::new();
        let mut found = None;
        while let Some(Reverse(key)) = self.by_rack[rack].pop() {
            if key != self.key(key.2) {
                continue; // stale
            }
            skipped.push(key);
            if !replicas.contains(&key.2) {
                found = Some(key);
                break;
            }
        }
        // Current entries go back: they stay valid for later lookups.
        for key in skipped {
            self.by_rack[rack].push(Reverse(key));
        }
        found
    }

    /// The replica to move (one on an over-full rack, from the broker most loaded with the
    /// topic) and its destination, or `None` when no rack has room.
    fn best_fix(&mut self, cluster: &Cluster<'_>, replicas: &[u32]) -> Option<(usize, u32)> {
        let cap = rack_cap(cluster, replicas.len());
        let mut per_rack = vec![0usize; cluster.rack_count()];
        for &b in replicas {
            per_rack[cluster.rack_of(b) as usize] += 1;
        }
        let moving = (0..replicas.len())
            .filter(|&i| per_rack[cluster.rack_of(replicas[i]) as usize] > cap)
            .max_by_key(|&i| (self.topic[replicas[i] as usize], i))?;
        let destination = (0..cluster.rack_count())
            .filter(|&k| per_rack[k] < cap)
            .filter_map(|k| self.least_loaded(k, replicas))
            .min()?;
        Some((moving, destination.2))
    }
}
