//! Realizes the target counts, topic by topic: which replicas leave the brokers above target and
//! where they land, and where new partitions go.
//!
//! Every broker above its target sheds exactly its surplus and every broker below receives
//! exactly its deficit, so the moves equal the count plan's (including new replicas that find no
//! room and displace an existing one) unless a constraint (two replicas of a partition on one
//! broker, the rack rule) forces a detour. A greedy pass handles almost everything: replicas
//! leave smallest first and go to a deficit broker of the same rack (always rack-valid) in
//! round-robin order, else to another rack where valid. New partitions then take the brokers with
//! the most remaining room. What the greedy pass cannot place (displacements included) goes to the
//! augmenting-path repair in [`super::repair`].
use std::collections::BTreeSet;

use super::cluster::{Cluster, UNPLACED};
use super::counts::{CountPlan, TopicCounts, topic_counts};
use super::racks::move_keeps_racks;
use super::repair::{TopicRepair, Unit};

/// What constraints cost during realization (extra moves show in the topics' moves).
#[derive(Default)]
pub(crate) struct Realized {
    /// Units (a replica to shed or a new replica to place) that could not be balanced.
    pub stuck: usize,
    pub notes: Vec<String>,
}

pub(crate) fn realize_counts(
    cluster: &Cluster<'_>,
    plan: &CountPlan,
    original: &[u32],
    assigned: &mut [u32],
) -> Realized {
    let brokers = cluster.broker_count();
    let mut groups = vec![Vec::new(); cluster.rack_groups()];
    for b in 0..brokers as u32 {
        groups[cluster.rack_of(b) as usize].push(b);
    }
    let mut counts = TopicCounts::new(brokers);
    let mut work = TopicWork {
        surplus: vec![0; brokers],
        deficit: vec![0; brokers],
    };
    let mut realized = Realized::default();
    for t in 0..cluster.topics.len() {
        topic_counts(cluster, assigned, t, &mut counts);
        let mut shed = 0u64;
        for b in 0..brokers {
            let target = u64::from(plan.floor[t]);
            let target = target + u64::from(plan.extra[t].binary_search(&(b as u32)).is_ok());
            let current = counts.per_broker[b];
            work.surplus[b] = current.saturating_sub(target) as u32;
            work.deficit[b] = target.saturating_sub(current) as u32;
            shed += u64::from(work.surplus[b]);
        }
        if shed == 0 && counts.created == 0 {
            continue;
        }
        greedy_moves(cluster, t, &groups, &mut work, assigned);
        place_created(cluster, t, &mut work, assigned);
        repair_rest(cluster, t, &mut work, original, assigned, &mut realized);
    }
    realized
}

pub(crate) struct TopicWork {
    /// Replicas each broker still has to shed.
    pub surplus: Vec<u32>,
    /// Replicas each broker still has to receive.
    pub deficit: Vec<u32>,
}

/// Deficit brokers of one rack group, visited round-robin so the arrivals spread evenly and
/// leave room everywhere for the new partitions placed next.
struct DeficitRing {
    brokers: Vec<u32>,
    cursor: usize,
}

impl DeficitRing {
    fn find(&mut self, deficit: &[u32], mut accept: impl FnMut(u32) -> bool) -> Option<u32> {
        let len = self.brokers.len();
        let mut full_seen = 0;
        let mut found = None;
        for step in 0..len {
            let index = (self.cursor + step) % len;
            let broker = self.brokers[index];
            if deficit[broker as usize] == 0 {
                full_seen += 1;
            } else if accept(broker) {
                self.cursor = index + 1;
                found = Some(broker);
                break;
            }
        }
        // Scans that mostly skip full brokers mean the ring should shrink; each broker is
        // dropped once, so scans stay cheap on average.
        if full_seen * 2 > len {
            let cursor = self.cursor.min(len);
            self.cursor = self.brokers[..cursor]
                .iter()
                .filter(|&&b| deficit[b as usize] > 0)
                .count();
            self.brokers.retain(|&b| deficit[b as usize] > 0);
        }
        found
    }
}

fn greedy_moves(cluster: &Cluster<'_>, topic: usize, groups: &[Vec<u32>], work: &mut TopicWork, assigned: &mut [u32]) {
    let mut remaining: u64 = work.surplus.iter().map(|&s| u64::from(s)).sum();
    if remaining == 0 {
        return;
    }
    let mut rings: Vec<DeficitRing> = groups
        .iter()
        .map(|group| DeficitRing {
            brokers: group
                .iter()
                .copied()
                .filter(|&b| work.deficit[b as usize] > 0)
                .collect(),
            cursor: 0,
        })
        .collect();
    let partitions = cluster.topics[topic].partitions.clone();
    let mut order: Vec<usize> = partitions.filter(|&p| !cluster.partitions[p].created).collect();
    // Smallest first (partition number breaks ties: the list is already in that order).
    order.sort_by_key(|&p| cluster.partitions[p].size_order());
    for p in order {
        let slots = cluster.partitions[p].slots();
        for i in 0..slots.len() {
            let from = assigned[slots.start + i];
            if work.surplus[from as usize] == 0 {
                continue;
            }
            let home = cluster.rack_of(from) as usize;
            let replicas = &assigned[slots.clone()];
            let mut found = None;
            for step in 0..rings.len() {
                let k = (home + step) % rings.len();
                found = rings[k].find(&work.deficit, |b| {
                    !replicas.contains(&b) && move_keeps_racks(cluster, replicas, i, b)
                });
                if found.is_some() {
                    break;
                }
            }
            if let Some(to) = found {
                assigned[slots.start + i] = to;
                work.surplus[from as usize] -= 1;
                work.deficit[to as usize] -= 1;
                remaining -= 1;
            }
        }
        if remaining == 0 {
            return;
        }
    }
}

/// New partitions take, replica by replica, the valid broker with the most room left (the lowest
/// id among equals). Brokers with room are kept per rack, ordered by room: a replica looks at the
/// first few of each rack instead of every broker, so placing grows with the replicas placed, not
/// with replicas times brokers (`--add-nodes 10000` grows topics and brokers together).
fn place_created(cluster: &Cluster<'_>, topic: usize, work: &mut TopicWork, assigned: &mut [u32]) {
    let mut created = cluster.topic_partitions(topic).iter().filter(|p| p.created).peekable();
    if created.peek().is_none() {
        return;
    }
    let mut room = RoomByRack::new(cluster, &work.deficit);
    for p in created {
        let slots = p.slots();
        for i in 0..slots.len() {
            if assigned[slots.start + i] != UNPLACED {
                continue;
            }
            let replicas = &assigned[slots.clone()];
            let best = room
                .best_per_rack(
                    |rack_broker| move_keeps_racks(cluster, replicas, i, rack_broker),
                    replicas,
                )
                .max_by_key(|&b| (work.deficit[b as usize], std::cmp::Reverse(b)));
            if let Some(b) = best {
                assigned[slots.start + i] = b;
                room.take_one(b, &mut work.deficit);
            }
        }
    }
}

/// Brokers with room (deficit > 0), per rack group, most room first, then lowest id.
struct RoomByRack {
    racks: Vec<BTreeSet<(std::cmp::Reverse<u32>, u32)>>,
    rack_of: Vec<u32>,
}

impl RoomByRack {
    fn new(cluster: &Cluster<'_>, deficit: &[u32]) -> RoomByRack {
        let mut racks = vec![BTreeSet::new(); cluster.rack_groups()];
        let rack_of: Vec<u32> = (0..cluster.broker_count() as u32).map(|b| cluster.rack_of(b)).collect();
        for (b, &room) in deficit.iter().enumerate() {
            if room > 0 {
                racks[rack_of[b] as usize].insert((std::cmp::Reverse(room), b as u32));
            }
        }
        RoomByRack { racks, rack_of }
    }

    /// Per rack the rack rule allows (`rack_allows` is asked with one broker of the rack: the
    /// rule depends on the rack only), its best broker not already among `replicas`.
    fn best_per_rack<'a>(
        &'a self,
        mut rack_allows: impl FnMut(u32) -> bool + 'a,
        replicas: &'a [u32],
    ) -> impl Iterator<Item = u32> + 'a {
        self.racks.iter().filter_map(move |rack| {
            let (_, first) = rack.first()?;
            if !rack_allows(*first) {
                return None;
            }
            // At most `replicas.len()` brokers are skipped.
            rack.iter().map(|&(_, b)| b).find(|b| !replicas.contains(b))
        })
    }

    fn take_one(&mut self, broker: u32, deficit: &mut [u32]) {
        let rack = &mut self.racks[self.rack_of[broker as usize] as usize];
        let room = deficit[broker as usize];
        rack.remove(&(std::cmp::Reverse(room), broker));
        deficit[broker as usize] = room - 1;
        if room > 1 {
            rack.insert((std::cmp::Reverse(room - 1), broker));
        }
    }
}

/// Sends what the greedy pass left to the augmenting-path repair, and records what even that
/// cannot do.
fn repair_rest(
    cluster: &Cluster<'_>,
    topic: usize,
    work: &mut TopicWork,
    original: &[u32],
    assigned: &mut [u32],
    realized: &mut Realized,
) {
    let mut units = Vec::new();
    for (b, &s) in work.surplus.iter().enumerate() {
        units.extend(std::iter::repeat_n(Unit::Shed(b as u32), s as usize));
    }
    for p in cluster.topic_partitions(topic).iter().filter(|p| p.created) {
        for slot in p.slots() {
            if assigned[slot] == UNPLACED {
                units.push(Unit::Place(slot));
            }
        }
    }
    if units.is_empty() {
        return;
    }
    let name = cluster.topics[topic].name;
    let mut repair = TopicRepair::new(cluster, topic, original, assigned);
    let (mut stuck_shed, mut stuck_place) = (Vec::new(), Vec::new());
    for unit in units {
        // A broker that found no path once will not find one for its next replica either
        // (later paths only use up room): skip the search.
        let hopeless = matches!(unit, Unit::Shed(b) if stuck_shed.contains(&cluster.broker_ids[b as usize]));
        if !hopeless && repair.route(unit, work, assigned) {
            continue;
        }
        realized.stuck += 1;
        match unit {
            Unit::Shed(b) => {
                let id = cluster.broker_ids[b as usize];
                if !stuck_shed.contains(&id) {
                    stuck_shed.push(id);
                }
            }
            Unit::Place(slot) => {
                let id = cluster.broker_ids[repair.place_anywhere(slot, assigned) as usize];
                if !stuck_place.contains(&id) {
                    stuck_place.push(id);
                }
            }
        }
    }
    if !stuck_shed.is_empty() {
        realized.notes.push(format!(
            "topic {name}: brokers {stuck_shed:?} keep a replica above their balanced share: no \
             valid broker can take it (distinct brokers / racks)"
        ));
    }
    if !stuck_place.is_empty() {
        realized.notes.push(format!(
            "topic {name}: new replicas go to brokers {stuck_place:?} beyond their balanced share: \
             no balanced valid place exists"
        ));
    }
}
