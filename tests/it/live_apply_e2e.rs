//! The whole scale-out end to end on the rig, every system observed: EKS (moto) 6 -> 9 nodes in one
//! zone, Helm, Kafka (fake, partitions 12 -> 15, so replicas must move) and Pinot (fake, the
//! profile's two tables rebalanced). Shown: every step done; Kafka balanced with moves equal to
//! the planned lower bound and no throttle left; every Pinot table GOOD; values and state committed
//! in the bare customer repo; `kfscale status` during the moves shows an ETA from the throttle;
//! and where the time went: the apply's wall clock against the inherent waits on the fakes' model
//! clocks (node boot, data copy at the throttle rate, Pinot job time), the rest being kfscale's.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use kfscale::engine::report::timing::Timing;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, git_output, step, text};
use crate::common::pinot::{PinotForCluster, TABLES, pinot_for, seed};

/// Model seconds per wall second of the Kafka and Pinot fakes.
const KAFKA_SPEED: f64 = 50.0;
const PINOT_SPEED: f64 = 20.0;
/// The rig's default node boot delay (tests/rig: KFSCALE_RIG_NODE_BOOT_DELAY_MS).
const DEFAULT_BOOT_MS: u64 = 1000;

#[tokio::test(flavor = "multi_thread")]
async fn apply_6_to_9_on_eks_balances_kafka_and_pinot_and_records_it() -> Result<()> {
    // Two moves per broker at once at 50 MB/s per broker; 2 GiB partitions: a few waves of copies.
    let customer = customer_cluster(CustomerSpec {
        prefix: "e2e",
        nodes: 6,
        zones: Some(&["us-east-1a"]),
        kafka_speed: KAFKA_SPEED,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        profile_extra: "kafka: {partition_factor: 1.25}",
        ..CustomerSpec::default()
    })
    .await?;
    let pinot = pinot_for(&customer.rig, &seed(&customer.cluster.id, None)?, PINOT_SPEED).await?;
    customer.configure(&pinot.config_section(""))?;

    let started = Instant::now();
    let (events, status_during_moves) = apply_watching_status(&customer)?;
    let wall = started.elapsed();

    // Every step ran and finished.
    let state = customer.state()?;
    assert_eq!(state["run"]["status"], "succeeded", "{state}");
    let steps = state["run"]["steps"].as_array().context("steps")?;
    for record in steps {
        ensure!(
            record["status"] == "done" || record["status"] == "skipped",
            "step not finished: {record}"
        );
    }
    for name in [
        "node_pool",
        "helm_upgrade",
        "rollout",
        "kafka_partitions",
        "kafka_reassignment",
        "kafka_leaders",
        "pinot_rebalance",
        "validate",
    ] {
        assert_eq!(step(&state, name).context("step")?["status"], "done", "{name} must act");
    }

    // EKS and Kafka: 9 nodes, 9 brokers evenly loaded, each planned move sent once, no leftovers.
    assert_eq!(customer.eks_desired_size().await?, Some(9));
    customer.assert_kafka_balanced(15, 9).await?;
    let reassignment = step(&state, "kafka_reassignment").context("step")?;
    let observed = &reassignment["observed"];
    assert_eq!(observed["replicas_moved"], observed["lower_bound"], "{observed}");
    let planned = reassignment["handles"]["moves"].as_array().map_or(0, Vec::len);
    let sent = customer.kafka.reassignments_sent();
    ensure!(planned > 0, "this apply must move replicas: {reassignment}");
    assert_eq!(sent.len(), planned, "{sent:?}");
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");
    let throttles = throttle_configs_left(&customer);
    assert!(throttles.is_empty(), "throttles left behind: {throttles:?}");

    // Pinot: one POST per planned table, every table's segments GOOD.
    assert_eq!(pinot.mutations("rebalance"), 2, "{:?}", pinot.fake.mutations());
    for table in TABLES {
        let (_good, not_good, _servers) = pinot.table(table).await?;
        assert_eq!(not_good, 0, "{table} has segments not GOOD");
    }

    // Recorded in the bare customer repo, with a message naming the change.
    let log = git_output(&customer.remote, &["log", "-1", "--format=%s%n%b", "main"])?;
    assert!(log.contains("from 6 to 9 nodes"), "{log}");
    assert!(
        log.contains(&format!("{} replica(s) moved", observed["replicas_moved"])),
        "{log}"
    );
    assert!(
        log.contains("rebalanced kf_metrics_REALTIME, kf_metrics_rollup_REALTIME"),
        "{log}"
    );
    let values = git_output(&customer.remote, &["show", "main:values.yaml"])?;
    assert!(values.contains("numNodes: 9"), "{values}");
    let files = git_output(&customer.remote, &["ls-tree", "-r", "--name-only", "main"])?;
    assert!(files.contains(".kfscale/state.json"), "{files}");
    assert!(
        !files.contains("progress.json"),
        "progress is not part of the record: {files}"
    );

    // `kfscale status` while the replicas moved: progress counted in bytes, an ETA from the throttle.
    let progress = &status_during_moves["progress"];
    assert_eq!(progress["step"], "kafka_reassignment", "{status_during_moves}");
    assert_eq!(progress["unit"], "bytes", "{progress}");
    ensure!(
        progress["total"].as_f64().is_some_and(|t| t > 0.0) && progress["eta_seconds"].as_u64().is_some(),
        "no figures or ETA: {progress}"
    );
    assert!(
        progress["eta_from"].as_str().is_some_and(|s| s.contains("throttle")),
        "{progress}"
    );

    // The copy's `waiting` events carry its figures: bytes done and total, and the throttle's ETA.
    let copy: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "waiting" && e["step"] == "kafka_reassignment")
        .collect();
    ensure!(
        copy.iter().all(|e| e["unit"] == "bytes"
            && e["total"].as_f64().is_some_and(|t| t > 0.0)
            && e["done"].as_f64().is_some()
            && e["eta_seconds"].as_u64().is_some()),
        "a waiting event of the copy without its figures: {copy:?}"
    );
    ensure!(
        copy.iter().any(|e| e["per_second"].as_f64().is_some_and(|r| r > 0.0)),
        "no waiting event of the copy with the rate seen: {copy:?}"
    );

    // Where the time went.
    let timing: Timing = serde_json::from_value(
        events
            .iter()
            .find(|e| e["event"] == "apply_finished")
            .map(|e| e["timing"].clone())
            .context("no apply_finished event")?,
    )?;
    let by_step: BTreeMap<&str, (u64, u64)> = timing
        .steps
        .iter()
        .map(|s| (s.step.as_str(), (s.took_ms, s.waited_ms)))
        .collect();
    let boot_ms = customer
        .rig
        .get("KFSCALE_RIG_NODE_BOOT_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_BOOT_MS);
    let copy_ms = (kafka_copy_model_ms(&customer) as f64 / KAFKA_SPEED) as u64;
    let pinot_ms = (pinot_job_model_s(&pinot).await? as f64 * 1000.0 / PINOT_SPEED) as u64;
    let inherent = boot_ms + copy_ms + pinot_ms;
    let wall_ms = wall.as_millis() as u64;
    eprintln!(
        "e2e 6 -> 9 on EKS: {wall_ms} ms wall clock (apply's own count {} ms); inherent waits on the model clocks {inherent} ms \
         (node boot {boot_ms}, Kafka copy at the throttle {copy_ms}, Pinot jobs {pinot_ms}); kfscale waited {} ms on the systems; \
         beyond the inherent waits: {} ms (planning {:?} ms, helm {} ms, kfscale's own {} ms, record {:?} ms); per step (took, waited): {by_step:?}",
        timing.total_ms(),
        timing.waited_ms(),
        wall_ms.saturating_sub(inherent),
        timing.planning_ms,
        timing.external_ms(),
        timing.own_ms(),
        timing.record_ms,
    );
    // The step cannot end before the model finished the copies (the step's waits are its pauses
    // between polls; under load the polls themselves take a share, so the whole step is compared).
    let (kafka_took, kafka_waited) = by_step.get("kafka_reassignment").copied().unwrap_or_default();
    ensure!(
        copy_ms > 0 && kafka_took + 100 >= copy_ms && kafka_took >= kafka_waited,
        "Kafka copy {copy_ms} ms on the model clock, step waited {kafka_waited} ms of {kafka_took} ms"
    );
    ensure!(timing.total_ms() <= wall_ms, "{timing:?}");

    // Nothing left to do.
    let again = customer.kfscale(&[
        "plan",
        "--config",
        customer.config_arg()?,
        "--nodes",
        "9",
        "--detailed-exitcode",
    ]);
    let (stdout, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{stdout}\n{stderr}");
    Ok(())
}

/// Runs `apply --nodes 9 --json`, and the first time the Kafka moves report progress, takes
/// `kfscale status --json` from the side. Returns the apply's events and that status.
fn apply_watching_status(customer: &Customer) -> Result<(Vec<serde_json::Value>, serde_json::Value)> {
    let config = customer.config_arg()?;
    let (mut child, receiver) = customer.spawn_json(
        &["apply", "--config", config, "--nodes", "9", "--auto-approve"],
        "apply.log",
    )?;
    let log = customer.config.with_file_name("apply.log");
    let mut events = Vec::new();
    let mut status = None;
    // The channel closes when the apply's stdout does.
    while let Ok(event) = receiver.recv_timeout(Duration::from_secs(600)) {
        if status.is_none() && event["event"] == "waiting" && event["step"] == "kafka_reassignment" {
            let output = customer.kfscale(&["status", "--config", config, "--json"]);
            let (stdout, stderr) = text(&output);
            ensure!(output.status.success(), "status failed: {stderr}");
            let value: serde_json::Value = serde_json::from_str(&stdout)?;
            if value["progress"]["step"] == "kafka_reassignment" {
                status = Some(value);
            }
        }
        events.push(event);
    }
    let exit = child.wait()?;
    if !exit.success() {
        bail!("apply failed ({exit}):\n{}", std::fs::read_to_string(&log)?);
    }
    Ok((events, status.context("no status taken while the Kafka moves ran")?))
}

/// Model milliseconds during which at least one partition copy ran: from each move's
/// AlterPartitionReassignments to its "reassignment completed" event, intervals merged.
fn kafka_copy_model_ms(customer: &Customer) -> u64 {
    let shared = customer.kafka.fake.shared();
    let mut intervals: Vec<(u64, u64)> = Vec::new();
    let mut started: BTreeMap<String, u64> = BTreeMap::new();
    {
        let mutations = shared.mutations.lock().unwrap_or_else(|p| p.into_inner());
        for entry in mutations
            .log()
            .iter()
            .filter(|e| e.api == "AlterPartitionReassignments" && e.processed)
        {
            for key in entry.request["partitions"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys())
            {
                started.entry(key.clone()).or_insert(entry.model_ms);
            }
        }
    }
    customer.kafka.fake.with_cluster(|cluster| {
        for event in &cluster.events {
            if let Some((key, _)) = event.what.split_once(": reassignment completed")
                && let Some(start) = started.get(key)
            {
                intervals.push((*start, event.at_ms));
            }
        }
    });
    intervals.sort();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (start, end) in intervals {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(0, |(s, e)| e - s)
}

/// Model seconds the planned tables' rebalance jobs ran (one after the other), as the controller
/// reports them (`timeToFinishInSeconds`).
async fn pinot_job_model_s(pinot: &PinotForCluster) -> Result<u64> {
    let client = pinot.client().await?;
    let mut total = 0;
    let mut jobs = BTreeSet::new();
    for table in ["kf_metrics", "kf_metrics_rollup"] {
        for job in client.table_jobs(table, &["TABLE_REBALANCE"]).await? {
            jobs.insert(job.job_id);
        }
    }
    for job in jobs {
        let status = client.rebalance_status(&job).await?;
        total += status.raw["tableRebalanceProgressStats"]["timeToFinishInSeconds"]
            .as_u64()
            .unwrap_or(0);
    }
    Ok(total)
}

/// Broker and topic configs that still set a replication throttle (`entity: key`).
fn throttle_configs_left(customer: &Customer) -> Vec<String> {
    customer.kafka.fake.with_cluster(|cluster| {
        let throttle = |key: &str| key.contains("replication.throttled");
        let mut left: Vec<String> = Vec::new();
        for (entity, configs) in cluster.configs.brokers.iter().chain(cluster.configs.topics.iter()) {
            left.extend(configs.keys().filter(|k| throttle(k)).map(|k| format!("{entity}: {k}")));
        }
        left
    })
}
