//! Consumer groups: committed offsets that advance on the model clock, and which broker
//! coordinates a group (GroupCoordinator: the leader of partition `abs(hash(group)) % 50` of
//! `__consumer_offsets`).
use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use serde::Serialize;

use super::Cluster;
use super::offsets::Commit;
use super::partition::NO_LEADER;
use crate::kafka::seed::SeedGroup;

pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    pub state: String,
    pub protocol_type: String,
    #[serde(skip)]
    pub commits: BTreeMap<(String, i32), Commit>,
}

impl Cluster {
    pub(super) fn seed_group(&mut self, seed: &SeedGroup) -> Result<()> {
        let now = self.now_ms;
        let mut commits = BTreeMap::new();
        for c in &seed.offsets {
            let topic = self.topics.get(&c.topic).ok_or_else(|| {
                anyhow!(
                    "seed: group {} commits offsets of unknown topic {}",
                    seed.group_id,
                    c.topic
                )
            })?;
            let partitions: Vec<i32> = match c.partition {
                Some(p) => vec![p],
                None => (0..topic.partitions.len() as i32).collect(),
            };
            for p in partitions {
                let part = self.partition(&c.topic, p).ok_or_else(|| {
                    anyhow!(
                        "seed: group {} names {}-{p}, which does not exist",
                        seed.group_id,
                        c.topic
                    )
                })?;
                let end = part.log.log_end_offset(now);
                let offset = match (c.offset, c.lag) {
                    (Some(offset), _) => offset,
                    (None, Some(lag)) => (end - lag).max(part.log.log_start_offset),
                    (None, None) => end,
                };
                let rate = c.consume_per_sec.unwrap_or_else(|| part.log.produce_per_sec());
                commits.insert((c.topic.clone(), p), Commit::new(now, offset, rate));
            }
        }
        let group = Group {
            id: seed.group_id.clone(),
            state: seed.state.clone(),
            protocol_type: "consumer".to_string(),
            commits,
        };
        self.groups.insert(seed.group_id.clone(), group);
        Ok(())
    }

    /// A group's committed offset on a partition now.
    pub fn committed_offset(&self, commit: &Commit, topic: &str, partition: i32) -> i64 {
        match self.partition(topic, partition) {
            Some(p) => commit.offset(self.now_ms, &p.log),
            // The topic is gone; the commit stays as it was last written.
            None => commit.line.base.floor() as i64,
        }
    }

    /// The broker coordinating `key` (a group id), or None when it has no live leader
    /// (COORDINATOR_NOT_AVAILABLE). Without a `__consumer_offsets` topic in the seed, the fake hashes
    /// onto the live brokers in id order instead.
    pub fn coordinator(&self, key: &str) -> Option<i32> {
        let hash = java_string_hash(key) & 0x7fff_ffff;
        if let Some(topic) = self.topics.get(OFFSETS_TOPIC)
            && !topic.partitions.is_empty()
        {
            let partition = &topic.partitions[hash as usize % topic.partitions.len()];
            return (partition.leader != NO_LEADER && self.is_active(partition.leader)).then_some(partition.leader);
        }
        let live: Vec<i32> = self.active_brokers().map(|b| b.id).collect();
        if live.is_empty() {
            None
        } else {
            Some(live[hash as usize % live.len()])
        }
    }

    /// Changes a group's consume rate on one partition (or all it committed on the topic).
    pub fn set_consume_rate(
        &mut self,
        group: &str,
        topic: &str,
        partition: Option<i32>,
        per_sec: f64,
    ) -> Result<usize> {
        let now = self.now_ms;
        let keys = self.commit_keys(group, topic, partition)?;
        for key in &keys {
            let log = self.partition(&key.0, key.1).map(|p| p.log.clone());
            let commit = self
                .groups
                .get_mut(group)
                .and_then(|g| g.commits.get_mut(key))
                .ok_or_else(|| anyhow!("gone"))?;
            match log {
                Some(log) => commit.rebase(now, &log, per_sec),
                None => commit.line = commit.line.rebased(now, per_sec),
            }
        }
        Ok(keys.len())
    }

    /// Sets a group's committed offset (creating the group and the commit when missing).
    pub fn commit_offset(&mut self, group: &str, topic: &str, partition: i32, offset: i64) -> Result<()> {
        if self.partition(topic, partition).is_none() {
            return Err(anyhow!("no partition {topic}-{partition}"));
        }
        let now = self.now_ms;
        let group = self.groups.entry(group.to_string()).or_insert_with(|| Group {
            id: group.to_string(),
            state: "Empty".to_string(),
            protocol_type: "consumer".to_string(),
            commits: BTreeMap::new(),
        });
        group
            .commits
            .entry((topic.to_string(), partition))
            .or_insert_with(|| Commit::new(now, offset, 0.0))
            .set_offset(now, offset);
        Ok(())
    }

    fn commit_keys(&self, group: &str, topic: &str, partition: Option<i32>) -> Result<Vec<(String, i32)>> {
        let g = self.groups.get(group).ok_or_else(|| anyhow!("no group {group}"))?;
        let keys: Vec<(String, i32)> = g
            .commits
            .keys()
            .filter(|(t, p)| t == topic && partition.is_none_or(|want| want == *p))
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(anyhow!("group {group} has no committed offsets on {topic}"));
        }
        Ok(keys)
    }

    /// Rebases every commit on a partition before its produce rate changes (keeps `Commit::offset`
    /// exact, see offsets.rs).
    pub(super) fn rebase_commits_on(&mut self, topic: &str, partition: i32) {
        let Some(log) = self.partition(topic, partition).map(|p| p.log.clone()) else {
            return;
        };
        let now = self.now_ms;
        let key = (topic.to_string(), partition);
        for group in self.groups.values_mut() {
            if let Some(commit) = group.commits.get_mut(&key) {
                let rate = commit.consume_per_sec();
                commit.rebase(now, &log, rate);
            }
        }
    }
}

/// Java's `String.hashCode` over UTF-16 code units, which Kafka uses to place groups.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_the_jvm() {
        // Values a JVM prints for "hello".hashCode() and the classic MIN_VALUE string.
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    }
}
