//! Leaders follow the moves: a preferred leader election (ElectLeaders, PREFERRED) for every
//! partition the reassignment moved or reordered (and any other led by another replica than its
//! first), once all its moves finished. Without it the new
//! brokers hold replicas but lead nothing (and so take no produce load) until Kafka's automatic
//! leader rebalance runs: every 5 minutes by default, only above a 10% imbalance, and never when
//! `auto.leader.rebalance.enable` is off.
//!
//! The partitions are the reassignment's recorded moves and any other partition led by another
//! replica than its first (leaderships a restarted broker handed over), recorded here once; they go in
//! requests of `kafka.reassignment.election_batch` partitions (1000), each recorded before it is sent and its outcome after. A
//! resumed apply sends only what no request finished; a request whose answer never arrived is
//! settled by reading the leaders (its partitions led by their preferred replica are done), and
//! the rest is sent again, which is safe: an election is idempotent.
use std::collections::BTreeMap;

use kfscale_kafka::{KafkaError, TopicPartition};

use super::elections::{Answer, Election, failures, pending, totals};
use super::live::admin;
use super::moves::Key;
use super::reassignment::recorded_moves;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;

/// The partitions to elect: every one the reassignment moved or reordered.
const PARTITIONS: HandleKey<Vec<Key>> = HandleKey::new("partitions");
/// Every ElectLeaders request in the order sent, each recorded before it is sent.
const ELECTIONS: HandleKey<Vec<Election>> = HandleKey::new("elections");

/// Most partitions a failure message names before "and N more".
const NAMED: usize = 10;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    if ctx.plan.kafka.reassignment.is_none() {
        return Ok(Outcome::Skipped(
            "Kafka was not observed when the plan was made: no election".into(),
        ));
    }
    let targets = match ctx.handle(&PARTITIONS) {
        Some(targets) => targets,
        None => {
            let targets = to_elect(ctx).await?;
            ctx.record_handle(&PARTITIONS, &targets)?;
            targets
        }
    };
    if targets.is_empty() {
        return Ok(Outcome::Skipped(
            "no partition moved or reordered, and every one led by its preferred replica: the leaders stay".into(),
        ));
    }
    let mut elections: Vec<Election> = ctx.handle(&ELECTIONS).unwrap_or_default();
    if elections.iter().any(|e| e.outcome.is_none()) {
        settle_unanswered(ctx, &mut elections).await?;
    }
    let kafka = admin(ctx)?;
    let to_send = pending(&targets, &elections);
    let batch_size = ctx.systems.reassignment.election_batch.max(1) as usize;
    let mut sent_now = 0usize;
    for batch in to_send.chunks(batch_size) {
        // Recorded before it is sent: the record shows every request, answered or not.
        elections.push(Election::sent(batch.to_vec()));
        ctx.record_handle(&ELECTIONS, &elections)?;
        let partitions: Vec<TopicPartition> = batch.iter().map(|(t, p)| TopicPartition::new(t, *p)).collect();
        let answer = kafka.elect_preferred_leaders(&partitions).await;
        sent_now += 1;
        ctx.add_count("election_requests", 1);
        let last = elections.last_mut().expect("just pushed");
        match answer {
            Ok(outcomes) => last.answered(outcomes.into_iter().map(answer_of).collect()),
            // Perhaps carried out, its answer lost: the next attempt reads the leaders.
            Err(err) if err.outcome_unknown() => return Err(err.into()),
            Err(err) => {
                last.refused(&err.to_string(), err.is_retriable());
                ctx.record_handle(&ELECTIONS, &elections)?;
                return Err(StepError::from(err).map_message(|m| format!("the preferred leader election: {m}")));
            }
        }
        ctx.record_handle(&ELECTIONS, &elections)?;
    }
    let (elected, not_needed) = totals(&elections);
    ctx.observe("requests", &elections.len());
    ctx.observe("elected", &elected);
    ctx.observe("not_needed", &not_needed);
    let left = pending(&targets, &elections);
    if !left.is_empty() {
        return Err(failed(&left, &elections));
    }
    Ok(Outcome::Done(format!(
        "{} partition(s) led by their preferred replica: {elected} elected, {not_needed} led already ({} ElectLeaders request(s), {sent_now} in this attempt)",
        targets.len(),
        elections.len()
    )))
}

/// The partitions the reassignment moved or reordered, then those of the balanced topics led by
/// another replica than their first now (a broker restarted by the rollout hands its leaderships
/// to others, and Kafka gives them back only when its automatic rebalance runs): with both
/// elected, every partition is led by its preferred replica, which the balancer spread evenly.
async fn to_elect(ctx: &StepContext<'_>) -> Result<Vec<Key>, StepError> {
    let mut targets: Vec<Key> = recorded_moves(ctx).iter().map(|m| m.key()).collect();
    let moved: std::collections::BTreeSet<Key> = targets.iter().cloned().collect();
    let internal = &ctx.plan.profile.kafka.internal_topics;
    let metadata = admin(ctx)?.metadata().await?;
    for topic in metadata
        .topics
        .iter()
        .filter(|t| !t.internal && !internal.contains(&t.name))
    {
        for partition in &topic.partitions {
            let key = (topic.name.clone(), partition.partition);
            let preferred = partition.replicas.first().copied();
            if partition.leader.is_some() && partition.leader != preferred && !moved.contains(&key) {
                targets.push(key);
            }
        }
    }
    Ok(targets)
}

/// Requests recorded but never answered (the apply stopped, or the answer was lost) get their
/// outcome from the leaders now.
async fn settle_unanswered(ctx: &mut StepContext<'_>, elections: &mut [Election]) -> Result<(), StepError> {
    let metadata = admin(ctx)?.metadata().await?;
    let live: BTreeMap<Key, (Option<i32>, Vec<i32>)> = metadata
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| ((t.name.clone(), p.partition), (p.leader, p.replicas.clone())))
        })
        .collect();
    let mut settled = 0;
    for election in elections.iter_mut().filter(|e| e.outcome.is_none()) {
        election.read_back(&live);
        settled += 1;
    }
    ctx.info(&format!(
        "{settled} ElectLeaders request(s) sent without an answer: settled from the leaders now"
    ));
    ctx.record_handle(&ELECTIONS, &elections.to_vec())
}

fn answer_of((tp, result): (TopicPartition, Result<(), KafkaError>)) -> Answer {
    Answer {
        partition: (tp.topic, tp.partition),
        error: result
            .err()
            .map(|err| (err.code_name().map(str::to_string), err.to_string(), err.is_retriable())),
    }
}

/// The partitions left, named with their errors: retriable when every error may pass (a
/// preferred replica out of the ISR for a moment, a controller moving), so the runner tries
/// again; a permanent one fails the step.
fn failed(left: &[Key], elections: &[Election]) -> StepError {
    let failures = failures(left, elections);
    let mut named: Vec<String> = failures
        .iter()
        .take(NAMED)
        .map(|f| format!("{}-{} ({})", f.partition.0, f.partition.1, f.error))
        .collect();
    if left.len() > NAMED {
        named.push(format!("and {} more", left.len() - NAMED));
    }
    let message = format!(
        "the preferred leader election left {} partition(s) not led by their preferred replica: {}; fix: check that the preferred replicas (the first of each partition's replicas) are up and in sync, then re-run `kfscale apply` (it elects only these)",
        left.len(),
        named.join(", ")
    );
    if failures.iter().all(|f| f.retriable) {
        StepError::Retriable(message)
    } else {
        StepError::failed(message)
    }
}
