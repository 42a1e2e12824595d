//! Move replicas onto the new brokers. The assignment is computed once from the live cluster (the
//! partitions the chart's job created may sit elsewhere than planned, and the new brokers' racks
//! are known only now), recorded, and then run in waves: a few moves per broker at once under a
//! replication throttle, each wave recorded before it is sent. Every poll re-reads the cluster, so
//! a resumed apply knows which moves finished, which are in flight and which were recorded but
//! never sent, and sends no move twice. The throttle is removed at the end, and after a failure
//! only once no move it sent is still copying: a throttle removed mid-copy lets the copies take the
//! brokers' whole bandwidth; one left on is finished and removed by the next apply.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kfscale_kafka::{ReassignmentRequest, first_error};

use super::copy_bound::busiest_broker;
use super::copy_figures::{copied_bytes, copy_figures};
use super::live::{admin, live_sizes, live_topics};
use super::moves::{Key, Limits, Move, schedule};
use super::throttle::{self as kafka_throttle, Throttled};
use crate::balance::{BalanceRequest, Broker, Partition, balance};
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::engine::report::progress::Progress as Report;

/// Every move of the reassignment, computed once from the live cluster and recorded before any is sent.
const MOVES: HandleKey<Vec<Move>> = HandleKey::new("moves");
/// The replication throttles this step set (rate and the throttled replicas).
const THROTTLED: HandleKey<Throttled> = HandleKey::new("throttled");
/// The moves recorded before their wave is sent: a resumed apply sends only those Kafka does not show.
const SUBMITTED: HandleKey<Vec<Key>> = HandleKey::new("submitted");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    if ctx.plan.kafka.reassignment.is_none() {
        return Ok(Outcome::Skipped(
            "Kafka was not observed when the plan was made: no reassignment".into(),
        ));
    }
    let moves: Vec<Move> = match ctx.handle(&MOVES) {
        Some(moves) => moves,
        None => {
            let moves = compute(ctx).await?;
            ctx.record_handle(&MOVES, &moves)?;
            moves
        }
    };
    if moves.is_empty() {
        return Ok(Outcome::Skipped(
            "the live assignment is already balanced over the brokers".into(),
        ));
    }
    save_the_way_back(ctx, &moves)?;
    let result = execute(ctx, &moves).await;
    if let Err(
        err @ (StepError::Interrupted | StepError::Retriable(_) | StepError::LeaseLost(_) | StepError::State(_)),
    ) = result
    {
        // A resumed (or retried) step goes on under the same throttle.
        return Err(err);
    }
    let throttled: Throttled = ctx.handle(&THROTTLED).unwrap_or_default();
    if let Err(err) = result {
        return Err(after_failure(ctx, &moves, &throttled, err).await);
    }
    let summary = result?;
    match kafka_throttle::remove(admin(ctx)?, &throttled).await {
        Ok(removed) => Ok(Outcome::Done(format!("{summary}; {removed}"))),
        // Retried, the step finds its moves done and removes the throttle.
        Err(err) => Err(err.map_message(|err| format!(
            "the moves finished but removing the replication throttle failed: {err}; fix: re-run `kfscale apply` (it removes it), or remove the `*.replication.throttled.*` configs by hand"
        ))),
    }
}

/// The moves this run's reassignment recorded (none when it has not computed them, or had none).
pub fn recorded_moves(ctx: &StepContext<'_>) -> Vec<Move> {
    ctx.handle_of(crate::state::StepName::KafkaReassignment, &MOVES)
        .unwrap_or_default()
}

/// The replicas each partition had before its move (the moves' `from`, read from the live cluster),
/// saved in the state directory before the first move is sent; the record commits it.
fn save_the_way_back(ctx: &StepContext<'_>, moves: &[Move]) -> Result<(), StepError> {
    let before = moves
        .iter()
        .filter(|m| !m.from.is_empty())
        .map(|m| (m.topic.as_str(), m.partition, m.from.as_slice()));
    let path = ctx
        .store
        .write_kafka_rollback(ctx.run_id, before)
        .map_err(StepError::State)?;
    ctx.info(&format!("the way back: {}", path.display()));
    Ok(())
}

/// A failed reassignment takes its throttle off only when none of its moves is still copying;
/// otherwise the throttle stays and the error says so (the next apply finishes the moves, then
/// removes it).
async fn after_failure(ctx: &StepContext<'_>, moves: &[Move], throttled: &Throttled, err: StepError) -> StepError {
    let ours: BTreeSet<Key> = moves.iter().map(Move::key).collect();
    let kafka = match admin(ctx) {
        Ok(kafka) => kafka,
        Err(err) => return err,
    };
    let in_flight = kafka.list_partition_reassignments().await.map(|listed| {
        listed
            .into_iter()
            .filter(|r| ours.contains(&(r.topic.clone(), r.partition)))
            .count()
    });
    match in_flight {
        Ok(0) => match kafka_throttle::remove(kafka, throttled).await {
            Ok(_) => err,
            Err(cleanup) => StepError::failed(format!("{err}; removing the replication throttle failed too: {cleanup}")),
        },
        Ok(copying) => err.map_message(|m| format!(
            "{m}; the replication throttle stays on: {copying} move(s) kfscale sent are still copying, and the next `kfscale apply` waits for them and then removes it"
        )),
        Err(unknown) => err.map_message(|m| format!(
            "{m}; the replication throttle stays on: whether moves are still copying could not be read ({unknown}), and the next `kfscale apply` removes it once they are done"
        )),
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
    // Sizes from the brokers now, else from the plan (DescribeLogDirs at plan time): the schedule
    // weighs the moves by them.
    let mut sizes: BTreeMap<Key, u64> = ctx
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
    sizes.extend(live_sizes(ctx, &live.assignment).await?);
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
    let moves: Vec<Move> = result
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
    // The schedule picks the order at each poll (moves.rs); recorded in the balancer's order.
    Ok(moves)
}

/// Throttles, then sends waves of moves until every move finished.
async fn execute(ctx: &mut StepContext<'_>, moves: &[Move]) -> Result<String, StepError> {
    let settings = ctx.systems.reassignment.clone();
    let kafka = admin(ctx)?;
    if settings.throttle_bytes_per_second > 0 {
        let configs = kafka_throttle::throttle_configs(moves, settings.throttle_bytes_per_second);
        // The customer's throttle configs are read once, before kfscale sets any: on a resume the
        // configs there are kfscale's own.
        let mut record = match ctx.handle(&THROTTLED) {
            Some(record) => record,
            None => kafka_throttle::record_earlier(kafka, &configs).await?,
        };
        let ours = kafka_throttle::with_earlier(&configs, &record);
        if ctx.handle(&THROTTLED).is_none() || record.ours != ours {
            record.ours = ours;
            ctx.record_handle(&THROTTLED, &record)?;
        }
        let set = kafka_throttle::set(kafka, &record.ours).await?;
        if set > 0 {
            ctx.info(&format!(
                "replication throttle {} B/s on {} broker(s), {} topic(s){}",
                settings.throttle_bytes_per_second,
                record.brokers.len(),
                record.topics.len(),
                if record.earlier.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} earlier throttle config(s) recorded, put back at the end)",
                        record.earlier.len()
                    )
                }
            ));
        }
    }
    let mut bound_text = String::new();
    if let Some(busiest) = busiest_broker(moves)
        && let Some(seconds) = busiest.seconds_at(settings.throttle_bytes_per_second)
    {
        bound_text = format!("; the copy takes at least {:.0} s", seconds.ceil());
        // What `kfscale status` compares the copy against: no schedule can end sooner.
        ctx.observe("copy_bound_seconds", &(seconds.ceil() as u64));
        ctx.info(&format!(
            "the copy takes at least {:.0} s: broker {} {} {} bytes at the throttle",
            seconds.ceil(),
            busiest.broker,
            if busiest.receiving { "receives" } else { "sends" },
            busiest.bytes
        ));
    }
    let limits = Limits {
        per_broker: settings.max_moves_per_broker.max(1) as usize,
        total: settings.max_moves_total.max(1) as usize,
    };
    let timeout = Duration::from_secs(settings.timeout_minutes.max(1) * 60);
    let mut submitted: BTreeSet<Key> = ctx.handle(&SUBMITTED).unwrap_or_default().into_iter().collect();
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
            ctx.record_handle(&SUBMITTED, &submitted.iter().cloned().collect::<Vec<Key>>())?;
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
            Report::new(ctx.step.as_str(), "partition moves", &format!("{text}{bound_text}"))
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
