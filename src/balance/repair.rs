//! Augmenting paths for what the greedy placement could not place.
//!
//! A unit is a replica that a broker still has to shed, or a new replica still to place. The
//! search runs over brokers: "broker x holds one replica too many". From x, any replica of the
//! topic on x may go to any broker y that does not hold its partition and keeps its racks valid;
//! y then holds one too many, unless it still has room, which ends the path. Moving a replica
//! that already moved (or is new) costs nothing, moving one from its original broker is one more
//! move, so a 0-1 BFS finds the path with the fewest moves. A path reroutes earlier choices, so
//! it succeeds where greedy choices blocked each other; a path that needs more moves than the
//! unit itself means a constraint forced a detour. A partition appears at most once per path,
//! which keeps every step's validity check exact.
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

pub(crate) enum RepairOutcome {
    /// Placed at the unit's own cost (one move to shed, none to place).
    Free,
    /// Placed, with this many moves beyond the unit's own cost.
    ExtraMoves(u32),
    /// No path: the constraints leave no balanced valid option.
    Stuck,
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
            holdings,
        }
    }

    fn partition_of(&self, slot: usize) -> usize {
        self.slot_partition[slot - self.first_slot]
    }

    /// Finds and applies the cheapest path for one unit.
    pub fn route(&mut self, unit: Unit, work: &mut TopicWork, assigned: &mut [u32]) -> RepairOutcome {
        let brokers = self.cluster.broker_count();
        let mut dist = vec![u32::MAX; brokers];
        let mut came_from = vec![
            Step {
                from: NO_BROKER,
                slot: usize::MAX
            };
            brokers
        ];
        let mut settled = vec![false; brokers];
        let mut queue = VecDeque::new();
        let own_cost = match unit {
            Unit::Shed(b) => {
                dist[b as usize] = 0;
                queue.push_back(b);
                1
            }
            Unit::Place(slot) => {
                let p = self.partition_of(slot);
                let replicas = &assigned[self.cluster.partitions[p].slots()];
                let moving = slot - self.cluster.partitions[p].first_slot;
                for y in 0..brokers as u32 {
                    if !replicas.contains(&y) && move_keeps_racks(self.cluster, replicas, moving, y) {
                        dist[y as usize] = 0;
                        came_from[y as usize] = Step { from: NO_BROKER, slot };
                        queue.push_back(y);
                    }
                }
                0
            }
        };
        let start = match unit {
            Unit::Shed(b) => b,
            Unit::Place(_) => NO_BROKER,
        };
        let mut terminal = None;
        while let Some(x) = queue.pop_front() {
            let xi = x as usize;
            if settled[xi] {
                continue;
            }
            settled[xi] = true;
            if x != start && work.deficit[xi] > 0 {
                terminal = Some(x);
                break;
            }
            let on_path = self.partitions_on_path(x, &came_from);
            for &slot in &self.holdings[xi] {
                let p = self.partition_of(slot);
                if on_path.contains(&p) {
                    continue;
                }
                let cost = u32::from(self.original[slot] == x);
                let reach = dist[xi] + cost;
                let info = &self.cluster.partitions[p];
                let replicas = &assigned[info.slots()];
                let moving = slot - info.first_slot;
                for y in 0..brokers as u32 {
                    let yi = y as usize;
                    if dist[yi] <= reach
                        || replicas.contains(&y)
                        || !move_keeps_racks(self.cluster, replicas, moving, y)
                    {
                        continue;
                    }
                    dist[yi] = reach;
                    came_from[yi] = Step { from: x, slot };
                    if cost == 0 {
                        queue.push_front(y);
                    } else {
                        queue.push_back(y);
                    }
                }
            }
        }
        let Some(end) = terminal else {
            return RepairOutcome::Stuck;
        };
        let total = dist[end as usize];
        work.deficit[end as usize] -= 1;
        if let Unit::Shed(b) = unit {
            work.surplus[b as usize] -= 1;
        }
        let mut y = end;
        loop {
            let step = came_from[y as usize];
            self.move_slot(step.slot, y, assigned);
            if step.from == NO_BROKER || step.from == start {
                break;
            }
            y = step.from;
        }
        if total > own_cost {
            RepairOutcome::ExtraMoves(total - own_cost)
        } else {
            RepairOutcome::Free
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

    fn partitions_on_path(&self, mut x: u32, came_from: &[Step]) -> Vec<usize> {
        let mut partitions = Vec::new();
        loop {
            let step = came_from[x as usize];
            if step.slot == usize::MAX {
                return partitions;
            }
            partitions.push(self.partition_of(step.slot));
            if step.from == NO_BROKER {
                return partitions;
            }
            x = step.from;
        }
    }
}
