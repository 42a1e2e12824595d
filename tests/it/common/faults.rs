//! The fault-matrix cells' common ground: an apply driven by its JSON events ([`LiveApply`]: act
//! when a step starts, arm a fault, take a system away; `fake_faults::run_watching` does the same
//! from a callback), how it ended ([`Ended`]), and the two outcomes the matrix requires: a
//! retriable fault is ridden out (the apply succeeds, the step counted its retries), a permanent
//! one stops the apply with its state written and a message naming the system, the call and the
//! fix, and a re-run resumes without repeating a finished step.
use std::process::{Child, ExitStatus};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::customer::{Customer, read_state, step};

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
    /// What kfscale told the operator: stderr, and under `--json` its error lines (which go to
    /// stdout) as the text a person would have read on stderr.
    pub stderr: String,
    pub events: Vec<Value>,
}

impl LiveApply {
    /// `apply --nodes NODES --auto-approve --json`; stderr goes to `log` beside kfscale.yaml.
    pub fn start(customer: &Customer, nodes: u32, log: &str) -> Result<LiveApply> {
        let (child, events) = customer.spawn_json(&customer.apply_args(&nodes.to_string())?, log)?;
        Ok(LiveApply {
            child,
            events,
            seen: Vec::new(),
            log: customer.config.with_file_name(log),
            started: Instant::now(),
        })
    }

    /// Runs an apply to NODES, calling `arm` once `step` starts; returns how the apply ended.
    pub async fn arming_at(customer: &Customer, nodes: u32, step: &str, arm: impl FnOnce()) -> Result<Ended> {
        let mut apply = LiveApply::start(customer, nodes, "apply.log")?;
        apply.step_started(step).await?;
        arm();
        apply.end().await
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

    /// Kills the apply with SIGKILL (kill -9: no handler runs, nothing is cleaned up) and reaps it.
    pub fn kill_9(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
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
                let stderr = self.stderr();
                return Ok(Ended::of_json_run(status, self.seen, stderr));
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
    /// A `--json` run: its diagnostic lines (`"type":"diagnostic"`) join stderr as
    /// `Error: <summary>` and the detail, so what it said reads the same as without `--json`.
    pub fn of_json_run(status: ExitStatus, events: Vec<Value>, mut stderr: String) -> Ended {
        for line in events.iter().filter(|e| e["type"] == "diagnostic") {
            let diagnostic = &line["diagnostic"];
            stderr.push_str(&format!(
                "\nError: {}\n{}\n",
                diagnostic["summary"].as_str().unwrap_or_default(),
                diagnostic["detail"].as_str().unwrap_or_default()
            ));
        }
        Ended { status, stderr, events }
    }

    /// The `retrying` events of `step`.
    pub fn retries_in(&self, step: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["event"] == "retrying" && e["step"] == step)
            .collect()
    }

    /// Fails with the apply's stderr unless it exited 0.
    pub fn ensure_succeeded(&self, what: &str) -> Result<()> {
        ensure!(
            self.status.success(),
            "{what} failed ({}):\n{}",
            self.status,
            self.stderr
        );
        Ok(())
    }
}

/// A `kfscale` run without `--json` (no events).
impl From<std::process::Output> for Ended {
    fn from(output: std::process::Output) -> Ended {
        Ended {
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            events: Vec::new(),
        }
    }
}

/// The retriable cell's bookkeeping: the run succeeded, and `step` rode out at least one
/// retriable error, counted in the state (`observed.retries`, returned) and shown as an event.
pub fn assert_retried_and_succeeded(repo: &Path, ended: &Ended, step_name: &str) -> Result<u64> {
    ended.ensure_succeeded("the apply under a retriable fault")?;
    let state = read_state(repo)?;
    let record = step(&state, step_name).with_context(|| format!("no step {step_name} in the state"))?;
    let retries = record["observed"]["retries"].as_u64().unwrap_or(0);
    ensure!(
        retries >= 1 && !ended.retries_in(step_name).is_empty(),
        "{step_name}: {retries} retries counted, {} retrying events:\n{}",
        ended.retries_in(step_name).len(),
        ended.stderr
    );
    ensure!(record["status"] == "done", "step {step_name} is not done: {record}");
    ensure!(state["run"]["status"] == "succeeded", "{}", state["run"]);
    Ok(retries)
}

/// As [`assert_retried_and_succeeded`], and a retry's error names `naming` (the system, the call).
pub fn assert_ridden_out(repo: &Path, ended: &Ended, step_name: &str, naming: &str) -> Result<u64> {
    let retries = assert_retried_and_succeeded(repo, ended, step_name)?;
    let events = ended.retries_in(step_name);
    ensure!(
        events
            .iter()
            .any(|e| e["error"].as_str().unwrap_or("").contains(naming)),
        "no retry naming {naming:?} in step {step_name}: {events:?}"
    );
    Ok(retries)
}

/// The permanent cell's first apply: exit 1, stderr names every one of `names` (the system, the
/// call) and a `fix:`, and the state shows the run and `step_name` failed, keeping the message.
/// Returns the records of the steps finished before it, which the resumed apply must leave alone.
pub fn assert_failed_in(repo: &Path, ended: &Ended, step_name: &str, names: &[&str]) -> Result<Vec<Value>> {
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
    let state = read_state(repo)?;
    ensure!(state["run"]["status"] == "failed", "run: {}", state["run"]);
    let record = step(&state, step_name).with_context(|| format!("no step {step_name}"))?;
    ensure!(record["status"] == "failed", "step {step_name}: {record}");
    let message = record["message"].as_str().context("the failed step keeps no message")?;
    ensure!(
        message.contains(names[0]),
        "the state's message lacks {:?}: {message}",
        names[0]
    );
    Ok(finished_records(&state, Some(step_name)))
}

/// The records of the steps that finished (done or skipped), before `until` when given.
pub fn finished_records(state: &Value, until: Option<&str>) -> Vec<Value> {
    state["run"]["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .take_while(|s| until.is_none_or(|name| s["name"] != name))
                .filter(|s| s["status"] == "done" || s["status"] == "skipped")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// After the re-run: it succeeded, and the steps finished before the stop were not run again
/// (their records are as the stopped run left them, so it is the same run, resumed).
pub fn assert_resumed_without_repeating(repo: &Path, resumed: &Ended, before: &[Value]) -> Result<()> {
    resumed.ensure_succeeded("the re-run")?;
    let state = read_state(repo)?;
    ensure!(state["run"]["status"] == "succeeded", "{}", state["run"]);
    for record in before {
        let name = record["name"].as_str().unwrap_or("?");
        let now = step(&state, name).with_context(|| format!("no step {name}"))?;
        ensure!(
            now == record,
            "step {name} was run again:\nbefore {record}\nafter  {now}"
        );
    }
    Ok(())
}
