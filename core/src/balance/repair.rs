//! Augmenting paths for what the greedy placement could not place.
//!
//! A unit is a replica that a broker still has to shed, or a new replica still to place. The
//! search runs over brokers: "broker x holds one replica too many". From x, any replica of the
//! topic on x may go to any broker y that does not hold its partition and keeps its racks valid;
//! y then holds one too many, unless it still has room, which ends the path. Moving a replica
//! that already moved (or is new) costs nothing, moving one from its original broker is one more
//! move and sending one back to its original broker undoes one, so a label-correcting search
//! (costs -1, 0, +1) finds the path with the fewest moves; it stops at the first path that costs
//! no more than the unit itself. A path reroutes earlier choices, so it succeeds where greedy
//! choices blocked each other; a path that needs more moves than the unit itself means a
//! constraint forced a detour (the caller sees it in the topic's moves). A partition appears at
//! most once per path, which keeps every step's validity check exact.
use std::collections::VecDeque;

use super::cluster::{Cluster, UNPLACED};
use super::placement::TopicWork;
use super::racks::move_keeps_racks;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit {
    /// The broker must shed one more replica.
    Shed(u32),
    /// The slot of a new partition must be placed.
    Place(usize),
}

/// Where a broker's label came from: the broker it was reached from and the slot that moved.
#[derive(Clone, Copy)]
struct Step {
    from: u32,
    slot: usize,
}

const NO_BROKER: u32 = u32::MAX;

pub(crate) struct TopicRepair<'a, 'c> {
    cluster: &'a Cluster<'c>,
    original: &'a [u32],
    /// First slot of the topic: a topic's slots are contiguous.
    first_slot: usize,
    /// Partition (index into `Cluster::partitions`) of each of the topic's slots.
    slot_partition: Vec<usize>,
    /// Slots each broker holds now.
    holdings: Vec<Vec<usize>>,
    /// Brokers a failed search reached: no path from them led to room, and later paths mostly
    /// use room up, so searches from them are skipped (a heuristic: it keeps inputs that racks
    /// make unbalanceable fast, at worst leaving a replica that a later path could have placed).
    dead: Vec<bool>,
}

impl<'a, 'c> TopicRepair<'a, 'c> {
    pub fn new(cluster: &'a Cluster<'c>, topic: usize, original: &'a [u32], assigned: &[u32]) -> Self {
        let partitions = cluster.topic_partitions(topic);
        let first_slot = partitions.first().map_or(0, |p| p.first_slot);
        let mut slot_partition = Vec::new();
        let mut holdings = vec![Vec::new(); cluster.broker_count()];
        for (offset, p) in partitions.iter().enumerate() {
            let index = cluster.topics[topic].partitions.start + offset;
            for slot in p.slots() {
                slot_partition.push(index);
                if assigned[slot] != UNPLACED {
                    holdings[assigned[slot] as usize].push(slot);
                }
            }
        }
        TopicRepair {
            cluster,
            original,
            first_slot,
            slot_partition,
            dead: vec![false; holdings.len()],
            holdings,
        }
    }

    fn partition_of(&self, slot: usize) -> usize {
        self.slot_partition[slot - self.first_slot]
    }

    /// Finds and applies the cheapest path for one unit; false when there is none (the
    /// constraints leave no balanced valid option).
    pub fn route(&mut self, unit: Unit, work: &mut TopicWork, assigned: &mut [u32]) -> bool {
        let brokers = self.cluster.broker_count();
        let mut search = Search::new(brokers);
        let (start, own_cost) = match unit {
            Unit::Shed(b) => {
                if self.dead[b as usize] {
                    return false;
                }
                search.dist[b as usize] = 0;
                search.enqueue(b, true);
                (b, 1)
            }
            Unit::Place(slot) => {
                let p = self.partition_of(slot);
                let info = &self.cluster.partitions[p];
                let replicas = &assigned[info.slots()];
                let moving = slot - info.first_slot;
                for y in 0..brokers as u32 {
                    if !self.dead[y as usize]
                        && !replicas.contains(&y)
                        && move_keeps_racks(self.cluster, replicas, moving, y)
                    {
                        search.dist[y as usize] = 0;
                        search.came_from[y as usize] = Step { from: NO_BROKER, slot };
                        search.enqueue(y, true);
                    }
                }
                (NO_BROKER, 0)
            }
        };
        // A path that costs no more than the unit itself needs no better one.
        let mut good_end = None;
        'search: while let Some(x) = search.queue.pop_front() {
            let xi = x as usize;
            search.queued[xi] = false;
            if x != start && work.deficit[xi] > 0 {
                // A broker with room ends a path; it never passes a replica on.
                continue;
            }
            let Some(on_path) = self.partitions_on_path(x, &search.came_from) else {
                continue;
            };
            let here = search.dist[xi];
            for &slot in &self.holdings[xi] {
                let p = self.partition_of(slot);
                if on_path.contains(&p) {
                    continue;
                }
                let home = self.original[slot];
                // Moving a replica off its original broker is a new move; moving one that
                // already moved is free; sending it back home undoes a move.
                let leave = i64::from(home == x);
                let info = &self.cluster.partitions[p];
                let replicas = &assigned[info.slots()];
                let moving = slot - info.first_slot;
                for y in 0..brokers as u32 {
                    let reach = here + leave - i64::from(home == y);
                    let yi = y as usize;
                    if reach >= search.dist[yi]
                        || search.relaxed[yi] > brokers
                        || replicas.contains(&y)
                        || !move_keeps_racks(self.cluster, replicas, moving, y)
                    {
                        continue;
                    }
                    search.dist[yi] = reach;
                    search.relaxed[yi] += 1;
                    search.came_from[yi] = Step { from: x, slot };
                    if y != start && work.deficit[yi] > 0 && reach <= own_cost {
                        good_end = Some(y);
                        break 'search;
                    }
                    search.enqueue(y, reach <= here);
                }
            }
        }
        let end = good_end.or_else(|| {
            (0..brokers as u32)
                .filter(|&y| y != start && work.deficit[y as usize] > 0)
                .filter(|&y| search.dist[y as usize] != UNREACHED)
                .min_by_key(|&y| (search.dist[y as usize], y))
        });
        let Some(end) = end else {
            for (dead, &d) in self.dead.iter_mut().zip(&search.dist) {
                *dead |= d != UNREACHED;
            }
            if let Unit::Shed(b) = unit {
                self.dead[b as usize] = true;
            }
            return false;
        };
        let Some(steps) = self.valid_path(end, &search.came_from, assigned) else {
            return false;
        };
        for (slot, to) in steps {
            self.move_slot(slot, to, assigned);
        }
        work.deficit[end as usize] -= 1;
        if let Unit::Shed(b) = unit {
            work.surplus[b as usize] -= 1;
        }
        true
    }

    /// The path's steps (slot, destination), if it touches each partition once and every step
    /// is valid; label updates during the search can leave a stale chain, which is refused.
    fn valid_path(&self, end: u32, came_from: &[Step], assigned: &[u32]) -> Option<Vec<(usize, u32)>> {
        let mut steps = Vec::new();
        let mut partitions = Vec::new();
        let mut y = end;
        loop {
            let step = came_from[y as usize];
            if step.slot == usize::MAX || steps.len() > self.cluster.broker_count() {
                return None;
            }
            let p = self.partition_of(step.slot);
            let info = &self.cluster.partitions[p];
            let replicas = &assigned[info.slots()];
            let moving = step.slot - info.first_slot;
            if partitions.contains(&p)
                || replicas.contains(&y)
                || !move_keeps_racks(self.cluster, replicas, moving, y)
                || (step.from != NO_BROKER && assigned[step.slot] != step.from)
            {
                return None;
            }
            partitions.push(p);
            steps.push((step.slot, y));
            if step.from == NO_BROKER || came_from[step.from as usize].slot == usize::MAX {
                return Some(steps);
            }
            y = step.from;
        }
    }

    /// Last resort for a new replica: the valid broker holding the fewest replicas of the topic
    /// (racks ignored only if no broker keeps them valid). Returns the broker chosen.
    pub fn place_anywhere(&mut self, slot: usize, assigned: &mut [u32]) -> u32 {
        let p = self.partition_of(slot);
        let info = &self.cluster.partitions[p];
        let moving = slot - info.first_slot;
        let replicas = &assigned[info.slots()];
        let free = |y: &u32| !replicas.contains(y);
        let by_load = |y: &u32| (self.holdings[*y as usize].len(), *y);
        let choice = (0..self.cluster.broker_count() as u32)
            .filter(free)
            .filter(|&y| move_keeps_racks(self.cluster, replicas, moving, y))
            .min_by_key(by_load)
            .or_else(|| (0..self.cluster.broker_count() as u32).filter(free).min_by_key(by_load));
        // A partition never has more replicas than there are brokers (validated), so some
        // broker is free; 0 is unreachable but keeps this total.
        let broker = choice.unwrap_or(0);
        self.move_slot(slot, broker, assigned);
        broker
    }

    fn move_slot(&mut self, slot: usize, to: u32, assigned: &mut [u32]) {
        let from = assigned[slot];
        if from != UNPLACED {
            let held = &mut self.holdings[from as usize];
            if let Some(position) = held.iter().position(|&s| s == slot) {
                held.swap_remove(position);
            }
        }
        assigned[slot] = to;
        self.holdings[to as usize].push(slot);
    }

    /// Partitions on the current path to `x`; `None` if the chain loops (a stale label).
    fn partitions_on_path(&self, mut x: u32, came_from: &[Step]) -> Option<Vec<usize>> {
        let mut partitions = Vec::new();
        loop {
            let step = came_from[x as usize];
            if step.slot == usize::MAX {
                return Some(partitions);
            }
            if partitions.len() > self.cluster.broker_count() {
                return None;
            }
            partitions.push(self.partition_of(step.slot));
            if step.from == NO_BROKER {
                return Some(partitions);
            }
            x = step.from;
        }
    }
}

const UNREACHED: i64 = i64::MAX;

/// Label-correcting shortest paths (costs -1, 0, +1) over brokers.
struct Search {
    dist: Vec<i64>,
    came_from: Vec<Step>,
    queue: VecDeque<u32>,
    queued: Vec<bool>,
    /// Label improvements per broker; capped so a negative cycle cannot spin forever.
    relaxed: Vec<usize>,
}

impl Search {
    fn new(brokers: usize) -> Self {
        Search {
            dist: vec![UNREACHED; brokers],
            came_from: vec![
                Step {
                    from: NO_BROKER,
                    slot: usize::MAX,
                };
                brokers
            ],
            queue: VecDeque::new(),
            queued: vec![false; brokers],
            relaxed: vec![0; brokers],
        }
    }

    /// Cheaper labels go to the front (small-label-first keeps re-expansions rare).
    fn enqueue(&mut self, broker: u32, front: bool) {
        if self.queued[broker as usize] {
            return;
        }
        self.queued[broker as usize] = true;
        if front {
            self.queue.push_front(broker);
        } else {
            self.queue.push_back(broker);
        }
    }
}
