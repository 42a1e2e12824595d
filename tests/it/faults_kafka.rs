//! Fault matrix, Kafka (issue #7): one apply 6 -> 9 nodes (one zone; partitions grow 12 -> 15, so
//! both CreatePartitions and replica moves happen) per cell, with kafka.timeout_seconds 2 so the
//! client's own retries give up fast and the step sees the fault:
//! - timeout: ListPartitionReassignments answers after 3x the timeout, during the reassignment wait;
//! - retriable error: AlterPartitionReassignments answers REQUEST_TIMED_OUT;
//! - throttling: CreatePartitions answers THROTTLING_QUOTA_EXCEEDED (the controller mutation quota);
//! - permanent: AlterPartitionReassignments answers CLUSTER_AUTHORIZATION_FAILED;
//! - going away: every broker drops every connection during the reassignment wait;
//! - a broker restarting: one new broker leaves mid-copy and comes back (issue #15 item 5);
//! - applied, answer lost: CreatePartitions, AlterPartitionReassignments and the throttle's
//!   IncrementalAlterConfigs each carried out, then answered REQUEST_TIMED_OUT (issue #15 item 1).
//!
//! Retriable faults stay until kfscale shows it retried (a `retrying` event of the step), then
//! go: the apply must succeed, count the retry, send each mutation once and end balanced. The
//! permanent one stops the apply naming Kafka, the call and the fix; removed, a re-run resumes
//! without repeating the steps done before. Faults on the mutations (CreatePartitions,
//! AlterPartitionReassignments) are armed from the start: planning never sends them.
use std::path::Path;

use anyhow::{Context, Result, ensure};
use kfscale_fakes::kafka::control::faults::FaultSpec;
use kfscale_fakes::kafka::model::replication::BrokerAwayTrigger;
use serde_json::Value;

use crate::common::KafkaForCluster;
use crate::common::customer::{Customer, CustomerSpec, customer_cluster, git_output, step};
use crate::common::fake_faults::{retries_in, run_watching};
use crate::common::faults::{Ended, assert_failed_in, assert_resumed_without_repeating, assert_retried_and_succeeded};
use crate::common::leftovers::throttles;

/// 12 partitions per topic grown by 1.25, over 9 brokers.
const PARTITIONS: usize = 15;
const BROKERS: usize = 9;
const TIMEOUT_SECONDS: u64 = 2;

/// A 6-node single-zone cluster whose apply to 9 nodes grows partitions and moves replicas, one
/// move per broker at a time, on a model clock 10x the wall clock; Kafka calls time out after 2 s.
async fn kafka_customer(prefix: &str) -> Result<Customer> {
    let mut customer = customer_cluster(CustomerSpec::moving_replicas(prefix, 10.0)).await?;
    customer.edit_config("timeout_seconds: 10", &format!("timeout_seconds: {TIMEOUT_SECONDS}"))?;
    Ok(customer)
}

fn apply_command(customer: &Customer) -> Result<std::process::Command> {
    Ok(customer.command(&customer.apply_args("9")?))
}

fn log(customer: &Customer, name: &str) -> std::path::PathBuf {
    customer.config.with_file_name(name)
}

/// A fault on `api` (None: every API but ApiVersions).
fn fault(api: Option<&str>, error: Option<&str>, latency_ms: u64, drop_connection: bool) -> FaultSpec {
    FaultSpec {
        api: api.map(str::to_string),
        broker: None,
        error: error.map(str::to_string),
        latency_ms,
        drop_connection,
        apply: false,
        count: None,
    }
}

/// Removes fault `id`, returning how many requests it hit.
fn remove_counting_hits(kafka: &KafkaForCluster, id: u64) -> u64 {
    let mut faults = kafka.fake.faults();
    let hits = faults
        .list()
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"] == id)
        .map_or(0, |f| f["hits"].as_u64().unwrap_or(0));
    faults.remove(id);
    hits
}

/// Requests of a mutation `api` the fake carried out, and those a fault stopped.
fn mutation_counts(kafka: &KafkaForCluster, api: &str) -> (usize, usize) {
    let shared = kafka.fake.shared();
    let mutations = shared.mutations.lock().unwrap_or_else(|p| p.into_inner());
    let of_api: Vec<_> = mutations.log().iter().filter(|e| e.api == api).collect();
    let processed = of_api.iter().filter(|e| e.processed).count();
    (processed, of_api.len() - processed)
}

/// Runs the apply with `spec` armed once `arm_now` says so (given the fake and each event), and
/// removed at the first retry of `step` after that. Returns the run and the fault's hits.
fn apply_riding_out(
    customer: &Customer,
    cell: &str,
    step: &str,
    spec: FaultSpec,
    mut arm_now: impl FnMut(&KafkaForCluster, Option<&Value>) -> bool,
) -> Result<(Ended, u64)> {
    let kafka = &customer.kafka;
    let (mut armed, mut hits) = (None::<u64>, 0);
    let mut spec = Some(spec);
    let finished = run_watching(
        apply_command(customer)?,
        &log(customer, &format!("{cell}.log")),
        |event| {
            if armed.is_none() && arm_now(kafka, event) {
                let spec = spec.take().context("armed once")?;
                armed = Some(kafka.fake.faults().add(spec).map_err(anyhow::Error::msg)?);
            } else if let Some(id) = armed
                && retries_in(event, step)
                && hits == 0
            {
                hits = remove_counting_hits(kafka, id).max(1);
            }
            Ok(())
        },
    )?;
    ensure!(armed.is_some(), "the fault was never armed:\n{}", finished.stderr);
    if hits == 0
        && let Some(id) = armed
    {
        // Never retried: report how often it was hit all the same.
        hits = remove_counting_hits(kafka, id);
    }
    Ok((finished, hits))
}

/// Every mutation sent once: one CreatePartitions, each move once; balanced, nothing in flight.
async fn assert_each_mutation_once_and_balanced(customer: &Customer) -> Result<()> {
    let (created, _) = mutation_counts(&customer.kafka, "CreatePartitions");
    ensure!(created == 1, "CreatePartitions carried out {created} times");
    let sent = customer.kafka.reassignments_sent();
    ensure!(!sent.is_empty() && sent.values().all(|n| *n == 1), "{sent:?}");
    customer.assert_kafka_balanced(PARTITIONS, BROKERS).await?;
    Ok(())
}

fn moves_sent(kafka: &KafkaForCluster) -> bool {
    !kafka.reassignments_sent().is_empty()
}

fn repo(customer: &Customer) -> &Path {
    &customer.repo
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_timeout_is_retried_and_the_apply_succeeds() -> Result<()> {
    let customer = kafka_customer("fk-timeout").await?;
    // Armed once the first wave is sent: the step is in its wait, which lists the moves in flight.
    let slow = fault(
        Some("ListPartitionReassignments"),
        None,
        3 * TIMEOUT_SECONDS * 1000,
        false,
    );
    let (finished, hits) = apply_riding_out(&customer, "timeout", "kafka_reassignment", slow, |kafka, _| {
        moves_sent(kafka)
    })?;
    assert_retried_and_succeeded(repo(&customer), &finished, "kafka_reassignment")?;
    ensure!(hits >= 1, "the slow answer was never asked for");
    ensure!(
        finished
            .retries_in("kafka_reassignment")
            .iter()
            .any(|e| e["error"].as_str().is_some_and(|m| m.contains("no answer within"))),
        "{:?}",
        finished.retries_in("kafka_reassignment")
    );
    assert_each_mutation_once_and_balanced(&customer).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_retriable_error_is_retried_and_the_apply_succeeds() -> Result<()> {
    let customer = kafka_customer("fk-5xx").await?;
    let refused = fault(Some("AlterPartitionReassignments"), Some("REQUEST_TIMED_OUT"), 0, false);
    let (finished, _) = apply_riding_out(&customer, "retriable", "kafka_reassignment", refused, |_, _| true)?;
    assert_retried_and_succeeded(repo(&customer), &finished, "kafka_reassignment")?;
    let (_, refused) = mutation_counts(&customer.kafka, "AlterPartitionReassignments");
    ensure!(refused >= 1, "no AlterPartitionReassignments met the fault");
    assert_each_mutation_once_and_balanced(&customer).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_throttling_is_retried_and_the_apply_succeeds() -> Result<()> {
    let customer = kafka_customer("fk-throttle").await?;
    let quota = fault(Some("CreatePartitions"), Some("THROTTLING_QUOTA_EXCEEDED"), 0, false);
    let (finished, _) = apply_riding_out(&customer, "throttling", "kafka_partitions", quota, |_, _| true)?;
    assert_retried_and_succeeded(repo(&customer), &finished, "kafka_partitions")?;
    let (_, refused) = mutation_counts(&customer.kafka, "CreatePartitions");
    ensure!(refused >= 1, "no CreatePartitions met the quota");
    assert_each_mutation_once_and_balanced(&customer).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_permanent_error_stops_the_apply_and_a_rerun_resumes() -> Result<()> {
    let customer = kafka_customer("fk-denied").await?;
    customer
        .kafka
        .fake
        .faults()
        .add(fault(
            Some("AlterPartitionReassignments"),
            Some("CLUSTER_AUTHORIZATION_FAILED"),
            0,
            false,
        ))
        .map_err(anyhow::Error::msg)?;
    let failed = run_watching(apply_command(&customer)?, &log(&customer, "permanent.log"), |_| Ok(()))?;
    let before = assert_failed_in(
        repo(&customer),
        &failed,
        "kafka_reassignment",
        &[
            "Kafka AlterPartitionReassignments",
            "CLUSTER_AUTHORIZATION_FAILED",
            "kafka-acls",
        ],
    )?;
    ensure!(
        before
            .iter()
            .any(|s| s["name"] == "kafka_partitions" && s["status"] == "done"),
        "{before:?}"
    );
    let (carried_out, refused) = mutation_counts(&customer.kafka, "AlterPartitionReassignments");
    ensure!(
        carried_out == 0 && refused >= 1,
        "{carried_out} carried out, {refused} refused"
    );

    customer.kafka.fake.faults().clear();
    let resumed = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    assert_resumed_without_repeating(repo(&customer), &resumed.into(), &before)?;
    assert_each_mutation_once_and_balanced(&customer).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_going_away_mid_step_is_retried_and_the_apply_succeeds() -> Result<()> {
    let customer = kafka_customer("fk-away").await?;
    // Every broker drops every connection (ApiVersions aside) once the first wave is sent.
    let away = fault(None, None, 0, true);
    let (finished, hits) = apply_riding_out(&customer, "going-away", "kafka_reassignment", away, |kafka, _| {
        moves_sent(kafka)
    })?;
    assert_retried_and_succeeded(repo(&customer), &finished, "kafka_reassignment")?;
    ensure!(hits >= 1, "no request met the dropped connections");
    assert_each_mutation_once_and_balanced(&customer).await
}

/// A broker restarts mid-reassignment (issue #15 item 5): the first new broker that receives a copy
/// leaves when that copy is 30% done and comes back 20 model seconds (2 s) later, as a pod restart
/// would. The apply rides it out: the moves to that broker stall, resume from where they were and
/// finish; no move is sent again, and the cluster ends balanced.
#[tokio::test(flavor = "multi_thread")]
async fn a_broker_restarting_mid_reassignment_is_ridden_out_without_resending_a_move() -> Result<()> {
    let customer = kafka_customer("fk-restart").await?;
    let kafka = &customer.kafka;
    let shared = kafka.fake.shared();
    let mut armed = None::<i32>;
    let finished = run_watching(apply_command(&customer)?, &log(&customer, "restart.log"), |_| {
        if armed.is_none() && moves_sent(kafka) {
            // The first copy in flight to a broker the apply added (ids 106..=108).
            let target = shared.with_cluster(|c| {
                c.copies()
                    .into_iter()
                    .map(|copy| copy.to_broker)
                    .filter(|id| *id >= 106)
                    .min()
            });
            if let Some(broker) = target {
                shared.with_cluster(|c| {
                    c.add_trigger(BrokerAwayTrigger {
                        broker,
                        after_copied_fraction: 0.3,
                        back_after_ms: Some(20_000),
                    })
                });
                armed = Some(broker);
            }
        }
        Ok(())
    })?;
    finished.ensure_succeeded("the apply with a broker restarting")?;
    let broker = armed.context("no copy to a new broker was ever in flight")?;
    let events: Vec<String> = shared.with_cluster(|c| c.events.iter().map(|e| e.what.clone()).collect());
    let away = format!("fault: broker {broker} goes away mid-copy");
    let at = events.iter().position(|e| *e == away);
    ensure!(
        at.is_some(),
        "broker {broker} never left: {:?}",
        &events[events.len().saturating_sub(20)..]
    );
    let caught_up = format!("replica {broker} caught up");
    ensure!(
        events[at.unwrap_or_default()..].iter().any(|e| e.contains(&caught_up)),
        "no copy to broker {broker} finished after it came back"
    );
    assert_each_mutation_once_and_balanced(&customer).await?;
    assert_the_way_back_recorded(&customer)
}

/// The record carries the way back for Kafka (issue #16 item 8): `history/<apply id>.kafka-rollback.json`
/// in `kafka-reassign-partitions` format holds every partition the apply moved, with exactly the
/// replicas it had before (the recorded moves' `from`, read from the live cluster), and the state
/// directory keeps the same file.
fn assert_the_way_back_recorded(customer: &Customer) -> Result<()> {
    let state = customer.state()?;
    let id = state["run"]["id"].as_str().context("run id")?;
    let name = format!(".kfscale/history/{id}.kafka-rollback.json");
    let files = git_output(&customer.remote, &["show", "--name-only", "--format=", "main"])?;
    ensure!(files.lines().any(|f| f == name), "no {name} in the record: {files}");
    let committed: Value = serde_json::from_str(&git_output(&customer.remote, &["show", &format!("main:{name}")])?)?;
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(customer.repo.join(&name))?)?;
    ensure!(
        committed == kept,
        "the record's rollback differs from the state directory's"
    );
    assert_eq!(committed["version"], 1);
    let entry =
        |topic: &Value, partition: &Value, replicas: &Value| (topic.clone(), partition.clone(), replicas.clone());
    let back: Vec<_> = committed["partitions"]
        .as_array()
        .context("partitions")?
        .iter()
        .map(|p| entry(&p["topic"], &p["partition"], &p["replicas"]))
        .collect();
    let reassignment = step(&state, "kafka_reassignment").context("no kafka_reassignment step")?;
    let moved: Vec<_> = reassignment["handles"]["moves"]
        .as_array()
        .context("the recorded moves")?
        .iter()
        .filter(|m| m["from"].as_array().is_some_and(|from| !from.is_empty()))
        .map(|m| entry(&m["topic"], &m["partition"], &m["from"]))
        .collect();
    ensure!(!moved.is_empty(), "the apply moved no replica");
    assert_eq!(back, moved);
    Ok(())
}

/// Applied, answer lost (#15 item 1): the fake carries `api`'s first request out, then answers
/// REQUEST_TIMED_OUT (the controller committed the change, the answer never arrived). The step
/// retries, reads the cluster, and sends nothing twice: one CreatePartitions, each move once
/// (counted in the fake's log of processed requests), no throttle of kfscale's left on any broker
/// or topic, balanced.
async fn assert_applied_answer_lost_is_not_sent_again(prefix: &str, api: &str, step_name: &str) -> Result<()> {
    let customer = kafka_customer(prefix).await?;
    let lost = FaultSpec {
        apply: true,
        count: Some(1),
        ..fault(Some(api), Some("REQUEST_TIMED_OUT"), 0, false)
    };
    let (finished, hits) = apply_riding_out(&customer, "lost", step_name, lost, |_, _| true)?;
    // The client does not send a change again on REQUEST_TIMED_OUT (its outcome is unknown): the
    // step fails retriably, and its next attempt reads what happened and sends only what is missing.
    assert_retried_and_succeeded(repo(&customer), &finished, step_name)?;
    ensure!(hits == 1, "the fault met {hits} {api} requests, expected 1");
    let (carried_out, _) = mutation_counts(&customer.kafka, api);
    ensure!(carried_out >= 1, "no {api} was carried out");
    assert_each_mutation_once_and_balanced(&customer).await?;
    let left = throttles(&customer.kafka_admin()?).await?;
    ensure!(left.is_empty(), "throttles left: {left:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_create_partitions_applied_with_its_answer_lost_is_not_sent_again() -> Result<()> {
    assert_applied_answer_lost_is_not_sent_again("fk-lost-create", "CreatePartitions", "kafka_partitions").await
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_moves_applied_with_their_answer_lost_are_not_sent_again() -> Result<()> {
    assert_applied_answer_lost_is_not_sent_again("fk-lost-moves", "AlterPartitionReassignments", "kafka_reassignment")
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_throttle_set_with_its_answer_lost_is_removed_in_the_end() -> Result<()> {
    assert_applied_answer_lost_is_not_sent_again("fk-lost-throttle", "IncrementalAlterConfigs", "kafka_reassignment")
        .await
}
