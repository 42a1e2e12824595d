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
use crate::snapshot::Throttles;
use crate::verify::{Lag, throttle_lines};

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

fn throttle_message(throttles: &Throttles) -> String {
    format!(
        "replication throttles are still set ({}); fix: remove them (kafka-configs --alter --delete-config on each broker and topic named; `kafka-reassign-partitions --verify` does it once the moves are done), then re-run `kfscale apply`",
        throttle_lines(throttles).join("; ")
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
                "broker 101: leader.replication.throttled.rate=1000; topic t: follower.replication.throttled.replicas=0:101"
            ),
            "{message}"
        );
    }
}
