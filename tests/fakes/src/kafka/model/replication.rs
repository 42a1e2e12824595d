//! Replication on the model clock: every replica outside the ISR (a reassignment's new replica, a
//! broker back from an absence) fetches the leader's log until it holds all `size_bytes`, then joins
//! the ISR, which may complete a reassignment (partition.rs).
//!
//! Speed: a replica copies at the fake's unthrottled rate unless a throttle applies. The follower
//! side is throttled when the topic's `follower.replication.throttled.replicas` names the replica
//! (`partition:broker` or `*`), the leader side when `leader.replication.throttled.replicas` names
//! the leader; a broker's `*.replication.throttled.rate` is then the budget of all of its throttled
//! copies together, shared equally (ReplicationQuotaManager keeps one rate per broker). Rates are
//! constant between events, so [`Cluster::advance_to`] jumps from event to event exactly: a copy of
//! `size` bytes at `rate` takes `size / rate` model seconds.
use std::collections::BTreeMap;

use serde::Serialize;

use super::Cluster;
use super::partition::{NO_LEADER, PartitionChange};
use super::throttle::{self, FOLLOWER_RATE, FOLLOWER_REPLICAS, LEADER_RATE, LEADER_REPLICAS};

/// Fault: `broker` leaves (fenced, listener closed) as soon as a copy to or from it has copied
/// `after_copied_fraction` of its partition; it comes back `back_after_ms` model ms later if set.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BrokerAwayTrigger {
    pub broker: i32,
    #[serde(default)]
    pub after_copied_fraction: f64,
    #[serde(default)]
    pub back_after_ms: Option<u64>,
}

/// A broker coming back at a model time.
#[derive(Debug, Clone, Serialize)]
pub struct Scheduled {
    pub at_ms: u64,
    pub broker_up: i32,
}

/// One replica catching up, with the rate it copies at right now.
#[derive(Debug, Clone, Serialize)]
pub struct CopyProgress {
    pub topic: String,
    pub partition: i32,
    pub to_broker: i32,
    pub from_leader: i32,
    pub size_bytes: f64,
    pub copied_bytes: f64,
    pub bytes_per_sec: f64,
    pub follower_throttled: bool,
    pub leader_throttled: bool,
}

/// Bytes below which a copy counts as complete (float rounding over many steps).
const EPSILON_BYTES: f64 = 1e-6;

impl Cluster {
    /// Moves the model to `target_ms`, processing every event on the way in order.
    pub fn advance_to(&mut self, target_ms: u64) {
        loop {
            self.settle();
            if self.now_ms >= target_ms {
                return;
            }
            let copies = self.copies();
            let step = self
                .next_event_in(&copies)
                .map_or(target_ms - self.now_ms, |next| next.min(target_ms - self.now_ms));
            for c in &copies {
                let copied = (c.copied_bytes + c.bytes_per_sec * step as f64 / 1000.0).min(c.size_bytes);
                if let Some(part) = self.partition_mut(&c.topic, c.partition) {
                    part.catching_up.insert(c.to_broker, copied);
                }
            }
            self.now_ms += step;
        }
    }

    /// Model milliseconds until the next thing happens on its own (a copy completes, a broker-away
    /// fault fires, a broker comes back), None when nothing will: the rates are constant until
    /// then, so the model can jump there in one step.
    pub fn next_event_ms(&self) -> Option<u64> {
        self.next_event_in(&self.copies())
    }

    fn next_event_in(&self, copies: &[CopyProgress]) -> Option<u64> {
        let mut next: Option<u64> = None;
        let mut soonest = |ms: u64| next = Some(next.map_or(ms, |n| n.min(ms)));
        for c in copies.iter().filter(|c| c.bytes_per_sec > 0.0) {
            soonest(ms_to_copy(c.size_bytes - c.copied_bytes, c.bytes_per_sec));
        }
        for t in &self.triggers {
            for c in copies.iter().filter(|c| involves(c, t.broker) && c.bytes_per_sec > 0.0) {
                let need = t.after_copied_fraction * c.size_bytes - c.copied_bytes;
                if need > 0.0 {
                    soonest(ms_to_copy(need, c.bytes_per_sec));
                }
            }
        }
        for s in &self.scheduled {
            soonest(s.at_ms.saturating_sub(self.now_ms).max(1));
        }
        next
    }

    /// Every replica catching up right now, with its current rate (0 when stalled).
    pub fn copies(&self) -> Vec<CopyProgress> {
        let mut copies = Vec::new();
        // Parsed at most once per topic, and only for a topic with a replica catching up.
        let mut lists = None;
        let mut lists_of = "";
        for (topic, part) in self.out_of_sync_partitions() {
            if lists_of != topic.name {
                lists_of = &topic.name;
                lists = None;
            }
            let (followers, leaders) = lists.get_or_insert_with(|| {
                (
                    self.throttle_lists.get(&self.configs, &topic.name, FOLLOWER_REPLICAS),
                    self.throttle_lists.get(&self.configs, &topic.name, LEADER_REPLICAS),
                )
            });
            let leader = part.leader;
            let leader_up = leader != NO_LEADER && self.is_active(leader);
            for to in part.out_of_sync() {
                if !self.is_active(to) || !leader_up {
                    continue;
                }
                copies.push(CopyProgress {
                    topic: topic.name.clone(),
                    partition: part.index,
                    to_broker: to,
                    from_leader: leader,
                    size_bytes: part.size_bytes as f64,
                    copied_bytes: part.catching_up.get(&to).copied().unwrap_or(0.0),
                    bytes_per_sec: 0.0,
                    follower_throttled: followers.as_ref().is_some_and(|l| l.contains(part.index, to)),
                    leader_throttled: leaders.as_ref().is_some_and(|l| l.contains(part.index, leader)),
                });
            }
        }
        let mut into: BTreeMap<i32, usize> = BTreeMap::new();
        let mut out_of: BTreeMap<i32, usize> = BTreeMap::new();
        for c in &copies {
            if c.follower_throttled {
                *into.entry(c.to_broker).or_default() += 1;
            }
            if c.leader_throttled {
                *out_of.entry(c.from_leader).or_default() += 1;
            }
        }
        for c in &mut copies {
            let mut rate = self.settings.unthrottled_copy_bytes_per_sec;
            if c.follower_throttled
                && let Some(budget) = throttle::rate(&self.configs, c.to_broker, FOLLOWER_RATE)
            {
                rate = rate.min(budget / into[&c.to_broker] as f64);
            }
            if c.leader_throttled
                && let Some(budget) = throttle::rate(&self.configs, c.from_leader, LEADER_RATE)
            {
                rate = rate.min(budget / out_of[&c.from_leader] as f64);
            }
            c.bytes_per_sec = rate;
        }
        copies
    }

    /// Adds a broker-away fault.
    pub fn add_trigger(&mut self, trigger: BrokerAwayTrigger) {
        self.record(format!(
            "fault armed: broker {} leaves at {:.0}% of a copy",
            trigger.broker,
            trigger.after_copied_fraction * 100.0
        ));
        self.triggers.push(trigger);
        self.settle();
    }

    /// Everything that happens at the current instant, until nothing more does: brokers scheduled
    /// to return, broker-away faults whose threshold is reached, replicas that caught up.
    fn settle(&mut self) {
        loop {
            let mut changed = false;
            let now = self.now_ms;
            let due: Vec<Scheduled> = self.scheduled.iter().filter(|s| s.at_ms <= now).cloned().collect();
            self.scheduled.retain(|s| s.at_ms > now);
            for s in due {
                self.broker_up(s.broker_up, None);
                changed = true;
            }
            let copies = if self.triggers.is_empty() {
                Vec::new()
            } else {
                self.copies()
            };
            let fired: Vec<usize> = self
                .triggers
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    copies.iter().any(|c| {
                        involves(c, t.broker)
                            && c.copied_bytes + EPSILON_BYTES >= t.after_copied_fraction * c.size_bytes
                    })
                })
                .map(|(i, _)| i)
                .collect();
            for i in fired.into_iter().rev() {
                let t = self.triggers.remove(i);
                self.record(format!("fault: broker {} goes away mid-copy", t.broker));
                self.broker_down(t.broker);
                if let Some(back) = t.back_after_ms {
                    self.scheduled.push(Scheduled {
                        at_ms: now + back,
                        broker_up: t.broker,
                    });
                }
                changed = true;
            }
            for c in self.copies() {
                if c.copied_bytes + EPSILON_BYTES >= c.size_bytes {
                    self.join_isr(&c.topic, c.partition, c.to_broker);
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// The leader's AlterPartition adding a caught-up follower to the ISR.
    fn join_isr(&mut self, topic: &str, partition: i32, broker: i32) {
        let brokers = self.brokers.clone();
        let active = |r: i32| brokers.get(&r).is_some_and(|b| !b.fenced);
        let Some(part) = self.partition_mut(topic, partition) else {
            return;
        };
        let mut isr = part.isr.clone();
        isr.push(broker);
        let snapshot = part.clone();
        let outcome = PartitionChange::new(&snapshot).isr(isr).apply(active, part);
        let (replicas, leader) = (part.replicas.clone(), part.leader);
        self.record(format!(
            "{topic}-{partition}: replica {broker} caught up and joined the ISR"
        ));
        if outcome.reassignment_completed {
            self.record(format!(
                "{topic}-{partition}: reassignment completed, replicas {replicas:?}, leader {leader}"
            ));
        }
    }
}

fn involves(copy: &CopyProgress, broker: i32) -> bool {
    copy.to_broker == broker || copy.from_leader == broker
}

/// Whole model milliseconds (at least 1) to copy `bytes` at `per_sec`.
fn ms_to_copy(bytes: f64, per_sec: f64) -> u64 {
    ((bytes.max(0.0) / per_sec) * 1000.0).ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::seed::Seed;

    /// Brokers 1..=3; `a` (1 MB) and `b` (3 MB) on broker 1, both moving to 3 under a 1 MB/s
    /// follower budget on broker 3.
    fn cluster() -> Cluster {
        let seed = Seed::from_json(
            r#"{"brokers": [{"id": 1}, {"id": 2}, {"id": 3}],
                "topics": [{"name": "a", "partitions": [{"replicas": [1], "size_bytes": 1000000}],
                            "configs": {"follower.replication.throttled.replicas": "*"}},
                           {"name": "b", "partitions": [{"replicas": [1], "size_bytes": 3000000}],
                            "configs": {"follower.replication.throttled.replicas": "*"}}],
                "broker_configs": {"3": {"follower.replication.throttled.rate": "1000000"}}}"#,
        )
        .unwrap();
        Cluster::from_seed(&seed, 0, 0).unwrap()
    }

    #[test]
    fn a_shared_budget_speeds_up_the_remaining_copy_when_one_finishes() {
        let mut c = cluster();
        c.alter_reassignment("a", 0, Some(&[3]), true).unwrap();
        c.alter_reassignment("b", 0, Some(&[3]), true).unwrap();
        // Both at 0.5 MB/s until `a` is done at 2 s; then `b` alone at 1 MB/s: 1 MB + 2 MB -> 4 s.
        c.advance_to(1_999);
        assert!(c.partition("a", 0).unwrap().reassignment_in_progress());
        c.advance_to(2_000);
        assert_eq!(c.partition("a", 0).unwrap().replicas, vec![3]);
        assert_eq!(c.copies()[0].bytes_per_sec, 1_000_000.0);
        c.advance_to(3_999);
        assert!(c.partition("b", 0).unwrap().reassignment_in_progress());
        c.advance_to(4_000);
        let b = c.partition("b", 0).unwrap();
        assert_eq!((b.replicas.clone(), b.isr.clone(), b.leader), (vec![3], vec![3], 3));
        assert!(c.copies().is_empty());
    }

    #[test]
    fn a_broker_away_fault_fires_at_its_fraction_and_brings_the_broker_back_later() {
        let mut c = cluster();
        c.add_trigger(BrokerAwayTrigger {
            broker: 3,
            after_copied_fraction: 0.25,
            back_after_ms: Some(10_000),
        });
        c.alter_reassignment("b", 0, Some(&[3]), true).unwrap();
        // 3 MB at 1 MB/s: a quarter is copied at 0.75 s.
        c.advance_to(750);
        assert!(c.brokers[&3].fenced);
        assert_eq!(
            c.partition("b", 0).unwrap().catching_up.get(&3).copied(),
            Some(750_000.0)
        );
        c.advance_to(10_749);
        assert!(c.brokers[&3].fenced);
        c.advance_to(10_750);
        assert!(!c.brokers[&3].fenced);
        c.advance_to(13_000);
        assert_eq!(c.partition("b", 0).unwrap().replicas, vec![3]);
    }
}
