//! Move replicas onto the new brokers. The assignment is computed once from the live cluster (the
//! partitions the chart's job created may sit elsewhere than planned, and the new brokers' racks
//! are known only now), recorded, and then run in waves: a few moves per broker at once under a
//! replication throttle, each wave recorded before it is sent. Every poll re-reads the cluster, so
//! a resumed apply knows which moves finished, which are in flight and which were recorded but
//! never sent, and sends no move twice. The throttle is removed at the end, also after a failure.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kfscale_kafka::{ReassignmentRequest, first_error};

use super::kafka_copy_figures::{copied_bytes, copy_figures};
use super::kafka_live::{admin, live_topics};
use super::kafka_moves::{Key, Limits, Move, schedule};
use super::kafka_throttle::{self, Throttled};
use crate::balance::{BalanceRequest, Broker, Partition, balance};
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::progress::Progress as Report;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    if ctx.plan.kafka.reassignment.is_none() {
        return Ok(Outcome::Skipped(
            "Kafka was not observed when the plan was made: no reassignment".into(),
        ));
    }
    let moves: Vec<Move> = match ctx.handle("moves") {
        Some(moves) => moves,
        None => {
            let moves = compute(ctx).await?;
            ctx.record_handle("moves", &moves)?;
            moves
        }
    };
    if moves.is_empty() {
        return Ok(Outcome::Skipped(
            "the live assignment is already balanced over the brokers".into(),
        ));
    }
    let result = execute(ctx, &moves).await;
    if let Err(err @ (StepError::Interrupted | StepError::Retriable(_))) = result {
        // A resumed (or retried) step goes on under the same throttle.
        return Err(err);
    }
    let throttled: Throttled = ctx.handle("throttled").unwrap_or_default();
    let removed = kafka_throttle::remove(admin(ctx)?, &throttled).await;
    match (result, removed) {
        (Ok(summary), Ok(removed)) => Ok(Outcome::Done(format!(
            "{summary}; {removed} throttle config(s) removed"
        ))),
        // Retried, the step finds its moves done and removes the throttle.
        (Ok(_), Err(err)) => Err(err.map_message(|err| format!(
            "the moves finished but removing the replication throttle failed: {err}; fix: re-run `kfscale apply` (it removes it), or remove the `*.replication.throttled.*` configs by hand"
        ))),
        (Err(err), Ok(_)) => Err(err),
        (Err(err), Err(cleanup)) => Err(StepError::failed(format!(
            "{err}; removing the replication throttle failed too: {cleanup}"
        ))),
    }
}

/// The balanced, minimal-movement assignment from the live replicas onto the planned brokers.
async fn compute(ctx: &mut StepContext<'_>) -> Result<Vec<Move>, StepError> {
    let live = live_topics(ctx).await?;
    let brokers_after = &ctx.plan.kafka.brokers_after;
    let racks_known = !live.racks.is_empty() && brokers_after.iter().all(|id| live.racks.contains_key(id));
    let brokers: Vec<Broker> = brokers_after
        .iter()
        .map(|id| Broker {
            id: *id,
            rack: racks_known.then(|| live.racks[id].clone()),
        })
        .collect();
    // Sizes from the plan (DescribeLogDirs at plan time) order the moves smallest first.
    let sizes: BTreeMap<Key, u64> = ctx
        .plan
        .kafka
        .reassignment
        .iter()
        .flat_map(|r| r.changes.iter())
        .filter_map(|c| {
            let per_replica = c.bytes_moved? / c.replicas_moved.max(1) as u64;
            Some(((c.topic.clone(), c.partition), per_replica))
        })
        .collect();
    let partitions = live
        .assignment
        .iter()
        .map(|((topic, partition), replicas)| Partition {
            topic: topic.clone(),
            partition: *partition,
            replicas: replicas.clone(),
            replication_factor: replicas.len(),
            size_bytes: sizes.get(&(topic.clone(), *partition)).copied(),
        })
        .collect();
    let result = balance(&BalanceRequest { partitions, brokers })
        .map_err(|err| StepError::failed(format!("balancing the live assignment: {err}")))?;
    ctx.observe("replicas_moved", &result.replicas_moved);
    ctx.observe("lower_bound", &result.lower_bound);
    ctx.observe("rack_aware", &result.rack_aware);
    let planned = ctx.plan.kafka.reassignment.as_ref().map_or(0, |r| r.replicas_moved);
    ctx.info(&format!(
        "from the live assignment: {} replica(s) move in {} partition(s) (lower bound {}; the plan said {planned})",
        result.replicas_moved,
        result.changes.len(),
        result.lower_bound
    ));
    let mut moves: Vec<Move> = result
        .changes
        .into_iter()
        .map(|c| Move {
            bytes: sizes.get(&(c.topic.clone(), c.partition)).copied(),
            topic: c.topic,
            partition: c.partition,
            from: c.old_replicas,
            to: c.new_replicas,
        })
        .collect();
    // Small partitions first: the most moves finish early, the big copies run last.
    moves.sort_by_key(|m| (m.bytes.unwrap_or(0), m.topic.clone(), m.partition));
    Ok(moves)
}

/// Throttles, then sends waves of moves until every move finished.
async fn execute(ctx: &mut StepContext<'_>, moves: &[Move]) -> Result<String, StepError> {
    let settings = ctx.systems.reassignment.clone();
    let kafka = admin(ctx)?;
    if settings.throttle_bytes_per_second > 0 {
        let configs = kafka_throttle::throttle_configs(moves, settings.throttle_bytes_per_second);
        let wanted = kafka_throttle::throttled(&configs);
        if ctx.handle::<Throttled>("throttled").as_ref() != Some(&wanted) {
            ctx.record_handle("throttled", &wanted)?;
        }
        let set = kafka_throttle::set(kafka, &configs).await?;
        if set > 0 {
            ctx.info(&format!(
                "replication throttle {} B/s on {} broker(s), {} topic(s)",
                settings.throttle_bytes_per_second,
                wanted.brokers.len(),
                wanted.topics.len()
            ));
        }
    }
    let limits = Limits {
        per_broker: settings.max_moves_per_broker.max(1) as usize,
        total: settings.max_moves_total.max(1) as usize,
    };
    let timeout = Duration::from_secs(settings.timeout_minutes.max(1) * 60);
    let mut submitted: BTreeSet<Key> = ctx
        .handle::<Vec<Key>>("submitted")
        .unwrap_or_default()
        .into_iter()
        .collect();
    let by_key: BTreeMap<Key, &Move> = moves.iter().map(|m| (m.key(), m)).collect();
    let started = Instant::now();
    let mut waves = 0usize;
    // Bytes already copied when this attempt began: the observed rate counts only its own.
    let mut done_at_start: Option<u64> = None;
    loop {
        // In-flight first, replicas second: a move that completes between the two reads then
        // shows at its target. Read the other way round it looks neither in flight nor finished,
        // and would be sent again.
        let reassigning: BTreeSet<Key> = kafka
            .list_partition_reassignments()
            .await?
            .into_iter()
            .map(|r| (r.topic, r.partition))
            .collect();
        let live = live_topics(ctx).await?;
        let progress = schedule(moves, &live.assignment, &reassigning, &submitted, limits);
        if progress.is_complete() {
            break;
        }
        if !progress.next.is_empty() {
            // Recorded before it is sent: a crash in between finds these "lost" and sends them
            // once; a crash after finds them in flight or finished.
            submitted.extend(progress.next.iter().cloned());
            ctx.record_handle("submitted", &submitted.iter().cloned().collect::<Vec<Key>>())?;
            let requests: Vec<ReassignmentRequest> = progress
                .next
                .iter()
                .map(|key| ReassignmentRequest {
                    topic: key.0.clone(),
                    partition: key.1,
                    target: Some(by_key[key].to.clone()),
                })
                .collect();
            first_error(kafka.alter_partition_reassignments(&requests).await?)?;
            waves += 1;
            ctx.observe("waves", &waves);
        }
        let elapsed = started.elapsed();
        let text = format!(
            "{}/{} partitions moved, {} in flight, {} waiting",
            progress.finished.len(),
            moves.len(),
            progress.in_flight.len() + progress.next.len(),
            progress.pending.len() + progress.lost.len() - progress.next.len()
        );
        if elapsed > timeout {
            return Err(StepError::failed(format!(
                "gave up after {}s: {text}; fix: look at the brokers' replication (under-replicated partitions, disk), raise kafka.reassignment.timeout_minutes, then re-run `kfscale apply` to resume",
                elapsed.as_secs()
            )));
        }
        let before = *done_at_start.get_or_insert_with(|| copied_bytes(moves, &progress.finished));
        let figures = copy_figures(
            moves,
            &progress.finished,
            settings.throttle_bytes_per_second,
            before,
            elapsed,
        );
        ctx.report(
            Report::new(ctx.step, "partition moves", &text)
                .counted(figures.done_bytes as f64, figures.total_bytes as f64, "bytes")
                .eta(figures.eta_seconds, &figures.eta_from),
        );
        ctx.waiting("partition moves", &text, elapsed);
        ctx.pause().await?;
    }
    ctx.events.clear_wait();
    let replicas: usize = moves.iter().map(|m| m.adding().len()).sum();
    Ok(format!("{replicas} replica(s) of {} partition(s) moved", moves.len()))
}
