//! Signals: one apply 6 -> 9 nodes (single zone, replicas to move, Pinot observed) stopped with
//! SIGINT or SIGTERM (in turn) once in every step that acts, right after the step shows progress,
//! and resumed each time by running `kfscale apply` again. Each stop must end the process with
//! exit 130 and "interrupted" in a valid state file naming the step (never "failed"), leave the
//! lock free for the resume, and the apply must finish with every mutation sent once.
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::common::customer::{Customer, CustomerSpec, customer_cluster};
use crate::common::pinot::{self, pinot_for};

/// The steps a signal is aimed at, in order; each gets one.
const TARGETS: [&str; 7] = [
    "node_pool",
    "helm_upgrade",
    "rollout",
    "kafka_partitions",
    "kafka_reassignment",
    "pinot_rebalance",
    "validate",
];

struct Stopped {
    aimed_at: &'static str,
    signal: &'static str,
    /// The step the state says the apply stopped in.
    stopped_in: String,
    exit_ms: u128,
}

/// Runs `apply --json` until an event of `step` shows up (its start or progress), sends `signal`,
/// and returns the exit status and how long the process took to exit after the signal. None when
/// the apply finished before the step was reached.
fn run_until(customer: &Customer, step: &str, signal: libc::c_int) -> Result<Option<(std::process::ExitStatus, u128)>> {
    let (mut child, events) = customer.spawn_json(&customer.apply_args("9")?, &format!("signal-{step}.log"))?;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = child.try_wait()? {
            return if status.success() {
                Ok(None)
            } else {
                bail!("apply ended by itself: {status}")
            };
        }
        ensure!(Instant::now() < deadline, "step {step} never reached");
        let Ok(event) = events.recv_timeout(Duration::from_millis(20)) else {
            continue;
        };
        let kind = event["event"].as_str().unwrap_or("");
        if event["step"] == step && matches!(kind, "waiting" | "info" | "step_started") {
            break;
        }
    }
    let sent = Instant::now();
    // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
    let result = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    ensure!(result == 0, "kill failed");
    let exit_deadline = sent + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some((status, sent.elapsed().as_millis())));
        }
        ensure!(Instant::now() < exit_deadline, "no exit within 60 s of the signal");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_in_every_step_stop_cleanly_and_the_apply_resumes() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::moving_replicas("signals", 10.0)).await?;
    let pinot = pinot_for(&customer.rig, &pinot::seed(&customer.cluster.id, None)?, 5.0).await?;
    customer.configure(&pinot.config_section(""))?;

    let mut stops: Vec<Stopped> = Vec::new();
    for (index, step) in TARGETS.iter().enumerate() {
        let (signal, name) = if index % 2 == 0 {
            (libc::SIGINT, "SIGINT")
        } else {
            (libc::SIGTERM, "SIGTERM")
        };
        // A step already finished in an earlier run cannot be hit again.
        let state = customer.state().ok();
        let finished = state
            .as_ref()
            .and_then(|s| s["run"]["steps"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .any(|s| s["name"] == *step && (s["status"] == "done" || s["status"] == "skipped"));
        if finished {
            continue;
        }
        let Some((status, exit_ms)) = run_until(&customer, step, signal)? else {
            break;
        };
        ensure!(status.code() == Some(130), "{name} in {step}: exit {status}, not 130");
        let state = customer.state().context("the state file after a signal")?;
        ensure!(
            state["run"]["status"] == "interrupted",
            "{name} in {step}: {}",
            state["run"]["status"]
        );
        let steps = state["run"]["steps"].as_array().context("steps")?;
        ensure!(
            steps.iter().all(|s| s["status"] != "failed"),
            "{name} in {step} failed a step: {steps:?}"
        );
        let stopped_in = steps
            .iter()
            .find(|s| s["status"] != "done" && s["status"] != "skipped")
            .and_then(|s| s["name"].as_str())
            .unwrap_or("record")
            .to_string();
        stops.push(Stopped {
            aimed_at: step,
            signal: name,
            stopped_in,
            exit_ms,
        });
    }
    let report: Vec<String> = stops
        .iter()
        .map(|s| {
            format!(
                "{} aimed at {}: stopped in {} after {} ms",
                s.signal, s.aimed_at, s.stopped_in, s.exit_ms
            )
        })
        .collect();
    eprintln!("{}", report.join("\n"));
    ensure!(stops.len() >= 5, "only {} stops: {report:?}", stops.len());
    let kinds: BTreeSet<&str> = stops.iter().map(|s| s.signal).collect();
    ensure!(kinds.len() == 2, "{report:?}");

    // The resume finishes it, and nothing was sent twice.
    let done = customer.apply(9)?;
    ensure!(
        done.status.success(),
        "the resumed apply failed:\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let state = customer.state()?;
    assert_eq!(state["run"]["status"], "succeeded");
    let counts = customer.kafka.fake.mutation_counts();
    assert_eq!(counts.get("CreatePartitions"), Some(&1), "{counts:?}");
    let sent = customer.kafka.reassignments_sent();
    assert!(!sent.is_empty() && sent.values().all(|n| *n == 1), "{sent:?}");
    assert_eq!(pinot.mutations("rebalance"), 2, "{:?}", pinot.fake.mutations());
    Ok(())
}
