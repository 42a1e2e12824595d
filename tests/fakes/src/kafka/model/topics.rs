//! Creating topics and partitions, as the KRaft controller does it
//! (ReplicationControlManager.createTopic / createPartitions / validateManualPartitionAssignment).
use std::collections::BTreeMap;

use anyhow::{Result, anyhow, ensure};
use kafka_protocol::ResponseError;

use super::offsets::LogOffsets;
use super::partition::{Partition, PartitionChange};
use super::{Cluster, Topic, placement};
use crate::kafka::errors::{ApiError, ApiResult};
use crate::kafka::seed::SeedTopic;

/// What CreateTopics asks for one topic.
pub struct NewTopic {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i16,
    /// Explicit replicas by partition index (then both numbers must be -1).
    pub assignments: Vec<(i32, Vec<i32>)>,
    pub configs: BTreeMap<String, String>,
}

impl Cluster {
    /// CreateTopics for one topic (duplicates within a request are refused by the caller).
    pub fn create_topic(&mut self, t: &NewTopic, validate_only: bool) -> ApiResult<()> {
        validate_topic_name(&t.name)?;
        if self.topics.contains_key(&t.name) {
            return Err(ApiError::new(
                ResponseError::TopicAlreadyExists,
                format!("Topic '{}' already exists.", t.name),
            ));
        }
        let assignments = if !t.assignments.is_empty() {
            if t.replication_factor != -1 {
                return Err(ApiError::new(
                    ResponseError::InvalidRequest,
                    "A manual partition assignment was specified, but replication factor was not set to -1.",
                ));
            }
            if t.num_partitions != -1 {
                return Err(ApiError::new(
                    ResponseError::InvalidRequest,
                    "A manual partition assignment was specified, but numPartitions was not set to -1.",
                ));
            }
            let mut by_index: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
            let mut replication_factor = None;
            for (index, replicas) in &t.assignments {
                if by_index.contains_key(index) {
                    return Err(ApiError::new(
                        ResponseError::InvalidReplicaAssignment,
                        format!("Found multiple manual partition assignments for partition {index}"),
                    ));
                }
                self.validate_manual_assignment(replicas, replication_factor)?;
                replication_factor = Some(replicas.len());
                if !replicas.iter().any(|&r| self.is_active(r)) {
                    return Err(ApiError::new(
                        ResponseError::InvalidReplicaAssignment,
                        format!(
                            "All brokers specified in the manual partition assignment for partition {index} are \
                             fenced or in controlled shutdown."
                        ),
                    ));
                }
                by_index.insert(*index, replicas.clone());
            }
            if by_index.keys().copied().ne(0..by_index.len() as i32) {
                return Err(ApiError::new(
                    ResponseError::InvalidReplicaAssignment,
                    "partitions should be a consecutive 0-based integer sequence",
                ));
            }
            by_index.into_values().collect()
        } else if t.replication_factor < -1 || t.replication_factor == 0 {
            return Err(ApiError::new(
                ResponseError::InvalidReplicationFactor,
                "Replication factor must be larger than 0, or -1 to use the default value.",
            ));
        } else if t.num_partitions < -1 || t.num_partitions == 0 {
            return Err(ApiError::new(
                ResponseError::InvalidPartitions,
                "Number of partitions was set to an invalid non-positive value.",
            ));
        } else {
            let count = if t.num_partitions == -1 {
                self.settings.num_partitions
            } else {
                t.num_partitions
            };
            let rf = if t.replication_factor == -1 {
                self.settings.default_replication_factor
            } else {
                t.replication_factor
            };
            self.place(0, count, rf)?
        };
        // Topic configs are validated as IncrementalAlterConfigs would (LogConfig.validate).
        let mut scratch = super::configs::ConfigStore::default();
        scratch.replace_topic(&t.name, t.configs.clone(), true)?;
        if validate_only {
            return Ok(());
        }
        let now = self.now_ms;
        let partitions = assignments
            .into_iter()
            .enumerate()
            .map(|(i, replicas)| self.new_partition(i as i32, replicas, 0, LogOffsets::new(now, 0, 0, 0.0)))
            .collect();
        self.out_of_sync.forget();
        self.topics.insert(
            t.name.clone(),
            Topic {
                name: t.name.clone(),
                id: Cluster::topic_id(&t.name),
                partitions,
            },
        );
        if !t.configs.is_empty() {
            self.configs.topics.insert(t.name.clone(), t.configs.clone());
        }
        self.record(format!("created topic {}", t.name));
        Ok(())
    }

    /// CreatePartitions for one topic: `count` is the new total.
    pub fn create_partitions(
        &mut self,
        topic: &str,
        count: i32,
        assignments: Option<&[Vec<i32>]>,
        validate_only: bool,
    ) -> ApiResult<()> {
        let Some(existing) = self.topics.get(topic) else {
            // `new UnknownTopicOrPartitionException()`: no message of its own, so null on the wire.
            return Err(ApiError::bare(ResponseError::UnknownTopicOrPartition));
        };
        let current = existing.partitions.len() as i32;
        if count == current {
            return Err(ApiError::new(
                ResponseError::InvalidPartitions,
                format!("Topic already has {current} partition(s)."),
            ));
        }
        if count < current {
            return Err(ApiError::new(
                ResponseError::InvalidPartitions,
                format!("The topic {topic} currently has {current} partition(s); {count} would not be an increase."),
            ));
        }
        let additional = count - current;
        let replication_factor = existing.partitions.first().map_or(1, |p| p.replicas.len());
        let placed = match assignments {
            Some(given) => {
                if given.len() as i32 != additional {
                    return Err(ApiError::new(
                        ResponseError::InvalidReplicaAssignment,
                        format!(
                            "Attempted to add {additional} additional partition(s), but only {} assignment(s) were specified.",
                            given.len()
                        ),
                    ));
                }
                for (i, replicas) in given.iter().enumerate() {
                    self.validate_manual_assignment(replicas, Some(replication_factor))?;
                    if !replicas.iter().any(|&r| self.is_active(r)) {
                        return Err(ApiError::new(
                            ResponseError::InvalidReplicaAssignment,
                            format!(
                                "All brokers specified in the manual partition assignment for partition {} are fenced \
                                 or in controlled shutdown.",
                                current + i as i32
                            ),
                        ));
                    }
                }
                given.to_vec()
            }
            None => self.place(current, additional, replication_factor as i16)?,
        };
        if validate_only {
            return Ok(());
        }
        let now = self.now_ms;
        let new: Vec<Partition> = placed
            .into_iter()
            .enumerate()
            .map(|(i, replicas)| self.new_partition(current + i as i32, replicas, 0, LogOffsets::new(now, 0, 0, 0.0)))
            .collect();
        self.out_of_sync.forget();
        if let Some(t) = self.topics.get_mut(topic) {
            t.partitions.extend(new);
        }
        self.record(format!("topic {topic}: partitions {current} -> {count}"));
        Ok(())
    }

    /// `validateManualPartitionAssignment`: non-empty, registered brokers, no broker twice, and
    /// (for new partitions of a topic) the topic's replication factor.
    pub fn validate_manual_assignment(&self, replicas: &[i32], replication_factor: Option<usize>) -> ApiResult<()> {
        if replicas.is_empty() {
            return Err(ApiError::new(
                ResponseError::InvalidReplicaAssignment,
                "The manual partition assignment includes an empty replica list.",
            ));
        }
        let mut sorted = replicas.to_vec();
        sorted.sort_unstable();
        for (i, broker) in sorted.iter().enumerate() {
            if !self.brokers.contains_key(broker) {
                return Err(ApiError::new(
                    ResponseError::InvalidReplicaAssignment,
                    format!(
                        "The manual partition assignment includes broker {broker}, but no such broker is registered."
                    ),
                ));
            }
            if i > 0 && sorted[i - 1] == *broker {
                return Err(ApiError::new(
                    ResponseError::InvalidReplicaAssignment,
                    format!("The manual partition assignment includes the broker {broker} more than once."),
                ));
            }
        }
        if let Some(rf) = replication_factor
            && sorted.len() != rf
        {
            return Err(ApiError::new(
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "The manual partition assignment includes a partition with {} replica(s), but this is not \
                     consistent with previous partitions, which have {rf} replica(s).",
                    sorted.len()
                ),
            ));
        }
        Ok(())
    }

    /// Changes a partition's log size (what a reassignment copies); `partition` None: every one.
    pub fn set_size(&mut self, topic: &str, partition: Option<i32>, bytes: i64) -> Result<usize> {
        let t = self.topics.get_mut(topic).ok_or_else(|| anyhow!("no topic {topic}"))?;
        let mut changed = 0;
        for p in t
            .partitions
            .iter_mut()
            .filter(|p| partition.is_none_or(|want| want == p.index))
        {
            p.size_bytes = bytes.max(0);
            changed += 1;
        }
        ensure!(changed > 0, "no partition {topic}-{partition:?}");
        Ok(changed)
    }

    /// Changes a partition's produce rate (messages per model second); `partition` None: every one.
    pub fn set_produce_rate(&mut self, topic: &str, partition: Option<i32>, per_sec: f64) -> Result<usize> {
        let count = self
            .topics
            .get(topic)
            .ok_or_else(|| anyhow!("no topic {topic}"))?
            .partitions
            .len() as i32;
        let targets: Vec<i32> = (0..count).filter(|p| partition.is_none_or(|want| want == *p)).collect();
        ensure!(!targets.is_empty(), "no partition {topic}-{partition:?}");
        let now = self.now_ms;
        for p in &targets {
            self.rebase_commits_on(topic, *p);
            if let Some(part) = self.partition_mut(topic, *p) {
                part.log.set_produce_rate(now, per_sec);
            }
        }
        Ok(targets.len())
    }

    pub(super) fn seed_topic(&mut self, t: &SeedTopic) -> Result<()> {
        ensure!(
            !self.topics.contains_key(&t.name),
            "seed: topic {} listed twice",
            t.name
        );
        let now = self.now_ms;
        let mut partitions = Vec::new();
        if !t.partitions.is_empty() {
            ensure!(
                t.partition_count.is_none(),
                "seed: topic {} has both partitions and partition_count",
                t.name
            );
            for (i, p) in t.partitions.iter().enumerate() {
                self.validate_manual_assignment(&p.replicas, None).map_err(|e| {
                    anyhow!(
                        "seed: topic {} partition {i}: {}",
                        t.name,
                        e.message.unwrap_or_default()
                    )
                })?;
                let log = LogOffsets::new(
                    now,
                    p.log_start_offset.unwrap_or(0),
                    p.log_end_offset.unwrap_or(t.log_end_offset),
                    p.produce_per_sec.unwrap_or(t.produce_per_sec),
                );
                let size = p.size_bytes.unwrap_or(t.size_bytes);
                let part = self
                    .seeded_partition(i as i32, &p.replicas, p.isr.as_deref(), p.leader, size, log)
                    .map_err(|e| anyhow!("seed: topic {} partition {i}: {e}", t.name))?;
                partitions.push(part);
            }
        } else {
            let count = t.partition_count.unwrap_or(self.settings.num_partitions);
            let rf = t.replication_factor.unwrap_or(self.settings.default_replication_factor);
            let placed = self
                .place(0, count, rf)
                .map_err(|e| anyhow!("seed: topic {}: {:?}", t.name, e.message))?;
            for (i, replicas) in placed.into_iter().enumerate() {
                let log = LogOffsets::new(now, 0, t.log_end_offset, t.produce_per_sec);
                partitions.push(self.seeded_partition(i as i32, &replicas, None, None, t.size_bytes, log)?);
            }
        }
        self.out_of_sync.forget();
        self.topics.insert(
            t.name.clone(),
            Topic {
                name: t.name.clone(),
                id: Cluster::topic_id(&t.name),
                partitions,
            },
        );
        if !t.configs.is_empty() {
            let mut scratch = super::configs::ConfigStore::default();
            scratch
                .replace_topic(&t.name, t.configs.clone(), true)
                .map_err(|e| anyhow!("seed: topic {} configs: {:?}", t.name, e.message))?;
            self.configs.topics.insert(t.name.clone(), t.configs.clone());
        }
        Ok(())
    }

    /// A partition as the seed describes it. Without an explicit ISR it was in sync before its
    /// fenced brokers went away: they left the ISR in replica order, except a last member, which
    /// stays (as a fencing does it), and they keep their logs.
    fn seeded_partition(
        &self,
        index: i32,
        replicas: &[i32],
        isr: Option<&[i32]>,
        leader: Option<i32>,
        size_bytes: i64,
        log: LogOffsets,
    ) -> Result<Partition> {
        let mut part = Partition::new(index, replicas.to_vec(), replicas.to_vec(), size_bytes, log);
        match isr {
            Some(isr) => {
                ensure!(
                    isr.iter().all(|r| replicas.contains(r)),
                    "isr {isr:?} outside replicas {replicas:?}"
                );
                part.isr = isr.to_vec();
                for r in part.out_of_sync().collect::<Vec<_>>() {
                    part.catching_up.insert(r, 0.0);
                }
            }
            None => {
                for &r in replicas.iter().filter(|&&r| !self.is_active(r)) {
                    if part.isr.len() > 1 {
                        part.isr.retain(|&m| m != r);
                        part.catching_up.insert(r, size_bytes as f64);
                    }
                }
            }
        }
        match leader {
            Some(leader) => {
                ensure!(
                    part.isr.contains(&leader) && self.is_active(leader),
                    "leader {leader} is not a live ISR member"
                );
                part.leader = leader;
            }
            None => {
                let snapshot = part.clone();
                PartitionChange::new(&snapshot).apply(|r| self.is_active(r), &mut part);
            }
        }
        part.leader_epoch = 0;
        part.partition_epoch = 0;
        Ok(part)
    }

    /// A partition whose ISR is its replicas on live brokers, led by the first of them.
    fn new_partition(&self, index: i32, replicas: Vec<i32>, size_bytes: i64, log: LogOffsets) -> Partition {
        let isr: Vec<i32> = replicas.iter().copied().filter(|&r| self.is_active(r)).collect();
        let mut part = Partition::new(index, replicas.clone(), isr, size_bytes, log);
        for r in part.out_of_sync().collect::<Vec<_>>() {
            // A replica on a fenced broker holds nothing yet; it copies when the broker is back.
            part.catching_up.insert(r, 0.0);
        }
        let snapshot = part.clone();
        PartitionChange::new(&snapshot).apply(|r| self.is_active(r), &mut part);
        part.leader_epoch = 0;
        part.partition_epoch = 0;
        part
    }

    /// Placement over live brokers (then fenced ones, as Kafka may), in id order.
    fn place(&self, start: i32, count: i32, replication_factor: i16) -> ApiResult<Vec<Vec<i32>>> {
        let live: Vec<i32> = self.active_brokers().map(|b| b.id).collect();
        let mut candidates = live.clone();
        if i32::from(replication_factor) > live.len() as i32 && !live.is_empty() {
            candidates.extend(self.brokers.values().filter(|b| b.fenced).map(|b| b.id));
        }
        placement::place(
            if live.is_empty() { &live } else { &candidates },
            self.brokers.len(),
            start,
            count,
            replication_factor,
        )
    }
}

/// Topic.validate: 1..=249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn validate_topic_name(name: &str) -> ApiResult<()> {
    let invalid = |why: String| Err(ApiError::new(ResponseError::InvalidTopicException, why));
    if name.is_empty() {
        return invalid("Topic name is illegal, it can't be empty".to_string());
    }
    if name == "." || name == ".." {
        return invalid("Topic name cannot be \".\" or \"..\"".to_string());
    }
    if name.len() > 249 {
        return invalid(format!(
            "Topic name is illegal, it can't be longer than 249 characters, topic name: {name}"
        ));
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-')
    {
        return invalid(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}
