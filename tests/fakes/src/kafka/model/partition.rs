//! One partition's registration (replicas, ISR, leader, epochs, reassignment lists) and the one way
//! it changes: a port of Kafka's `PartitionChangeBuilder` (KRaft controller), with eligible leader
//! replicas (KIP-966) off, as in Kafka 3.x and 4.0 defaults.
//!
//! Every change of the fake (a reassignment starting, a follower catching up, a broker leaving or
//! coming back, a cancel) sets targets on a [`PartitionChange`] and calls [`PartitionChange::apply`],
//! exactly as the controller does: complete the reassignment if the ISR allows it, elect a leader,
//! bump epochs.
use std::collections::BTreeMap;

use serde::Serialize;

use super::offsets::LogOffsets;

pub const NO_LEADER: i32 = -1;

#[derive(Debug, Clone, Serialize)]
pub struct Partition {
    pub index: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
    pub leader: i32,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    /// Bytes of the log on the leader: what a new replica has to copy.
    pub size_bytes: i64,
    /// Bytes held so far by replicas outside the ISR (catching up); ISR members hold `size_bytes`.
    pub catching_up: BTreeMap<i32, f64>,
    pub log: LogOffsets,
}

impl Partition {
    /// A new partition whose replicas are all in sync, led by the first acceptable one.
    pub fn new(index: i32, replicas: Vec<i32>, isr: Vec<i32>, size_bytes: i64, log: LogOffsets) -> Partition {
        Partition {
            index,
            leader: NO_LEADER,
            replicas,
            isr,
            adding: Vec::new(),
            removing: Vec::new(),
            leader_epoch: 0,
            partition_epoch: 0,
            size_bytes,
            catching_up: BTreeMap::new(),
            log,
        }
    }

    pub fn reassignment_in_progress(&self) -> bool {
        !self.adding.is_empty() || !self.removing.is_empty()
    }

    /// Bytes of this partition's log on `broker`, if it hosts a replica.
    pub fn bytes_on(&self, broker: i32) -> Option<f64> {
        if !self.replicas.contains(&broker) {
            return None;
        }
        if self.isr.contains(&broker) {
            return Some(self.size_bytes as f64);
        }
        Some(self.catching_up.get(&broker).copied().unwrap_or(0.0))
    }

    /// Replicas that are not in the ISR: they fetch from the leader until they hold the whole log.
    pub fn out_of_sync(&self) -> impl Iterator<Item = i32> + '_ {
        self.replicas.iter().copied().filter(|r| !self.isr.contains(r))
    }
}

/// Which leaders an election may pick, as `PartitionChangeBuilder.Election`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Election {
    /// Keep the current leader if it is still valid, else the first valid replica in the ISR.
    Online,
    /// Like `Online`, but fall back to any live replica outside the ISR (unclean, may lose data).
    Unclean,
    /// The first target replica if it is a valid leader, else as `Online` (`electPreferredLeader`).
    Preferred,
}

/// The targets of one change; unset targets keep the partition's current values.
pub struct PartitionChange<'a> {
    partition: &'a Partition,
    target_isr: Vec<i32>,
    target_replicas: Vec<i32>,
    target_removing: Vec<i32>,
    target_adding: Vec<i32>,
    election: Election,
}

/// What a change did, for the fake's log and tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeOutcome {
    pub changed: bool,
    pub leader_changed: bool,
    pub reassignment_completed: bool,
}

impl<'a> PartitionChange<'a> {
    pub fn new(partition: &'a Partition) -> PartitionChange<'a> {
        PartitionChange {
            partition,
            target_isr: partition.isr.clone(),
            target_replicas: partition.replicas.clone(),
            target_removing: partition.removing.clone(),
            target_adding: partition.adding.clone(),
            election: Election::Online,
        }
    }

    pub fn isr(mut self, isr: Vec<i32>) -> Self {
        self.target_isr = isr;
        self
    }

    pub fn replicas(mut self, replicas: Vec<i32>) -> Self {
        self.target_replicas = replicas;
        self
    }

    pub fn removing(mut self, removing: Vec<i32>) -> Self {
        self.target_removing = removing;
        self
    }

    pub fn adding(mut self, adding: Vec<i32>) -> Self {
        self.target_adding = adding;
        self
    }

    pub fn election(mut self, election: Election) -> Self {
        self.election = election;
        self
    }

    /// Computes the new registration (`PartitionChangeBuilder.build`) and writes it into `target`,
    /// which must be the partition this change was made from. `acceptable_leader` is the
    /// controller's `isActive` (registered, unfenced), minus a broker being fenced right now.
    pub fn apply(self, acceptable_leader: impl Fn(i32) -> bool, target: &mut Partition) -> ChangeOutcome {
        let record = self.build(acceptable_leader);
        let outcome = ChangeOutcome {
            changed: record.is_change(),
            leader_changed: record.leader.is_some_and(|leader| leader != target.leader),
            reassignment_completed: record.reassignment_completed,
        };
        record.merge_into(target);
        outcome
    }

    fn build(mut self, acceptable_leader: impl Fn(i32) -> bool) -> ChangeRecord {
        let part = self.partition;
        let mut record = ChangeRecord {
            reassignment_completed: self.complete_reassignment_if_needed(),
            ..ChangeRecord::default()
        };

        // Election (electPreferredLeader for a preferred election: the first target replica if
        // valid; then electAnyLeader: keep a valid current leader, else the first valid replica).
        let valid = |r: i32| self.target_isr.contains(&r) && acceptable_leader(r);
        let preferred = self.target_replicas.first().copied().filter(|&r| valid(r));
        let (leader, unclean) = if let Some(r) = preferred.filter(|_| self.election == Election::Preferred) {
            (r, false)
        } else if part.leader != NO_LEADER && valid(part.leader) {
            (part.leader, false)
        } else if let Some(r) = self.target_replicas.iter().copied().find(|&r| valid(r)) {
            (r, false)
        } else if self.election == Election::Unclean {
            match self.target_replicas.iter().copied().find(|&r| acceptable_leader(r)) {
                Some(r) => (r, true),
                None => (NO_LEADER, false),
            }
        } else {
            (NO_LEADER, false)
        };
        if leader != part.leader {
            record.leader = Some(leader);
            if unclean {
                // An unclean leader becomes the whole ISR (data beyond its log end is lost).
                record.isr = Some(vec![leader]);
            }
        } else if !part.replicas.iter().all(|r| self.target_replicas.contains(r)) {
            // triggerLeaderEpochBumpForReplicaReassignmentIfNeeded: a replica left, so the leader
            // epoch moves even though the leader stays.
            record.leader = Some(part.leader);
        }

        // With ELR off, an empty target ISR is never written: the last member stays in the ISR.
        if record.isr.is_none() && !self.target_isr.is_empty() && self.target_isr != part.isr {
            record.isr = Some(self.target_isr.clone());
        }
        if !self.target_replicas.is_empty() && self.target_replicas != part.replicas {
            record.replicas = Some(self.target_replicas.clone());
        }
        if self.target_removing != part.removing {
            record.removing = Some(self.target_removing.clone());
        }
        if self.target_adding != part.adding {
            record.adding = Some(self.target_adding.clone());
        }
        record
    }

    /// `completeReassignmentIfNeeded` + `PartitionReassignmentReplicas.maybeCompleteReassignment`:
    /// once every replica that stays is in the ISR, the removing replicas leave replicas and ISR.
    fn complete_reassignment_if_needed(&mut self) -> bool {
        if self.target_removing.is_empty() && self.target_adding.is_empty() {
            return false;
        }
        let removing = &self.target_removing;
        let new_isr: Vec<i32> = self
            .target_isr
            .iter()
            .copied()
            .filter(|r| !removing.contains(r))
            .collect();
        let new_replicas: Vec<i32> = self
            .target_replicas
            .iter()
            .copied()
            .filter(|r| !removing.contains(r))
            .collect();
        if new_isr.is_empty() || new_replicas.is_empty() {
            return false;
        }
        if !new_replicas.iter().all(|r| new_isr.contains(r)) {
            return false;
        }
        self.target_isr = new_isr;
        self.target_replicas = new_replicas;
        self.target_removing = Vec::new();
        self.target_adding = Vec::new();
        true
    }
}

/// A `PartitionChangeRecord`: only the fields that change are set.
#[derive(Debug, Default)]
struct ChangeRecord {
    leader: Option<i32>,
    isr: Option<Vec<i32>>,
    replicas: Option<Vec<i32>>,
    removing: Option<Vec<i32>>,
    adding: Option<Vec<i32>>,
    reassignment_completed: bool,
}

impl ChangeRecord {
    fn is_change(&self) -> bool {
        self.leader.is_some()
            || self.isr.is_some()
            || self.replicas.is_some()
            || self.removing.is_some()
            || self.adding.is_some()
    }

    /// `PartitionRegistration.merge`: a set leader field bumps the leader epoch, any change bumps
    /// the partition epoch.
    fn merge_into(self, part: &mut Partition) {
        if !self.is_change() {
            return;
        }
        if let Some(leader) = self.leader {
            part.leader = leader;
            part.leader_epoch += 1;
        }
        if let Some(isr) = self.isr {
            part.isr = isr;
        }
        if let Some(replicas) = self.replicas {
            part.replicas = replicas;
        }
        if let Some(removing) = self.removing {
            part.removing = removing;
        }
        if let Some(adding) = self.adding {
            part.adding = adding;
        }
        part.partition_epoch += 1;
        // Logs of brokers that are no longer replicas are deleted; ISR members hold the full log.
        let (replicas, isr) = (part.replicas.clone(), part.isr.clone());
        part.catching_up
            .retain(|broker, _| replicas.contains(broker) && !isr.contains(broker));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(replicas: &[i32], isr: &[i32], leader: i32) -> Partition {
        let mut p = Partition::new(0, replicas.to_vec(), isr.to_vec(), 1000, LogOffsets::new(0, 0, 0, 0.0));
        p.leader = leader;
        p
    }

    #[test]
    fn a_fenced_leader_is_replaced_by_the_first_in_sync_replica() {
        let mut p = partition(&[1, 2, 3], &[1, 2, 3], 1);
        let out = PartitionChange::new(&p.clone())
            .isr(vec![2, 3])
            .apply(|r| r != 1, &mut p);
        assert!(out.leader_changed);
        assert_eq!((p.leader, p.leader_epoch, p.isr.clone()), (2, 1, vec![2, 3]));
    }

    #[test]
    fn the_last_in_sync_replica_stays_in_the_isr_without_a_leader() {
        let mut p = partition(&[1, 2], &[1], 1);
        PartitionChange::new(&p.clone()).isr(vec![]).apply(|r| r != 1, &mut p);
        assert_eq!((p.leader, p.isr.clone()), (NO_LEADER, vec![1]));
    }

    #[test]
    fn a_reassignment_completes_once_every_target_replica_is_in_sync() {
        // In flight: [4,5,6] replacing [1,2,3]; 4 and 5 caught up earlier, 6 catches up now.
        let mut p = partition(&[4, 5, 6, 1, 2, 3], &[1, 2, 3, 4, 5], 1);
        p.adding = vec![4, 5, 6];
        p.removing = vec![1, 2, 3];
        let out = PartitionChange::new(&p.clone())
            .isr(vec![1, 2, 3, 4, 5, 6])
            .apply(|_| true, &mut p);
        assert!(out.reassignment_completed && out.leader_changed);
        assert_eq!(p.replicas, vec![4, 5, 6]);
        assert_eq!(p.isr, vec![4, 5, 6]);
        assert_eq!(p.leader, 4);
        assert!(p.adding.is_empty() && p.removing.is_empty());
    }

    #[test]
    fn removing_a_follower_bumps_the_leader_epoch_but_keeps_the_leader() {
        let mut p = partition(&[1, 2, 3], &[1, 2, 3], 1);
        let out = PartitionChange::new(&p.clone())
            .replicas(vec![1, 2, 3])
            .removing(vec![3])
            .apply(|_| true, &mut p);
        assert!(out.reassignment_completed);
        assert_eq!((p.leader, p.leader_epoch, p.replicas.clone()), (1, 1, vec![1, 2]));
    }
}
