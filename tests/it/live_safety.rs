//! Safety by construction (#14), on the rig:
//! - the lock is taken before the state is read and held through the approval prompt: a second
//!   operator is refused while the first one is still deciding;
//! - a lease's expiry is judged by the API server's clock: a live lease written by a machine whose
//!   clock is two hours behind is not taken over;
//! - a resumed run re-checks the world: a values file edited while the run was stopped, before its
//!   step started, refuses the resume, naming what changed;
//! - the replication throttle is kfscale's only: a failure with moves in flight leaves it on (and
//!   says so), the next apply finishes the moves and removes it, and a customer's own throttle
//!   configs come back as they were.
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use kfscale_fakes::kafka::control::faults::FaultSpec;
use kfscale_kafka::{ConfigChange, ConfigOp, ConfigResource, first_error};
use kfscale_kube::LeaseRecord;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, text};
use crate::common::fake_faults::run_watching;
use crate::common::leftovers::kube_of;
use crate::common::leftovers::throttles;

/// kfscale.yaml for another operator: the same cluster, another state directory.
fn other_operators_config(customer: &Customer) -> Result<String> {
    let other = customer.config.with_file_name("kfscale-bob.yaml");
    let text = std::fs::read_to_string(&customer.config)?;
    std::fs::write(
        &other,
        text.replace("state: {dir: customer/.kfscale}", "state: {dir: bob-state}"),
    )?;
    Ok(other.to_str().context("path")?.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lock_is_held_through_the_approval_prompt() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("prompt-lock")).await?;
    let config = customer.config_arg()?;
    let mut alice = customer
        .command(&["apply", "--config", config, "--nodes", "4"])
        .env("USER", "alice")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    // The prompt has no newline after it: read bytes until it shows.
    let mut stdout = alice.stdout.take().context("stdout")?;
    let (sender, shown) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
            if sender.send(seen.clone()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen = shown.recv_timeout(deadline.saturating_duration_since(Instant::now()))?;
        if seen.contains("Enter a value") {
            break;
        }
    }

    // Alice is still deciding; Bob, from his own machine and state directory, is refused.
    let bob_config = other_operators_config(&customer)?;
    let bob = customer
        .command(&["apply", "--config", &bob_config, "--nodes", "4", "--auto-approve"])
        .env("USER", "bob")
        .output()?;
    let (_, stderr) = text(&bob);
    assert_eq!(bob.status.code(), Some(1), "{stderr}");
    ensure!(
        stderr.contains("the cluster is locked by alice@") && stderr.contains("apply --nodes 4"),
        "{stderr}"
    );
    ensure!(
        !customer.config.with_file_name("bob-state").join("state.json").exists(),
        "the refused apply wrote a state"
    );

    // Alice says no: nothing changed and the lock is free again.
    alice.stdin.take().context("stdin")?.write_all(b"no\n")?;
    let status = alice.wait()?;
    assert_eq!(status.code(), Some(1));
    ensure!(
        kube_of(&customer)
            .await?
            .lease(kfscale::engine::lock::LEASE_NAME)
            .await?
            .is_none(),
        "the lease outlived the cancelled apply"
    );
    assert_eq!(customer.eks_desired_size().await?, Some(3));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_lease_from_a_machine_whose_clock_is_behind_is_not_taken_over() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("skewed-lock")).await?;
    // Written just now (the API server records when), by a machine whose clock says two hours ago.
    let two_hours_ago = kfscale::time::format_rfc3339(std::time::SystemTime::now() - Duration::from_secs(7200));
    let lease = LeaseRecord {
        name: kfscale::engine::lock::LEASE_NAME.into(),
        holder: Some("ops@laptop-with-a-slow-clock".into()),
        duration_seconds: Some(600),
        acquire_time: Some(two_hours_ago.clone()),
        renew_time: Some(two_hours_ago.clone()),
        annotations: BTreeMap::from([
            ("kfscale.io/lock-id".to_string(), "apply-00000000beef".to_string()),
            ("kfscale.io/operation".to_string(), "apply --nodes 4".to_string()),
            ("kfscale.io/since".to_string(), two_hours_ago),
        ]),
        resource_version: None,
        written_at: None,
    };
    kube_of(&customer).await?.create_lease(&lease).await?;
    let refused = customer.apply(4)?;
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    ensure!(
        stderr.contains("ops@laptop-with-a-slow-clock") && stderr.contains("apply-00000000beef"),
        "{stderr}"
    );
    assert_eq!(
        customer.eks_desired_size().await?,
        Some(3),
        "the node group was resized"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resume_refuses_a_world_that_changed_before_its_step_started() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("recheck")).await?;
    // Stopped in node_pool: values_file and everything after it have not started.
    let (mut child, events) = customer.spawn_json(&customer.apply_args("4")?, "recheck-first.log")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        ensure!(Instant::now() < deadline, "node_pool never started");
        let Ok(event) = events.recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        if event["step"] == "node_pool" {
            break;
        }
    }
    // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
    ensure!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) } == 0);
    assert_eq!(child.wait()?.code(), Some(130));
    let before = customer.state()?;
    assert_eq!(before["run"]["status"], "interrupted");

    // A colleague edits the values file meanwhile.
    let values = customer.repo.join("values.yaml");
    let original = std::fs::read_to_string(&values)?;
    std::fs::write(&values, format!("{original}# tuned by a colleague\n"))?;
    let refused = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    ensure!(
        stderr.contains("cannot resume as planned")
            && stderr.contains("values changed since the plan was made, before its first step (values_file) started")
            && stderr.contains("fix:"),
        "{stderr}"
    );
    let after = customer.state()?;
    assert_eq!(after["serial"], before["serial"], "the refused resume wrote the state");
    ensure!(std::fs::read_to_string(&values)?.ends_with("# tuned by a colleague\n"));

    // Undone, the resume goes on and finishes.
    std::fs::write(&values, original)?;
    let resumed = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    ensure!(resumed.status.success(), "{}", text(&resumed).1);
    assert_eq!(customer.state()?["run"]["status"], "succeeded");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_mid_reassignment_keeps_the_throttle_and_the_customers_comes_back() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::moving_replicas("own-throttle", 2.0)).await?;
    let admin = customer.kafka_admin()?;
    let metadata = admin.metadata().await?;
    let broker = metadata.brokers.first().context("brokers")?.id;
    let topic = metadata
        .topics
        .iter()
        .find(|t| !t.internal)
        .context("topics")?
        .name
        .clone();
    // The customer's own throttle configs, there before the apply.
    let theirs = vec![
        (
            ConfigResource::Broker(broker),
            "leader.replication.throttled.rate",
            "7000000".to_string(),
        ),
        (
            ConfigResource::Topic(topic.clone()),
            "follower.replication.throttled.replicas",
            format!("0:{broker}"),
        ),
    ];
    let changes: Vec<ConfigChange> = theirs
        .iter()
        .map(|(resource, name, value)| ConfigChange {
            resource: resource.clone(),
            name: name.to_string(),
            op: ConfigOp::Set(value.clone()),
        })
        .collect();
    first_error(admin.incremental_alter_configs(&changes).await?)?;

    // Once moves are copying, one listing of the reassignments is refused for good: the step fails
    // with moves in flight.
    let kafka = &customer.kafka;
    let mut armed = false;
    let failed = run_watching(
        customer.command(&customer.apply_args("9")?),
        &customer.config.with_file_name("own-throttle.log"),
        |_| {
            if !armed && !kafka.reassignments_sent().is_empty() {
                kafka
                    .fake
                    .faults()
                    .add(FaultSpec {
                        api: Some("ListPartitionReassignments".into()),
                        broker: None,
                        error: Some("CLUSTER_AUTHORIZATION_FAILED".into()),
                        latency_ms: 0,
                        drop_connection: false,
                        apply: false,
                        count: Some(1),
                    })
                    .map_err(anyhow::Error::msg)?;
                armed = true;
            }
            Ok(())
        },
    )?;
    ensure!(armed, "no move was ever sent:\n{}", failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{}", failed.stderr);
    ensure!(
        failed.stderr.contains("the replication throttle stays on") && failed.stderr.contains("still copying"),
        "{}",
        failed.stderr
    );
    let state = customer.state()?;
    let record = crate::common::customer::step(&state, "kafka_reassignment").context("step")?;
    assert_eq!(record["status"], "failed");
    let during = throttles(&admin).await?;
    let ours = record["handles"]["throttled"]["ours"].as_array().context("ours")?;
    ensure!(!ours.is_empty(), "{record}");
    for config in ours {
        let resource = match &config["target"] {
            t if t.get("broker").is_some() => ConfigResource::Broker(t["broker"].as_i64().context("id")? as i32),
            t => ConfigResource::Topic(t["topic"].as_str().context("topic")?.to_string()),
        };
        let name = config["name"].as_str().context("name")?.to_string();
        ensure!(
            during.get(&(resource.clone(), name.clone())).map(String::as_str) == config["value"].as_str(),
            "{resource:?} {name} lost its throttle while moves were in flight: {during:?}"
        );
    }

    // The next apply finishes the moves, then takes kfscale's throttle off and puts the customer's back.
    let resumed = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    ensure!(resumed.status.success(), "{}", text(&resumed).1);
    let after = throttles(&admin).await?;
    let expected: BTreeMap<(ConfigResource, String), String> = theirs
        .into_iter()
        .map(|(resource, name, value)| ((resource, name.to_string()), value))
        .collect();
    assert_eq!(after, expected, "only the customer's own throttle configs may remain");
    let sent = kafka.reassignments_sent();
    assert!(!sent.is_empty() && sent.values().all(|n| *n == 1), "{sent:?}");
    Ok(())
}
