//! Partition reassignments (KIP-455) as the KRaft controller runs them:
//! ReplicationControlManager.alterPartitionReassignment / cancelPartitionReassignment /
//! changePartitionReassignment / listPartitionReassignments, PartitionReassignmentReplicas and
//! PartitionReassignmentRevert. The data copy itself runs in replication.rs.
use kafka_protocol::ResponseError;

use super::Cluster;
use super::partition::{Election, PartitionChange};
use crate::kafka::errors::{ApiError, ApiResult};
use crate::kafka::seed::Layout;

/// One in-flight reassignment as ListPartitionReassignments reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ongoing {
    pub partition: i32,
    pub replicas: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

impl Cluster {
    /// Starts, changes (`target` Some) or cancels (`target` None) the reassignment of one partition.
    pub fn alter_reassignment(
        &mut self,
        topic: &str,
        partition: i32,
        target: Option<&[i32]>,
        allow_rf_change: bool,
    ) -> ApiResult<()> {
        if !self.topics.contains_key(topic) {
            return Err(ApiError::new(
                ResponseError::UnknownTopicOrPartition,
                format!("Unable to find a topic named {topic}."),
            ));
        }
        if self.partition(topic, partition).is_none() {
            return Err(ApiError::new(
                ResponseError::UnknownTopicOrPartition,
                format!("Unable to find partition {topic}:{partition}."),
            ));
        }
        match target {
            None => self.cancel_reassignment(topic, partition),
            Some(target) => {
                if !allow_rf_change {
                    self.check_replication_factor_unchanged(topic, partition, target.len())?;
                }
                self.change_reassignment(topic, partition, target)
            }
        }
    }

    /// KIP-860 (`allowReplicationFactorChange` false): the target must have as many replicas as the
    /// set the partition is heading for.
    fn check_replication_factor_unchanged(&self, topic: &str, partition: i32, target_len: usize) -> ApiResult<()> {
        let Some(part) = self.partition(topic, partition) else {
            return Ok(());
        };
        let current = if part.reassignment_in_progress() {
            let mut heading: Vec<i32> = part.replicas.iter().chain(&part.adding).copied().collect();
            heading.sort_unstable();
            heading.dedup();
            heading.retain(|r| !part.removing.contains(r));
            heading.len()
        } else {
            part.replicas.len()
        };
        if current == target_len {
            return Ok(());
        }
        Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            format!("The replication factor is changed from {current} to {target_len}"),
        ))
    }

    fn change_reassignment(&mut self, topic: &str, partition: i32, target: &[i32]) -> ApiResult<()> {
        self.validate_manual_assignment(target, None)?;
        let Some(part) = self.partition(topic, partition) else {
            return Ok(());
        };
        let current = part.replicas.clone();
        // PartitionReassignmentReplicas: removing and adding are sorted sets; while in flight the
        // replica list is the target followed by the replicas being removed.
        let mut removing: Vec<i32> = current.iter().copied().filter(|r| !target.contains(r)).collect();
        removing.sort_unstable();
        let mut adding: Vec<i32> = target.iter().copied().filter(|r| !current.contains(r)).collect();
        adding.sort_unstable();
        if self.layout == Layout::Legacy && adding.iter().any(|&r| !self.is_active(r)) {
            // The ZooKeeper controller (KafkaController.validateReplicas) only adds live brokers.
            let live: Vec<i32> = self.active_brokers().map(|b| b.id).collect();
            return Err(ApiError::new(
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "Replica assignment has brokers that are not alive. Replica list: {adding:?}, live broker list: {live:?}"
                ),
            ));
        }
        let replicas: Vec<i32> = target.iter().copied().chain(removing.iter().copied()).collect();
        let snapshot = part.clone();
        let mut change = PartitionChange::new(&snapshot);
        if replicas != current {
            change = change.replicas(replicas);
        }
        if !removing.is_empty() {
            change = change.removing(removing);
        }
        if !adding.is_empty() {
            change = change.adding(adding.clone());
        }
        let brokers = self.brokers.clone();
        let active = |r: i32| brokers.get(&r).is_some_and(|b| !b.fenced);
        let Some(part) = self.partition_mut(topic, partition) else {
            return Ok(());
        };
        let outcome = change.apply(active, part);
        for r in adding {
            if part.replicas.contains(&r) && !part.isr.contains(&r) {
                part.catching_up.entry(r).or_insert(0.0);
            }
        }
        let summary = format!(
            "{topic}-{partition}: reassigning to {target:?} (replicas {:?}, adding {:?}, removing {:?}, leader {})",
            part.replicas, part.adding, part.removing, part.leader
        );
        self.record(summary);
        if outcome.reassignment_completed {
            self.record(format!("{topic}-{partition}: reassignment completed at once"));
        }
        Ok(())
    }

    fn cancel_reassignment(&mut self, topic: &str, partition: i32) -> ApiResult<()> {
        let unclean_allowed = self.unclean_election_enabled(topic);
        let Some(part) = self.partition(topic, partition) else {
            return Ok(());
        };
        if !part.reassignment_in_progress() {
            // NoReassignmentInProgressException carries Kafka's default message: null on the wire.
            return Err(ApiError::bare(ResponseError::NoReassignmentInProgress));
        }
        // PartitionReassignmentRevert: drop what was being added, keep what was being removed.
        let replicas: Vec<i32> = part
            .replicas
            .iter()
            .copied()
            .filter(|r| !part.adding.contains(r))
            .collect();
        let mut isr: Vec<i32> = part.isr.iter().copied().filter(|r| !part.adding.contains(r)).collect();
        if isr.is_empty() {
            if !unclean_allowed {
                return Err(ApiError::new(
                    ResponseError::InvalidReplicaAssignment,
                    format!(
                        "Unable to revert partition assignment for {topic}:{partition} because it would require an \
                         unclean leader election."
                    ),
                ));
            }
            isr.push(replicas[0]);
        }
        let snapshot = part.clone();
        let change = PartitionChange::new(&snapshot)
            .isr(isr)
            .replicas(replicas)
            .removing(Vec::new())
            .adding(Vec::new())
            .election(if unclean_allowed {
                Election::Unclean
            } else {
                Election::Online
            });
        let brokers = self.brokers.clone();
        let active = |r: i32| brokers.get(&r).is_some_and(|b| !b.fenced);
        let Some(part) = self.partition_mut(topic, partition) else {
            return Ok(());
        };
        change.apply(active, part);
        let summary = format!(
            "{topic}-{partition}: reassignment cancelled, back to {:?}",
            part.replicas
        );
        self.record(summary);
        Ok(())
    }

    /// In-flight reassignments, for all topics (`None`) or the given partitions of given topics;
    /// unknown topics and partitions, and partitions not being reassigned, are left out.
    pub fn list_reassignments(&self, filter: Option<&[(String, Vec<i32>)]>) -> Vec<(String, Vec<Ongoing>)> {
        let ongoing = |topic: &str, partition: i32| {
            let p = self.partition(topic, partition)?;
            p.reassignment_in_progress().then(|| Ongoing {
                partition,
                replicas: p.replicas.clone(),
                adding: p.adding.clone(),
                removing: p.removing.clone(),
            })
        };
        let wanted: Vec<(String, Vec<i32>)> = match filter {
            Some(f) => f.iter().filter(|(t, _)| self.topics.contains_key(t)).cloned().collect(),
            None => self
                .topics
                .values()
                .map(|t| (t.name.clone(), (0..t.partitions.len() as i32).collect()))
                .collect(),
        };
        wanted
            .into_iter()
            .filter_map(|(topic, partitions)| {
                let found: Vec<Ongoing> = partitions.iter().filter_map(|&p| ongoing(&topic, p)).collect();
                (!found.is_empty()).then_some((topic, found))
            })
            .collect()
    }

    /// The topic's `unclean.leader.election.enable`, else the broker-level default.
    pub fn unclean_election_enabled(&self, topic: &str) -> bool {
        const KEY: &str = "unclean.leader.election.enable";
        let value = self.configs.topic_value(topic, KEY).or_else(|| {
            self.configs
                .brokers
                .get("")
                .and_then(|c| c.get(KEY))
                .map(String::as_str)
        });
        value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}
