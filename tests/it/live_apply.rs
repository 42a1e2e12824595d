//! `kfscale apply` end to end on the rig: EKS (moto) grows, the values file is rewritten, Helm
//! upgrades at the installed version, the rollout is checked for an even spread, Kafka's topics grow
//! onto the new brokers, and the values file and state are committed and pushed to the customer
//! remote. A second apply changes nothing.
use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::common::customer::{CustomerSpec, customer_cluster, git_output, step};

#[tokio::test(flavor = "multi_thread")]
async fn apply_grows_the_cluster_records_it_and_is_idempotent() -> Result<()> {
    // Replicas copy on a model clock 50 times faster than the wall clock, two moves per broker at
    // once at 50 MB/s per broker.
    let customer = customer_cluster(CustomerSpec {
        kafka_speed: 50.0,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;
    // The rig spreads a node group over three zones: +6 keeps the zones even.
    let started = std::time::Instant::now();
    let output = customer.kfscale(&["apply", "--config", config, "--nodes", "12", "--auto-approve"]);
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "apply failed:\n{stderr}\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for step in [
        "node_pool",
        "values_file",
        "hook_jobs",
        "helm_upgrade",
        "rollout",
        "validate",
        "record",
    ] {
        ensure!(stderr.contains(&format!("• {step}")), "no {step} in:\n{stderr}");
    }

    // The cloud, the cluster and the release.
    assert_eq!(customer.eks_desired_size().await?, Some(12));
    let kube = kfscale_kube::Kube::connect(
        Some(Path::new(customer.rig.get("KUBECONFIG")?)),
        None,
        &customer.cluster.id,
    )
    .await?;
    let release = kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!(
        (
            release.revision,
            release.status.as_str(),
            release.chart_version.as_str()
        ),
        (2, "deployed", "3.4.0")
    );
    let workloads = kube.workloads().await?;
    let broker = workloads
        .iter()
        .find(|w| w.name == "kafka-kraft-broker")
        .context("broker")?;
    assert_eq!((broker.replicas, broker.ready_replicas), (12, 12));

    // Kafka: every topic grown once, each planned move sent once, balanced, no throttle left.
    customer.assert_kafka_balanced(24, 12).await?;
    let counts = customer.kafka.fake.mutation_counts();
    assert_eq!(counts.get("CreatePartitions"), Some(&1), "{counts:?}");
    let sent = customer.kafka.reassignments_sent();
    // 6 -> 12 brokers while partitions double: the new partitions fill the new brokers, nothing
    // needs to move (the plan's lower bound is 0); the torture test covers moves.
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");

    // Recorded: the commit on the customer remote carries the new values and the state.
    let log = git_output(&customer.remote, &["log", "-1", "--format=%s%n%b", "main"])?;
    assert!(log.starts_with("kfscale: scale EKS node group"), "{log}");
    assert!(log.contains("from 6 to 12 nodes"), "{log}");
    let values = git_output(&customer.remote, &["show", "main:values.yaml"])?;
    assert!(values.contains("numNodes: 12"), "{values}");
    let files = git_output(&customer.remote, &["ls-tree", "-r", "--name-only", "main"])?;
    assert!(
        files.contains(".kfscale/state.json") && files.contains(".kfscale/history/apply-"),
        "{files}"
    );
    let state = customer.state()?;
    assert_eq!(state["run"]["status"], "succeeded");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("state/state.schema.json"),
    )?)?;
    let validator = jsonschema::validator_for(&schema)?;
    let errors: Vec<String> = validator.iter_errors(&state).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "the state file does not follow state/state.schema.json: {errors:?}"
    );
    assert!(
        state["run"]["steps"]
            .as_array()
            .context("steps")?
            .iter()
            .all(|s| s["status"] == "done" || s["status"] == "skipped")
    );
    // Where the time went: waits on the systems (node boot, rollout, copies) against the whole
    // command, planning included (printed for the record; `--no-capture` shows it).
    let waited_ms: u64 = state["run"]["steps"]
        .as_array()
        .context("steps")?
        .iter()
        .filter_map(|s| s["observed"]["waited_ms"].as_u64())
        .sum();
    let per_step: Vec<String> = state["run"]["steps"]
        .as_array()
        .context("steps")?
        .iter()
        .map(|s| {
            format!(
                "{} waited {} ms",
                s["name"].as_str().unwrap_or("?"),
                s["observed"]["waited_ms"]
            )
        })
        .collect();
    eprintln!(
        "apply 6 -> 12: {} ms wall clock, {waited_ms} ms waiting on the systems, {} ms kfscale and helm ({})",
        wall.as_millis(),
        wall.as_millis() as u64 - waited_ms.min(wall.as_millis() as u64),
        per_step.join(", ")
    );
    assert!(
        waited_ms > 0 && u128::from(waited_ms) < wall.as_millis(),
        "{per_step:?}"
    );
    let moves = step(&state, "kafka_reassignment").context("kafka_reassignment step")?;
    let observed = &moves["observed"];
    assert_eq!(observed["replicas_moved"], observed["lower_bound"], "{observed}");
    let planned_moves = moves["handles"]["moves"].as_array().map_or(0, Vec::len);
    assert_eq!(sent.len(), planned_moves, "every recorded move sent once");

    // Again: nothing to do, nothing done.
    let again = customer.kfscale(&["apply", "--config", config, "--nodes", "12", "--auto-approve"]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(stdout.contains("No changes."), "{stdout}");
    let release = kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!(release.revision, 2, "no second upgrade");
    Ok(())
}
