//! Kafka after the change, as validate checks it: no partition reassignment in flight, no replication
//! throttle left behind (a forgotten throttle stays for ever), and every consumer group caught up:
//! lag (`ListOffsets(latest)` minus `OffsetFetch(group)`) at most `validate.max_consumer_lag` on every
//! partition, waited for up to `validate.lag_timeout_minutes`.
use std::cell::Cell;
use std::time::{Duration, Instant};

use kfscale_kafka::KafkaAdmin;

use crate::engine::context::{StepContext, StepError};
use crate::engine::wait::stall::shown;
use crate::observe::kafka::{consumer_groups, throttles_of};
use crate::verify::{self, Check, Lag, Status};

/// What was found, for the step's summary and record.
#[derive(Debug, serde::Serialize)]
pub struct KafkaHealth {
    pub groups: usize,
    pub partitions: usize,
    pub highest_lag: u64,
}

/// The checklist's own `kafka-reassignments` and `kafka-throttles` checks, first: either fails at
/// once, before the consumer wait (which may take `validate.lag_timeout_minutes`).
pub async fn check(ctx: &StepContext<'_>, admin: &KafkaAdmin) -> Result<KafkaHealth, StepError> {
    refuse_unless_green(verify::check_reassignments(
        &admin.list_partition_reassignments().await?,
    ))?;
    let metadata = admin.metadata().await?;
    // The throttles there before the apply are the customer's, and stay; only one kfscale set and
    // left behind fails.
    let throttles = throttles_of(admin, &metadata).await?;
    refuse_unless_green(verify::check_throttles(
        &throttles.set_since(&ctx.plan.kafka.throttles_before),
    ))?;
    wait_for_consumers(ctx, admin).await
}

fn refuse_unless_green(check: Check) -> Result<(), StepError> {
    if check.status == Status::Green {
        return Ok(());
    }
    Err(StepError::failed(format!(
        "{}; fix: {}, then re-run `kfscale apply`",
        check.line(),
        check.fix
    )))
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::snapshot::Throttles;

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
        let message = refuse_unless_green(verify::check_throttles(&throttles))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(
                "broker 101: leader.replication.throttled.rate=1000; topic t: follower.replication.throttled.replicas=0:101"
            ) && message.contains("; fix: remove them"),
            "{message}"
        );
    }
}
