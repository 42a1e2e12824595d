//! Driving one apply of a fault-matrix cell: run `apply --json`, act when a step starts (arm a
//! fault, take a system away), and check the two outcomes the matrix requires: a retriable fault
//! is ridden out (the apply succeeds, the step counted its retries), a permanent one stops the
//! apply with its state written and a message naming the system, the call and the fix.
use std::process::{Child, ExitStatus};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::customer::Customer;

/// How long one apply of a cell may take before the test gives up on it.
const APPLY_DEADLINE: Duration = Duration::from_secs(300);

/// An apply in progress, its JSON events read as they come.
pub struct LiveApply {
    child: Child,
    events: Receiver<Value>,
    seen: Vec<Value>,
    log: std::path::PathBuf,
    started: Instant,
}

/// How an apply ended.
pub struct Ended {
    pub status: ExitStatus,
    pub stderr: String,
    pub events: Vec<Value>,
}

impl LiveApply {
    /// `apply --nodes NODES --auto-approve --json`; stderr goes to `log` beside kfscale.yaml.
    pub fn start(customer: &Customer, nodes: u32, log: &str) -> Result<LiveApply> {
        let nodes = nodes.to_string();
        let args = [
            "apply",
            "--config",
            customer.config_arg()?,
            "--nodes",
            &nodes,
            "--auto-approve",
        ];
        let (child, events) = customer.spawn_json(&args, log)?;
        Ok(LiveApply {
            child,
            events,
            seen: Vec::new(),
            log: customer.config.with_file_name(log),
            started: Instant::now(),
        })
    }

    /// Waits for the first event (from now on) that `wanted` accepts; fails if the apply ends first.
    pub async fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Result<Value> {
        loop {
            match self.events.try_recv() {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if wanted(&event) {
                        return Ok(event);
                    }
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    if let Some(status) = self.child.try_wait()? {
                        bail!("the apply ended ({status}) before {what}:\n{}", self.stderr());
                    }
                    ensure!(
                        self.started.elapsed() < APPLY_DEADLINE,
                        "no {what} within {APPLY_DEADLINE:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    let status = self.child.wait()?;
                    bail!("the apply ended ({status}) before {what}:\n{}", self.stderr());
                }
            }
        }
    }

    /// Waits until `step` starts.
    pub async fn step_started(&mut self, step: &str) -> Result<Value> {
        self.until(&format!("step {step} started"), |e| {
            e["event"] == "step_started" && e["step"] == step
        })
        .await
    }

    /// Waits until kfscale reports riding out a retriable error in `step`.
    pub async fn retrying(&mut self, step: &str) -> Result<Value> {
        self.until(&format!("a retry in step {step}"), |e| {
            e["event"] == "retrying" && e["step"] == step
        })
        .await
    }

    /// Waits for the apply to exit, keeping every event.
    pub async fn end(mut self) -> Result<Ended> {
        loop {
            while let Ok(event) = self.events.try_recv() {
                self.seen.push(event);
            }
            if let Some(status) = self.child.try_wait()? {
                // The reader thread ends with stdout: collect what is left.
                while let Ok(event) = self.events.recv_timeout(Duration::from_secs(5)) {
                    self.seen.push(event);
                }
                return Ok(Ended {
                    status,
                    stderr: self.stderr(),
                    events: self.seen,
                });
            }
            if self.started.elapsed() > APPLY_DEADLINE {
                let _ = self.child.kill();
                bail!("the apply did not end within {APPLY_DEADLINE:?}:\n{}", self.stderr());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Ended {
    /// The `retrying` events of `step`.
    pub fn retries_in(&self, step: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["event"] == "retrying" && e["step"] == step)
            .collect()
    }
}

/// The apply succeeded, and `step` rode out at least one retriable error whose text contains
/// `naming` (the system's name): in its events and in the state's `observed.retries`.
pub fn assert_ridden_out(customer: &Customer, ended: &Ended, step: &str, naming: &str) -> Result<()> {
    ensure!(
        ended.status.success(),
        "the apply failed ({}):\n{}",
        ended.status,
        ended.stderr
    );
    let retries = ended.retries_in(step);
    ensure!(
        retries
            .iter()
            .any(|e| e["error"].as_str().unwrap_or("").contains(naming)),
        "no retry naming {naming:?} in step {step}: {retries:?}\n{}",
        ended.stderr
    );
    let record = customer.step_record(step)?;
    let counted = record["observed"]["retries"].as_u64().unwrap_or(0);
    ensure!(counted >= 1, "step {step} counted no retries: {record}");
    ensure!(record["status"] == "done", "step {step} is not done: {record}");
    Ok(())
}

/// The apply stopped in `step` with exit 1, its state written (run and step `failed`, the
/// message kept), and a message containing every one of `names` and a fix.
pub fn assert_stopped(customer: &Customer, ended: &Ended, step: &str, names: &[&str]) -> Result<()> {
    ensure!(
        ended.status.code() == Some(1),
        "expected exit 1, got {}:\n{}",
        ended.status,
        ended.stderr
    );
    for name in names.iter().chain(&["fix:"]) {
        ensure!(
            ended.stderr.contains(name),
            "stderr does not name {name:?}:\n{}",
            ended.stderr
        );
    }
    let state = customer.state()?;
    let run = &state["run"];
    ensure!(run["status"] == "failed", "run status: {}", run["status"]);
    let record = customer.step_record(step)?;
    ensure!(record["status"] == "failed", "step {step}: {record}");
    let message = record["message"].as_str().context("the failed step keeps no message")?;
    ensure!(
        message.contains(names[0]),
        "the state's message lacks {:?}: {message}",
        names[0]
    );
    Ok(())
}

/// Every step that had finished before the stop: name -> finished_at.
pub fn finished_steps(customer: &Customer) -> Result<Vec<(String, String)>> {
    let state = customer.state()?;
    let steps = state["run"]["steps"].as_array().context("no steps")?;
    Ok(steps
        .iter()
        .filter(|s| s["finished_at"].is_string())
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                s["finished_at"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// A re-run after a permanent fault was removed resumes: it succeeds, and the steps finished
/// before the stop were not run again (their records are unchanged).
pub async fn assert_resumes(customer: &Customer, nodes: u32, before: &[(String, String)]) -> Result<Ended> {
    let stopped_run = customer.state()?["run"]["id"].clone();
    let ended = LiveApply::start(customer, nodes, "resume.log")?.end().await?;
    ensure!(
        ended.status.success(),
        "the re-run failed ({}):\n{}",
        ended.status,
        ended.stderr
    );
    let finished_run = customer.state()?["run"]["id"].clone();
    ensure!(
        finished_run == stopped_run,
        "the re-run started apply {finished_run} instead of resuming {stopped_run}"
    );
    let after = finished_steps(customer)?;
    for (name, finished_at) in before {
        ensure!(
            after.contains(&(name.clone(), finished_at.clone())),
            "step {name} ran again on resume (was finished at {finished_at}): {after:?}"
        );
    }
    Ok(ended)
}
