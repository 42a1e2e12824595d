//! Preferred leaders per topic: every broker leads `floor(P/B)` or `ceil(P/B)` of the topic's `P`
//! partitions, changing as few partitions as the search finds.
//!
//! Starting from the placement's first replicas, a broker leading too many hands one partition
//! to another of its replicas, which may in turn hand one on: a BFS over brokers (arc x -> y for
//! each partition x leads that has a replica on y) finds the shortest such chain to a broker with
//! room. Brokers leading too few are filled the same way from brokers above the floor. Changing a
//! leader swaps the new leader's replica to the front; no data moves.
use std::collections::VecDeque;

use super::cluster::Cluster;

/// Parent marker of the brokers a search starts from.
const ROOT: u32 = u32::MAX;

/// Balances the preferred leaders of every topic in `assigned`. Returns the topics that could
/// not be balanced (their replicas leave no choice).
pub(crate) fn balance_leaders(cluster: &Cluster<'_>, assigned: &mut [u32]) -> Vec<usize> {
    let mut unbalanced = Vec::new();
    let mut search = LeaderSearch::new(cluster.broker_count());
    for t in 0..cluster.topics.len() {
        if !search.balance_topic(cluster, t, assigned) {
            unbalanced.push(t);
        }
    }
    unbalanced
}

struct LeaderSearch {
    /// Partitions (index into `Cluster::partitions`) each broker leads.
    led: Vec<Vec<usize>>,
    visited: Vec<bool>,
    /// (broker, partition) that reached each broker.
    parent: Vec<(u32, usize)>,
}

impl LeaderSearch {
    fn new(brokers: usize) -> Self {
        LeaderSearch {
            led: vec![Vec::new(); brokers],
            visited: vec![false; brokers],
            parent: vec![(0, 0); brokers],
        }
    }

    fn balance_topic(&mut self, cluster: &Cluster<'_>, topic: usize, assigned: &mut [u32]) -> bool {
        let brokers = cluster.broker_count();
        let range = cluster.topics[topic].partitions.clone();
        let low = range.len() / brokers;
        let high = range.len().div_ceil(brokers);
        for list in &mut self.led {
            list.clear();
        }
        for p in range {
            let leader = assigned[cluster.partitions[p].first_slot];
            self.led[leader as usize].push(p);
        }
        // Too many: hand one on until it reaches a broker below the ceiling.
        while self.shift(cluster, assigned, |n| n > high, |n| n < high) {}
        // Too few: pull one from any broker above the floor.
        while self.shift(cluster, assigned, |n| n > low, |n| n < low) {}
        self.led.iter().all(|l| (low..=high).contains(&l.len()))
    }

    /// One chain from a broker whose lead count satisfies `source` to one satisfying `sink`;
    /// false when there is nothing to do or no chain exists.
    fn shift(
        &mut self,
        cluster: &Cluster<'_>,
        assigned: &mut [u32],
        source: impl Fn(usize) -> bool,
        sink: impl Fn(usize) -> bool,
    ) -> bool {
        if !self.led.iter().any(|l| sink(l.len())) {
            return false;
        }
        self.visited.fill(false);
        let mut queue = VecDeque::new();
        for (b, list) in self.led.iter().enumerate() {
            if source(list.len()) {
                self.visited[b] = true;
                self.parent[b] = (ROOT, 0);
                queue.push_back(b as u32);
            }
        }
        let mut end = None;
        'search: while let Some(x) = queue.pop_front() {
            for &p in &self.led[x as usize] {
                for &y in &assigned[cluster.partitions[p].slots()] {
                    let yi = y as usize;
                    if self.visited[yi] {
                        continue;
                    }
                    self.visited[yi] = true;
                    self.parent[yi] = (x, p);
                    if sink(self.led[yi].len()) {
                        end = Some(y);
                        break 'search;
                    }
                    queue.push_back(y);
                }
            }
        }
        let Some(mut y) = end else {
            return false;
        };
        loop {
            let (x, p) = self.parent[y as usize];
            self.make_leader(cluster, assigned, p, x, y);
            if self.parent[x as usize].0 == ROOT {
                return true;
            }
            y = x;
        }
    }

    fn make_leader(&mut self, cluster: &Cluster<'_>, assigned: &mut [u32], p: usize, from: u32, to: u32) {
        let slots = cluster.partitions[p].slots();
        if let Some(offset) = assigned[slots.clone()].iter().position(|&b| b == to) {
            assigned.swap(slots.start, slots.start + offset);
        }
        let list = &mut self.led[from as usize];
        if let Some(position) = list.iter().position(|&q| q == p) {
            list.swap_remove(position);
        }
        self.led[to as usize].push(p);
    }
}
