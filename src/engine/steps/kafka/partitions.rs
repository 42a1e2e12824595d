//! Make sure every topic reached its planned partition count. The chart's topic job usually grows
//! them during the upgrade; kfscale creates only what is still missing, placing the new partitions
//! where the plan put them (balanced from the start, so they never need a move). A resumed apply
//! compares the live counts first, so a CreatePartitions that went through is never sent again.
use std::collections::BTreeMap;

use kfscale_kafka::NewPartitions;

use super::live::{admin, live_topics};
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::plan::{Growth, grow_only};

/// The CreatePartitions requests sent (topic: from -> to), recorded before they are sent.
const REQUESTED: HandleKey<Vec<String>> = HandleKey::new("requested");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let Some(reassignment) = &ctx.plan.kafka.reassignment else {
        return Ok(Outcome::Skipped(
            "Kafka was not observed when the plan was made: no partition target to check".into(),
        ));
    };
    // The planned total and the planned replicas of each new partition, per topic.
    let mut targets: BTreeMap<String, BTreeMap<i32, Vec<i32>>> = BTreeMap::new();
    for change in reassignment.changes.iter().filter(|c| c.old_replicas.is_empty()) {
        targets
            .entry(change.topic.clone())
            .or_default()
            .insert(change.partition, change.new_replicas.clone());
    }
    if targets.is_empty() {
        return Ok(Outcome::Skipped("the plan creates no partitions".into()));
    }
    // The planned total per topic: one past the highest partition the plan creates.
    let wanted: BTreeMap<String, usize> = targets
        .iter()
        .map(|(topic, placements)| (topic.clone(), placements.keys().max().map_or(0, |l| *l as usize + 1)))
        .collect();
    let live = live_topics(ctx).await?;
    let mut requests = Vec::new();
    for (topic, placements) in &targets {
        let total = wanted[topic];
        let Some(&now) = live.partitions.get(topic) else {
            return Err(StepError::failed(format!(
                "topic {topic} does not exist; the chart's topic job creates it: fix: check the job's logs (`kubectl logs job/...topic-creation`), then re-run `kfscale apply`"
            )));
        };
        if let Growth::AtTarget(_) = grow_only(format!("topic {topic} partitions"), now as u64, total as u64)? {
            continue;
        }
        // Place exactly the partitions still missing; the planned placement is only usable when
        // the plan knew every one of them.
        let missing: Option<Vec<Vec<i32>>> = (now..total).map(|id| placements.get(&(id as i32)).cloned()).collect();
        requests.push(NewPartitions {
            topic: topic.clone(),
            total_count: total as i32,
            assignment: missing,
        });
    }
    if requests.is_empty() {
        let sent: Option<Vec<String>> = ctx.handle(&REQUESTED);
        if let Some(sent) = sent {
            return Ok(Outcome::Done(format!("grew {}", sent.join(", "))));
        }
        return Ok(Outcome::Skipped(format!(
            "all {} growing topics already have their planned partitions",
            wanted.len()
        )));
    }
    let summary: Vec<String> = requests
        .iter()
        .map(|r| format!("{} -> {}", r.topic, r.total_count))
        .collect();
    ctx.record_handle(&REQUESTED, &summary)?;
    ctx.info(&format!("CreatePartitions {}", summary.join(", ")));
    let outcomes = admin(ctx)?.create_partitions(&requests).await?;
    for (topic, result) in outcomes {
        // Someone (the chart's job) grew it between our read and the call: the count decides below.
        if let Err(err) = result
            && err.code_name() != Some("INVALID_PARTITIONS")
        {
            return Err(topic_error(&topic, &err));
        }
    }
    let grown = ctx
        .wait_for(
            "the new partitions to appear in the metadata",
            ctx.settings.rollout_timeout,
            || async {
                let live = live_topics(ctx).await?;
                let short: Vec<String> = wanted
                    .iter()
                    .filter(|(topic, total)| live.partitions.get(*topic).copied().unwrap_or(0) < **total)
                    .map(|(topic, total)| {
                        format!("{topic} {}/{total}", live.partitions.get(topic).copied().unwrap_or(0))
                    })
                    .collect();
                Ok((
                    short.is_empty().then_some(requests.len()),
                    format!("{} topics short: {}", short.len(), short.join(", ")),
                ))
            },
        )
        .await?;
    Ok(Outcome::Done(format!("grew {grown} topic(s): {}", summary.join(", "))))
}

/// One topic's CreatePartitions error as the step's: retriable when Kafka says another try may
/// succeed (the client already retried it until kafka.timeout_seconds), so the runner runs the step
/// again, which compares the live counts first and sends only what is still missing.
fn topic_error(topic: &str, err: &kfscale_kafka::KafkaError) -> StepError {
    StepError::from(err.clone()).map_message(|message| format!("growing topic {topic}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_refused_for_now_is_retried_and_a_refused_one_fails() {
        let throttled = kfscale_kafka::KafkaError::Api {
            api: "CreatePartitions",
            subject: "topic t".into(),
            code: 89,
            name: "THROTTLING_QUOTA_EXCEEDED".into(),
            message: None,
        };
        assert!(topic_error("t", &throttled).is_retriable());
        let denied = kfscale_kafka::KafkaError::Api {
            api: "CreatePartitions",
            subject: "topic t".into(),
            code: 29,
            name: "TOPIC_AUTHORIZATION_FAILED".into(),
            message: None,
        };
        let error = topic_error("t", &denied);
        assert!(!error.is_retriable());
        assert!(
            error
                .to_string()
                .starts_with("growing topic t: Kafka CreatePartitions topic t"),
            "{error}"
        );
    }
}
