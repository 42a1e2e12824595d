//! Preferred leaders per topic: every broker leads `floor(P/B)` or `ceil(P/B)` of the topic's `P`
//! partitions, changing as few partitions as the search finds; then over all topics: every broker
//! leads `floor(L/B)` or `ceil(L/B)` of all `L` partitions (per-topic balance alone lets the
//! topics' extra leaders pile onto one broker: 30 topics of 7 partitions on 3 brokers can leave
//! one broker leading 30 more than another), without leaving any topic's bounds.
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

/// Balances the preferred leaders of every topic in `assigned`, then their totals over all
/// topics. Returns the topics that could not be balanced (their replicas leave no choice) and
/// whether the totals are balanced.
pub(crate) fn balance_leaders(cluster: &Cluster<'_>, assigned: &mut [u32]) -> (Vec<usize>, bool) {
    let mut unbalanced = Vec::new();
    let mut search = LeaderSearch::new(cluster.broker_count());
    for t in 0..cluster.topics.len() {
        if !search.balance_topic(cluster, t, assigned) {
            unbalanced.push(t);
        }
    }
    let totals = TotalsSearch::new(cluster, assigned).balance(cluster, assigned);
    (unbalanced, totals)
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

/// Leaders over all topics: a broker leading too many hands a partition to another of its
/// replicas, which may hand one on, until a broker with room takes it; every topic stays within
/// its own floor and ceiling. A search state is a broker with the topic it just took: a broker
/// that took a topic at its ceiling must hand that topic on; one that took a topic below it may
/// hand on any topic it leads above the floor (or the one it took). The chain found is checked
/// as a whole before it is applied (a chain may pass one broker twice).
struct TotalsSearch {
    led: Vec<Vec<usize>>,
    /// Leaders per (topic, broker), `topic * brokers + broker`.
    per_topic: Vec<usize>,
    /// (floor, ceiling) of each topic's leaders per broker.
    topic_bounds: Vec<(usize, usize)>,
    /// Per state `broker * (topics + 1) + taken`, `taken` 0 for none, else topic + 1.
    visited: Vec<bool>,
    /// (state that reached it, partition handed over).
    parent: Vec<(usize, usize)>,
}

/// Parent marker of the states a search starts from.
const START: usize = usize::MAX;

impl TotalsSearch {
    fn new(cluster: &Cluster<'_>, assigned: &[u32]) -> Self {
        let brokers = cluster.broker_count();
        let topics = cluster.topics.len();
        let mut led = vec![Vec::new(); brokers];
        let mut per_topic = vec![0; topics * brokers];
        for (p, info) in cluster.partitions.iter().enumerate() {
            let leader = assigned[info.first_slot] as usize;
            led[leader].push(p);
            per_topic[info.topic as usize * brokers + leader] += 1;
        }
        let topic_bounds = cluster
            .topics
            .iter()
            .map(|t| (t.partitions.len() / brokers, t.partitions.len().div_ceil(brokers)))
            .collect();
        TotalsSearch {
            led,
            per_topic,
            topic_bounds,
            visited: vec![false; brokers * (topics + 1)],
            parent: vec![(START, 0); brokers * (topics + 1)],
        }
    }

    fn balance(&mut self, cluster: &Cluster<'_>, assigned: &mut [u32]) -> bool {
        let brokers = cluster.broker_count();
        let low = cluster.partitions.len() / brokers;
        let high = cluster.partitions.len().div_ceil(brokers);
        while self.shift(cluster, assigned, |n| n > high, |n| n < high) {}
        while self.shift(cluster, assigned, |n| n > low, |n| n < low) {}
        self.led.iter().all(|l| (low..=high).contains(&l.len()))
    }

    fn count(&self, topic: usize, broker: usize) -> usize {
        self.per_topic[topic * self.led.len() + broker]
    }

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
        let width = cluster.topics.len() + 1;
        self.visited.fill(false);
        let mut queue = VecDeque::new();
        for (b, list) in self.led.iter().enumerate() {
            if source(list.len()) {
                self.visited[b * width] = true;
                self.parent[b * width] = (START, 0);
                queue.push_back(b * width);
            }
        }
        while let Some(state) = queue.pop_front() {
            let (x, taken) = (state / width, state % width);
            let owes = taken > 0 && self.count(taken - 1, x) >= self.topic_bounds[taken - 1].1;
            for &p in &self.led[x] {
                let topic = cluster.partitions[p].topic as usize;
                let may_give = if taken == topic + 1 {
                    true
                } else {
                    !owes && self.count(topic, x) > self.topic_bounds[topic].0
                };
                if !may_give {
                    continue;
                }
                for &y in &assigned[cluster.partitions[p].slots()] {
                    let y = y as usize;
                    let next = y * width + topic + 1;
                    if y == x || self.visited[next] {
                        continue;
                    }
                    self.visited[next] = true;
                    self.parent[next] = (state, p);
                    if self.count(topic, y) < self.topic_bounds[topic].1
                        && sink(self.led[y].len())
                        && let Some(chain) = self.valid_chain(cluster, next, width)
                    {
                        for (p, from, to) in chain {
                            self.make_leader(cluster, assigned, p, from, to);
                        }
                        return true;
                    }
                    queue.push_back(next);
                }
            }
        }
        false
    }

    /// The hand-overs (partition, from, to) from a start state to `end`, when applying them all
    /// keeps every topic within its bounds (or no further outside them than it was) and hands
    /// no partition over twice.
    fn valid_chain(&self, cluster: &Cluster<'_>, end: usize, width: usize) -> Option<Vec<(usize, usize, usize)>> {
        let mut chain = Vec::new();
        let mut state = end;
        while self.parent[state].0 != START {
            let (previous, p) = self.parent[state];
            chain.push((p, previous / width, state / width));
            state = previous;
        }
        let mut delta: std::collections::BTreeMap<(usize, usize), i64> = std::collections::BTreeMap::new();
        for (i, &(p, from, to)) in chain.iter().enumerate() {
            if chain[..i].iter().any(|&(q, _, _)| q == p) {
                return None;
            }
            let topic = cluster.partitions[p].topic as usize;
            *delta.entry((topic, from)).or_default() -= 1;
            *delta.entry((topic, to)).or_default() += 1;
        }
        let within = delta.iter().all(|(&(topic, broker), &change)| {
            let now = self.count(topic, broker) as i64;
            let (low, high) = self.topic_bounds[topic];
            let after = now + change;
            after >= now.min(low as i64) && after <= now.max(high as i64)
        });
        within.then_some(chain)
    }

    fn make_leader(&mut self, cluster: &Cluster<'_>, assigned: &mut [u32], p: usize, from: usize, to: usize) {
        let info = &cluster.partitions[p];
        let slots = info.slots();
        if let Some(offset) = assigned[slots.clone()].iter().position(|&b| b as usize == to) {
            assigned.swap(slots.start, slots.start + offset);
        }
        let list = &mut self.led[from];
        if let Some(position) = list.iter().position(|&q| q == p) {
            list.swap_remove(position);
        }
        self.led[to].push(p);
        let brokers = self.led.len();
        let topic = info.topic as usize;
        self.per_topic[topic * brokers + from] -= 1;
        self.per_topic[topic * brokers + to] += 1;
    }
}
