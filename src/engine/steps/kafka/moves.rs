//! Which partition moves to start next: pure scheduling over what the cluster reports, so a resumed
//! apply derives the same picture from the same facts. A move is in one of four states, read from
//! the cluster, never remembered: finished (the live replicas are the target and nothing is in
//! flight), in flight (ListPartitionReassignments has it), lost (recorded as submitted but neither:
//! the apply died between recording and sending) or pending.
//!
//! Order (what makes the copy end near its physical bound, see `copy_bound`): under a replication
//! throttle a broker's copies share its rate, so the whole copy cannot end before the broker with
//! the most bytes to receive or send has moved them all. Each poll, the moves whose busiest broker
//! has the most bytes left go first, and among a broker's moves large and small ones alternate
//! (the largest, the smallest, the second largest, ...): the busiest brokers never wait for a slot,
//! and copies of one size sent together would end together, often well before the next poll, and
//! leave the broker's link idle until then; mixed sizes end at different times, a large copy keeps
//! the link busy while the small ones turn over at each poll. The leader that sends copies counts each of them against its broker's
//! limit (a move adding two replicas takes two of its slots), the brokers that receive or drop a
//! replica one slot each: a leader sending more copies than its receivers take slows every one
//! of them (the throttle's rate is shared equally), which would leave the receivers' rate unused.
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One partition's planned change of replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub topic: String,
    pub partition: i32,
    pub from: Vec<i32>,
    pub to: Vec<i32>,
    /// Bytes one new replica copies, when the plan knew the partition's size.
    pub bytes: Option<u64>,
}

pub type Key = (String, i32);

impl Move {
    pub fn key(&self) -> Key {
        (self.topic.clone(), self.partition)
    }

    /// Brokers the move loads: those that receive a copy or drop a replica, and the leader that
    /// sends the copies.
    pub fn brokers(&self) -> BTreeSet<i32> {
        let from: BTreeSet<i32> = self.from.iter().copied().collect();
        let to: BTreeSet<i32> = self.to.iter().copied().collect();
        let mut loaded: BTreeSet<i32> = from.symmetric_difference(&to).copied().collect();
        loaded.extend(self.sender());
        loaded
    }

    /// The slots the move takes on each broker it loads: one on a broker that receives a copy or
    /// drops a replica, one per copy on the leader that sends them (its throttle is shared by all
    /// of its copies: a leader sending more copies than a receiver takes slows that receiver).
    pub fn slots(&self) -> BTreeMap<i32, usize> {
        let copies = self.adding().len();
        self.brokers()
            .into_iter()
            .map(|broker| {
                let slots = if Some(broker) == self.sender() {
                    copies.max(1)
                } else {
                    1
                };
                (broker, slots)
            })
            .collect()
    }

    pub fn adding(&self) -> Vec<i32> {
        self.to.iter().copied().filter(|b| !self.from.contains(b)).collect()
    }

    /// The broker the new replicas copy from: the partition's leader, which in a healthy cluster
    /// is its preferred leader (the first current replica). None when nothing is copied.
    pub fn sender(&self) -> Option<i32> {
        let copies = self.to.iter().any(|b| !self.from.contains(b));
        self.from.first().copied().filter(|_| copies)
    }

    /// The weight of one new replica in the schedule: its bytes, or 1 when the size is unknown
    /// (then moves count by number).
    pub fn weight(&self) -> u64 {
        self.bytes.unwrap_or(1).max(1)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_broker: usize,
    pub total: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub finished: Vec<Key>,
    pub in_flight: Vec<Key>,
    /// Submitted before but neither in flight nor finished: to send again.
    pub lost: Vec<Key>,
    pub pending: Vec<Key>,
    /// Moves to send now (lost ones first), within the limits.
    pub next: Vec<Key>,
}

impl Progress {
    pub fn is_complete(&self) -> bool {
        self.in_flight.is_empty() && self.lost.is_empty() && self.pending.is_empty()
    }
}

/// Sorts the moves into their states and picks the next ones to send (see the module's comment for
/// the order). `live` is the replicas now; `reassigning` the partitions in flight, read before
/// `live` (else a move finishing between the reads looks lost).
pub fn schedule(
    moves: &[Move],
    live: &BTreeMap<Key, Vec<i32>>,
    reassigning: &BTreeSet<Key>,
    submitted: &BTreeSet<Key>,
    limits: Limits,
) -> Progress {
    let mut progress = Progress::default();
    let mut load: BTreeMap<i32, usize> = BTreeMap::new();
    let mut busy = 0usize;
    let mut waiting = Vec::new();
    // Bytes each broker still receives or sends, in flight or waiting.
    let mut left: BTreeMap<i32, u64> = BTreeMap::new();
    let mut count_left = |planned: &Move| {
        let adding = planned.adding();
        for broker in &adding {
            *left.entry(*broker).or_default() += planned.weight();
        }
        if let Some(sender) = planned.sender() {
            *left.entry(sender).or_default() += planned.weight() * adding.len() as u64;
        }
    };
    for planned in moves {
        let key = planned.key();
        if reassigning.contains(&key) {
            progress.in_flight.push(key);
            busy += 1;
            for (broker, slots) in planned.slots() {
                *load.entry(broker).or_default() += slots;
            }
            count_left(planned);
        } else if live.get(&key) == Some(&planned.to) {
            progress.finished.push(key);
        } else {
            if submitted.contains(&key) {
                progress.lost.push(key);
            } else {
                progress.pending.push(key);
            }
            count_left(planned);
            waiting.push(planned);
        }
    }
    // Lost moves were already admitted once: they go first. Then the moves of the brokers with
    // the most left to copy, large and small alternating (see the module's comment).
    let urgency = |planned: &Move| {
        planned
            .adding()
            .into_iter()
            .chain(planned.sender())
            .map(|broker| left.get(&broker).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    };
    let turns = alternating_sizes(&waiting);
    let mut ordered: Vec<(bool, Reverse<u64>, usize, &Move)> = waiting
        .into_iter()
        .zip(turns)
        .map(|(planned, turn)| {
            (
                !submitted.contains(&planned.key()),
                Reverse(urgency(planned)),
                turn,
                planned,
            )
        })
        .collect();
    ordered.sort_by_key(|(fresh, urgency, turn, _)| (*fresh, *urgency, *turn));
    for (_, _, _, planned) in ordered {
        let slots = planned.slots();
        // A reorder copies nothing: it never waits for room.
        if slots.is_empty() {
            progress.next.push(planned.key());
            continue;
        }
        // A move needing more slots than a broker has goes when that broker is idle (never stalls).
        let room = busy < limits.total
            && slots.iter().all(|(b, wanted)| {
                let used = load.get(b).copied().unwrap_or(0);
                used == 0 || used + wanted <= limits.per_broker
            });
        if room {
            busy += 1;
            for (broker, wanted) in slots {
                *load.entry(broker).or_default() += wanted;
            }
            progress.next.push(planned.key());
        }
    }
    progress
}

/// Each move's turn when large and small moves alternate: the largest 0, the smallest 1, the
/// second largest 2, the second smallest 3, ... Moves of equal weight share their turn, so they
/// keep the plan's order (the sort is stable).
fn alternating_sizes(moves: &[&Move]) -> Vec<usize> {
    let mut by_weight: Vec<usize> = (0..moves.len()).collect();
    by_weight.sort_by_key(|&i| Reverse(moves[i].weight()));
    let count = moves.len();
    let mut turns = vec![0; count];
    let mut first_of_weight = 0;
    for (rank, &i) in by_weight.iter().enumerate() {
        if rank > 0 && moves[by_weight[rank - 1]].weight() != moves[i].weight() {
            first_of_weight = rank;
        }
        turns[i] = if first_of_weight < count.div_ceil(2) {
            2 * first_of_weight
        } else {
            2 * (count - 1 - first_of_weight) + 1
        };
    }
    turns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(partition: i32, from: &[i32], to: &[i32]) -> Move {
        Move {
            topic: "t".into(),
            partition,
            from: from.to_vec(),
            to: to.to_vec(),
            bytes: None,
        }
    }

    fn key(partition: i32) -> Key {
        ("t".to_string(), partition)
    }

    const LIMITS: Limits = Limits {
        per_broker: 2,
        total: 10,
    };

    #[test]
    fn a_broker_takes_at_most_its_share_of_moves_at_once() {
        let moves: Vec<Move> = (0..5).map(|p| mv(p, &[1, 2], &[1, 3])).collect();
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let progress = schedule(&moves, &live, &BTreeSet::new(), &BTreeSet::new(), LIMITS);
        assert_eq!(progress.next, vec![key(0), key(1)]);
        assert_eq!(progress.pending.len(), 5);
    }

    #[test]
    fn a_leader_counts_each_copy_it_sends_against_its_limit() {
        // Leader 1 sends two copies per move: with 4 slots, two moves; the receivers have room.
        let moves: Vec<Move> = (0..3).map(|p| mv(p, &[1, 2], &[10 + p, 20 + p])).collect();
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let limits = Limits {
            per_broker: 4,
            total: 10,
        };
        let progress = schedule(&moves, &live, &BTreeSet::new(), &BTreeSet::new(), limits);
        assert_eq!(progress.next, vec![key(0), key(1)]);
        assert_eq!(moves[0].slots()[&1], 2);
        assert_eq!(moves[0].slots()[&10], 1);
    }

    #[test]
    fn a_move_wider_than_the_limit_goes_alone_when_its_leader_is_idle() {
        let moves = vec![mv(0, &[1, 2, 3], &[4, 5, 6]), mv(1, &[1, 2, 3], &[7, 8, 9])];
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let limits = Limits {
            per_broker: 2,
            total: 10,
        };
        let progress = schedule(&moves, &live, &BTreeSet::new(), &BTreeSet::new(), limits);
        assert_eq!(
            progress.next,
            vec![key(0)],
            "3 copies from leader 1: alone, never stalled"
        );
    }

    #[test]
    fn a_brokers_moves_alternate_large_and_small() {
        let moves: Vec<Move> = [3u64, 9, 1, 7, 5]
            .into_iter()
            .enumerate()
            .map(|(p, gb)| Move {
                bytes: Some(gb << 30),
                ..mv(p as i32, &[1], &[2])
            })
            .collect();
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let limits = Limits {
            per_broker: 5,
            total: 10,
        };
        let progress = schedule(&moves, &live, &BTreeSet::new(), &BTreeSet::new(), limits);
        // 9, 1, 7, 3, 5 GB: the largest, the smallest, the second largest, ...
        assert_eq!(progress.next, vec![key(1), key(2), key(3), key(0), key(4)]);
        assert_eq!(
            alternating_sizes(&moves.iter().collect::<Vec<_>>()),
            vec![3, 0, 1, 2, 4]
        );
    }

    #[test]
    fn the_cluster_limit_caps_moves_on_disjoint_brokers() {
        let moves: Vec<Move> = (0..4).map(|p| mv(p, &[p * 2], &[p * 2 + 1])).collect();
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let limits = Limits {
            per_broker: 5,
            total: 3,
        };
        let progress = schedule(&moves, &live, &BTreeSet::new(), &BTreeSet::new(), limits);
        assert_eq!(progress.next.len(), 3);
    }

    #[test]
    fn in_flight_moves_use_room_and_finished_ones_free_it() {
        let moves: Vec<Move> = (0..4).map(|p| mv(p, &[1, 2], &[1, 3])).collect();
        let mut live: BTreeMap<Key, Vec<i32>> = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        live.insert(key(0), vec![1, 3]);
        let reassigning: BTreeSet<Key> = [key(1)].into();
        let submitted: BTreeSet<Key> = [key(0), key(1)].into();
        let progress = schedule(&moves, &live, &reassigning, &submitted, LIMITS);
        assert_eq!(progress.finished, vec![key(0)]);
        assert_eq!(progress.in_flight, vec![key(1)]);
        assert_eq!(progress.next, vec![key(2)]);
        assert!(!progress.is_complete());
    }

    #[test]
    fn a_move_recorded_but_never_sent_is_sent_again_first() {
        let moves = vec![mv(0, &[1], &[2]), mv(1, &[1], &[3])];
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let submitted: BTreeSet<Key> = [key(1)].into();
        let limits = Limits {
            per_broker: 1,
            total: 10,
        };
        let progress = schedule(&moves, &live, &BTreeSet::new(), &submitted, limits);
        assert_eq!(progress.lost, vec![key(1)]);
        assert_eq!(progress.next, vec![key(1)], "broker 1 has room for one: the lost move");
    }

    #[test]
    fn reorders_never_wait_and_everything_done_is_complete() {
        let moves = vec![mv(0, &[1, 2], &[2, 1]), mv(1, &[1, 2], &[1, 3])];
        let live = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
        let limits = Limits {
            per_broker: 0,
            total: 0,
        };
        let progress = schedule(&moves, &live, &BTreeSet::new(), &BTreeSet::new(), limits);
        assert_eq!(progress.next, vec![key(0)]);
        let done = moves.iter().map(|m| (m.key(), m.to.clone())).collect();
        assert!(schedule(&moves, &done, &BTreeSet::new(), &BTreeSet::new(), limits).is_complete());
    }
}
