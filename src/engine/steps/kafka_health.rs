//! Kafka after the change, as validate checks it: no partition reassignment in flight, no replication
//! throttle left behind (a forgotten throttle stays for ever), and every consumer group caught up:
//! lag (`ListOffsets(latest)` minus `OffsetFetch(group)`) at most `validate.max_consumer_lag` on every
//! partition, waited for up to `validate.lag_timeout_minutes`.
use std::cell::Cell;
use std::time::{Duration, Instant};

use kfscale_kafka::KafkaAdmin;

use super::stall::shown;
use crate::engine::context::{StepContext, StepError};
use crate::observe::kafka::{consumer_groups, throttles_of};
use crate::snapshot::{ConsumerGroupOffsets, Throttles};

/// What was found, for the step's summary and record.
#[derive(Debug, serde::Serialize)]
pub struct KafkaHealth {
    pub groups: usize,
    pub partitions: usize,
    pub highest_lag: u64,
}

pub async fn check(ctx: &StepContext<'_>, admin: &KafkaAdmin) -> Result<KafkaHealth, StepError> {
    let moving = admin.list_partition_reassignments().await?;
    if !moving.is_empty() {
        let shown: Vec<String> = moving
            .iter()
            .take(5)
            .map(|m| format!("{}-{} -> {:?}", m.topic, m.partition, m.replicas))
            .collect();
        return Err(StepError::failed(format!(
            "{} partition reassignment(s) still in flight ({}); fix: wait for them to finish (kafka-reassign-partitions --verify), then re-run `kfscale apply`",
            moving.len(),
            shown.join(", ")
        )));
    }
    let metadata = admin.metadata().await?;
    let throttles = throttles_of(admin, &metadata).await?;
    if !throttles.brokers.is_empty() || !throttles.topics.is_empty() {
        return Err(StepError::failed(throttle_message(&throttles)));
    }
    wait_for_consumers(ctx, admin).await
}

async fn wait_for_consumers(ctx: &StepContext<'_>, admin: &KafkaAdmin) -> Result<KafkaHealth, StepError> {
    let (max, timeout) = (ctx.settings.max_consumer_lag, ctx.settings.consumer_lag_timeout);
    let started = Instant::now();
    let polls = Cell::new(0u32);
    // The probe enforces the limit itself so the failure can name the partitions and the keys to
    // change; the wait's own limit is a backstop that never comes first.
    let backstop = timeout + Duration::from_secs(60) + ctx.settings.poll_interval * 2;
    ctx.wait_for(
        &format!("consumer lag of every group at most {max} per partition"),
        backstop,
        || async {
            polls.set(polls.get() + 1);
            let groups = consumer_groups(admin).await?;
            let lag = Lag::of(&groups, max);
            if lag.above.is_empty() {
                return Ok((
                    Some(KafkaHealth {
                        groups: groups.len(),
                        partitions: lag.partitions,
                        highest_lag: lag.highest,
                    }),
                    String::new(),
                ));
            }
            if started.elapsed() >= timeout {
                return Err(StepError::failed(format!(
                    "consumer lag stayed above validate.max_consumer_lag ({max} messages) for {} (validate.lag_timeout_minutes): {}; fix: the consumers are not keeping up: check that each group's consumers run and consume (for Kloudfuse: the Pinot servers of the table the group names, and the ingesters), then re-run `kfscale apply` to validate again (or raise validate.max_consumer_lag / validate.lag_timeout_minutes in kfscale.yaml)",
                    shown(started.elapsed()),
                    lag.describe()
                )));
            }
            Ok((None, lag.describe()))
        },
    )
    .await
}

/// Partitions of consumer groups whose lag is above the limit.
struct Lag {
    /// (group, topic, partition, lag), highest lag first.
    above: Vec<(String, String, i32, u64)>,
    highest: u64,
    partitions: usize,
}

impl Lag {
    /// Partitions without a committed offset or a known end offset have no lag to speak of.
    fn of(groups: &[ConsumerGroupOffsets], max: u64) -> Lag {
        let mut lag = Lag {
            above: Vec::new(),
            highest: 0,
            partitions: 0,
        };
        for group in groups {
            for p in &group.partitions {
                if p.committed_offset < 0 || p.end_offset < 0 {
                    continue;
                }
                let behind = (p.end_offset - p.committed_offset).max(0) as u64;
                lag.partitions += 1;
                lag.highest = lag.highest.max(behind);
                if behind > max {
                    lag.above
                        .push((group.group.clone(), p.topic.clone(), p.partition, behind));
                }
            }
        }
        lag.above
            .sort_by(|a, b| b.3.cmp(&a.3).then_with(|| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2))));
        lag
    }

    fn describe(&self) -> String {
        let shown: Vec<String> = self
            .above
            .iter()
            .take(5)
            .map(|(group, topic, partition, lag)| format!("group {group} {topic}-{partition} lag {lag}"))
            .collect();
        let more = self.above.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "{} partition(s) above the limit: {}{more}",
            self.above.len(),
            shown.join(", ")
        )
    }
}

fn throttle_message(throttles: &Throttles) -> String {
    let mut left: Vec<String> = throttles
        .brokers
        .iter()
        .map(|(id, configs)| {
            format!(
                "broker {id}: {}",
                configs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    left.extend(throttles.topics.iter().map(|(topic, configs)| {
        format!(
            "topic {topic}: {}",
            configs.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }));
    format!(
        "replication throttles are still set ({}); fix: remove them (kafka-configs --alter --delete-config on each broker and topic named; `kafka-reassign-partitions --verify` does it once the moves are done), then re-run `kfscale apply`",
        left.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::snapshot::PartitionOffsets;

    fn group(name: &str, offsets: &[(i32, i64, i64)]) -> ConsumerGroupOffsets {
        ConsumerGroupOffsets {
            group: name.into(),
            partitions: offsets
                .iter()
                .map(|&(partition, end_offset, committed_offset)| PartitionOffsets {
                    topic: "t".into(),
                    partition,
                    end_offset,
                    committed_offset,
                })
                .collect(),
        }
    }

    #[test]
    fn lag_is_end_minus_committed_per_partition() {
        let groups = [
            group("a", &[(0, 1000, 990), (1, 1000, -1), (2, -1, 5)]),
            group("b", &[(0, 5000, 0), (1, 900, 100)]),
        ];
        let lag = Lag::of(&groups, 500);
        assert_eq!((lag.partitions, lag.highest), (3, 5000));
        assert_eq!(
            lag.above,
            [
                ("b".to_string(), "t".to_string(), 0, 5000),
                ("b".to_string(), "t".to_string(), 1, 800)
            ]
        );
        assert_eq!(
            lag.describe(),
            "2 partition(s) above the limit: group b t-0 lag 5000, group b t-1 lag 800"
        );
        assert!(Lag::of(&groups, 5000).above.is_empty(), "at the limit is fine");
    }

    #[test]
    fn leftover_throttles_are_named() {
        let throttles = Throttles {
            brokers: BTreeMap::from([(
                101,
                BTreeMap::from([("leader.replication.throttled.rate".to_string(), "1000".to_string())]),
            )]),
            topics: BTreeMap::from([(
                "t".to_string(),
                BTreeMap::from([(
                    "follower.replication.throttled.replicas".to_string(),
                    "0:101".to_string(),
                )]),
            )]),
        };
        let message = throttle_message(&throttles);
        assert!(
            message.contains(
                "broker 101: leader.replication.throttled.rate; topic t: follower.replication.throttled.replicas"
            ),
            "{message}"
        );
    }
}
