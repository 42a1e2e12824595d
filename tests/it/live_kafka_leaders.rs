//! Leaders follow the moves (#16 item 12): an apply 6 -> 9 nodes (one zone; partitions grow 12 ->
//! 15, replicas move onto the three new brokers) ends with a preferred leader election for every
//! partition the reassignment moved or reordered, sent in batches (`election_batch: 4`), so
//! the new brokers lead their share at once and the partitions led per broker differ by at most
//! one. Counted in the Kafka fake's log: one ElectLeaders per batch, each partition named once; a
//! second apply sends none. Killed (-9) after a request was carried out but before its answer was
//! recorded, the resumed apply reads the leaders, finds that batch elected and sends only the
//! batches never sent.
use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, ensure};
use kfscale_fakes::kafka::control::faults::FaultSpec;
use serde_json::Value;

use crate::common::KafkaForCluster;
use crate::common::customer::{Customer, CustomerSpec, customer_cluster, step, succeeded};
use crate::common::faults::LiveApply;

/// Partitions per ElectLeaders request in these tests: small, so one apply sends several.
const BATCH: usize = 4;
const PARTITIONS: usize = 15;
const BROKERS: usize = 9;
/// The brokers the apply adds (the chart's ids start at 100; six exist before).
const NEW_BROKERS: std::ops::RangeInclusive<i32> = 106..=108;

async fn leaders_customer(prefix: &str) -> Result<Customer> {
    customer_cluster(CustomerSpec {
        kafka_extra: "reassignment: {max_moves_per_broker: 1, throttle_bytes_per_second: 100000000, election_batch: 4}",
        ..CustomerSpec::moving_replicas(prefix, 10.0)
    })
    .await
}

/// The partitions (`topic-partition`) of each ElectLeaders request the fake carried out, in order.
fn elections_carried_out(kafka: &KafkaForCluster) -> Vec<Vec<String>> {
    let shared = kafka.fake.shared();
    let mutations = shared.mutations.lock().unwrap_or_else(|p| p.into_inner());
    mutations
        .log()
        .iter()
        .filter(|e| e.api == "ElectLeaders" && e.processed)
        .map(|e| {
            e.request["partitions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Partitions led per broker over the non-internal topics, every broker of the cluster counted
/// (a broker leading nothing shows as 0).
async fn leaders_per_broker(customer: &Customer) -> Result<BTreeMap<i32, usize>> {
    let metadata = customer.kafka_admin()?.metadata().await?;
    let mut led: BTreeMap<i32, usize> = metadata.brokers.iter().map(|b| (b.id, 0)).collect();
    for topic in metadata.topics.iter().filter(|t| !t.internal) {
        for partition in &topic.partitions {
            let leader = partition
                .leader
                .with_context(|| format!("{}-{}: no leader", topic.name, partition.partition))?;
            ensure!(
                partition.replicas.first() == Some(&leader),
                "{}-{} is led by {leader}, not its preferred replica {:?}",
                topic.name,
                partition.partition,
                partition.replicas
            );
            *led.entry(leader).or_default() += 1;
        }
    }
    Ok(led)
}

/// Every broker leads, the new ones included, within one of each other.
async fn assert_leaders_spread(customer: &Customer) -> Result<BTreeMap<i32, usize>> {
    let led = leaders_per_broker(customer).await?;
    ensure!(led.len() == BROKERS, "{led:?}");
    let (least, most) = (led.values().min().copied(), led.values().max().copied());
    ensure!(
        most.zip(least).is_some_and(|(m, l)| m - l <= 1),
        "leaders per broker: {led:?}"
    );
    ensure!(
        NEW_BROKERS.clone().all(|b| led.get(&b).is_some_and(|n| *n > 0)),
        "{led:?}"
    );
    Ok(led)
}

/// The partitions the step recorded to elect, as `topic-partition`.
fn recorded_targets(record: &Value) -> Result<BTreeSet<String>> {
    Ok(record["handles"]["partitions"]
        .as_array()
        .context("the partitions to elect")?
        .iter()
        .map(|p| format!("{}-{}", p[0].as_str().unwrap_or("?"), p[1]))
        .collect())
}

/// The reassignment's recorded moves, as `topic-partition`.
fn moved_partitions(state: &Value) -> Result<BTreeSet<String>> {
    let moves = step(state, "kafka_reassignment").context("kafka_reassignment step")?;
    Ok(moves["handles"]["moves"]
        .as_array()
        .context("the recorded moves")?
        .iter()
        .map(|m| format!("{}-{}", m["topic"].as_str().unwrap_or("?"), m["partition"]))
        .collect())
}

/// The check named `name` of the checklist the apply's validate step recorded.
fn recorded_check<'a>(state: &'a Value, name: &str) -> Result<&'a Value> {
    step(state, "validate").context("validate step")?["observed"]["checks"]["checks"]
        .as_array()
        .context("the recorded checklist")?
        .iter()
        .find(|c| c["name"] == name)
        .with_context(|| format!("no {name} check recorded"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_elects_the_moved_partitions_leaders_in_batches_and_a_second_apply_elects_none() -> Result<()> {
    let customer = leaders_customer("leaders").await?;
    succeeded(customer.apply(9)?, "the apply")?;
    customer.assert_kafka_balanced(PARTITIONS, BROKERS).await?;
    let led = assert_leaders_spread(&customer).await?;

    let state = customer.state()?;
    let moved = moved_partitions(&state)?;
    ensure!(
        moved.len() > BATCH,
        "{} partitions moved: too few for two batches",
        moved.len()
    );
    let record = step(&state, "kafka_leaders").context("kafka_leaders step")?;
    assert_eq!(record["status"], "done", "{record}");
    let targets = recorded_targets(record)?;
    // Nothing else was led by another replica than its first: the targets are the moves.
    assert_eq!(targets, moved, "{record}");
    let requests = elections_carried_out(&customer.kafka);
    assert_eq!(requests.len(), targets.len().div_ceil(BATCH), "{requests:?}");
    ensure!(
        requests.iter().all(|r| !r.is_empty() && r.len() <= BATCH),
        "{requests:?}"
    );
    let named: Vec<&String> = requests.iter().flatten().collect();
    let distinct: BTreeSet<String> = named.iter().map(|p| p.to_string()).collect();
    assert_eq!(named.len(), distinct.len(), "a partition named twice: {requests:?}");
    assert_eq!(distinct, targets, "the elected partitions are the recorded ones");
    let recorded = record["handles"]["elections"].as_array().context("elections")?;
    assert_eq!(recorded.len(), requests.len());
    ensure!(
        recorded
            .iter()
            .all(|e| e["outcome"].is_object() && e["outcome"]["read_back"].is_null()),
        "{recorded:?}"
    );
    // The rig's topics have one replica: a moved partition's leader leaves with it and Kafka
    // makes the new replica leader when the move completes, so every election here answers
    // ELECTION_NOT_NEEDED (the elected path is the fake's conformance test and elections.rs).
    let elected = record["observed"]["elected"].as_u64().context("elected")?;
    assert_eq!(
        elected + record["observed"]["not_needed"].as_u64().context("not_needed")?,
        targets.len() as u64
    );
    let check = recorded_check(&state, "kafka-leaders")?;
    assert_eq!(check["status"], "GREEN", "{check}");
    eprintln!(
        "leaders: {} partitions moved, {} in {} ElectLeaders request(s) ({elected} elected, the rest led already); led per broker {led:?}",
        moved.len(),
        targets.len(),
        requests.len()
    );

    // Again: nothing moves, nothing is elected.
    succeeded(customer.apply(9)?, "the second apply")?;
    assert_eq!(
        elections_carried_out(&customer.kafka).len(),
        requests.len(),
        "the second apply elected"
    );
    assert_leaders_spread(&customer).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_an_election_was_carried_out_the_resume_reads_the_leaders_and_sends_it_no_more() -> Result<()> {
    let mut customer = leaders_customer("leaders-kill").await?;
    // The client gives up on an unanswered request after 2 s.
    customer.edit_config("timeout_seconds: 10", "timeout_seconds: 2")?;
    // Every ElectLeaders is carried out, then answered REQUEST_TIMED_OUT: the election happened,
    // its answer never arrives.
    let fault = customer
        .kafka
        .fake
        .faults()
        .add(FaultSpec {
            api: Some("ElectLeaders".into()),
            broker: None,
            error: Some("REQUEST_TIMED_OUT".into()),
            latency_ms: 0,
            drop_connection: false,
            apply: true,
            count: None,
        })
        .map_err(anyhow::Error::msg)?;
    let mut apply = LiveApply::start(&customer, 9, "kill.log")?;
    // The step recorded its first request, sent it, got no answer and waits to try again.
    apply.retrying("kafka_leaders").await?;
    apply.kill_9()?;
    customer.kafka.fake.faults().remove(fault);

    let state = customer.state()?;
    let record = step(&state, "kafka_leaders").context("kafka_leaders step")?;
    let recorded = record["handles"]["elections"].as_array().context("elections")?;
    assert_eq!(recorded.len(), 1, "{record}");
    ensure!(recorded[0]["outcome"].is_null(), "the answer was recorded: {record}");
    let carried_out = elections_carried_out(&customer.kafka);
    ensure!(!carried_out.is_empty(), "no election was carried out before the kill");

    let first_batch: BTreeSet<&String> = carried_out.iter().flatten().collect();
    ensure!(first_batch.len() <= BATCH, "{carried_out:?}");

    succeeded(customer.apply(9)?, "the resumed apply")?;
    let all = elections_carried_out(&customer.kafka);
    let after_resume = &all[carried_out.len()..];
    ensure!(
        after_resume.iter().flatten().all(|p| !first_batch.contains(p)),
        "the resume elected the first batch again: {after_resume:?}"
    );
    let state = customer.state()?;
    let record = step(&state, "kafka_leaders").context("kafka_leaders step")?;
    assert_eq!(record["status"], "done", "{record}");
    let elections = record["handles"]["elections"].as_array().context("elections")?;
    assert_eq!(elections[0]["outcome"]["read_back"], true, "{record}");
    ensure!(
        elections[0]["outcome"]["failed"].as_array().is_none_or(Vec::is_empty),
        "{record}"
    );
    // The first request held the first batch only: the others are sent after the resume, once.
    let batches = recorded_targets(record)?.len().div_ceil(BATCH);
    assert_eq!(elections.len(), batches, "{record}");
    assert_eq!(after_resume.len(), batches - 1, "{after_resume:?}");
    assert_leaders_spread(&customer).await?;
    customer.assert_kafka_balanced(PARTITIONS, BROKERS).await?;
    Ok(())
}

/// With two replicas per partition, as production topics have, a move often leaves the leader on a
/// broker that keeps a replica but is no longer its partition's first, and the balancer reorders
/// replicas to spread the preferred leaders over the new brokers too: those leaderships move only
/// by an election (Kafka's own rebalance waits 5 minutes, or never runs). Here the election
/// really changes leaders, the new brokers lead their share, and a second apply elects nothing.
#[tokio::test(flavor = "multi_thread")]
async fn with_two_replicas_the_election_moves_the_leaderships_the_moves_left_behind() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        kafka_extra: "reassignment: {max_moves_per_broker: 1, throttle_bytes_per_second: 100000000, election_batch: 4}",
        kafka_replication_factor: 2,
        ..CustomerSpec::moving_replicas("leaders-rf2", 10.0)
    })
    .await?;
    succeeded(customer.apply(9)?, "the apply")?;
    customer.assert_kafka_balanced(PARTITIONS, BROKERS).await?;
    let led = assert_leaders_spread(&customer).await?;

    let state = customer.state()?;
    let record = step(&state, "kafka_leaders").context("kafka_leaders step")?;
    assert_eq!(record["status"], "done", "{record}");
    let targets = recorded_targets(record)?;
    let elected = record["observed"]["elected"].as_u64().context("elected")?;
    ensure!(elected > 0, "no leadership changed hands: {record}");
    let requests = elections_carried_out(&customer.kafka);
    assert_eq!(requests.len(), targets.len().div_ceil(BATCH), "{requests:?}");
    let check = recorded_check(&state, "kafka-leaders")?;
    assert_eq!(check["status"], "GREEN", "{check}");
    eprintln!(
        "leaders (2 replicas): {} partitions in {} ElectLeaders request(s), {elected} elected; led per broker {led:?}",
        targets.len(),
        requests.len()
    );

    succeeded(customer.apply(9)?, "the second apply")?;
    assert_eq!(
        elections_carried_out(&customer.kafka).len(),
        requests.len(),
        "the second apply elected"
    );
    Ok(())
}
