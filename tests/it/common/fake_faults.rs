//! Shared by the fault-matrix cells of Kafka, Pinot and GKE (issue #7): running an apply while
//! watching its JSON events (to arm a fault when a step starts and clear it once kfscale retried),
//! and reading what the state file says about retries, failures and the steps finished before.
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::customer::{read_state, step};

/// How long one apply of a cell may take before the test gives up on it.
const APPLY_DEADLINE: Duration = Duration::from_secs(600);
/// How often the watcher gets a turn when no event arrives (to poll a fake's counters).
const TICK: Duration = Duration::from_millis(20);

/// An apply that ran to its end.
pub struct Finished {
    pub status: ExitStatus,
    pub events: Vec<Value>,
    /// The human-readable output (kfscale writes it to stderr, also with --json).
    pub stderr: String,
}

impl Finished {
    /// The `retrying` events of `step`.
    pub fn retrying(&self, step: &str) -> Vec<&Value> {
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

/// Runs `command` (a kfscale apply; `--json` is added) to its end, its stderr in `log`. `watch`
/// gets every event as it arrives, and `None` on every idle tick: it arms and clears faults. The
/// wait blocks in place, so the runtime's other workers keep serving the in-process fakes (and
/// `watch` may `Handle::current().block_on` a request).
pub fn run_watching(command: Command, log: &Path, watch: impl FnMut(Option<&Value>) -> Result<()>) -> Result<Finished> {
    tokio::task::block_in_place(|| watch_to_the_end(command, log, watch))
}

fn watch_to_the_end(
    mut command: Command,
    log: &Path,
    mut watch: impl FnMut(Option<&Value>) -> Result<()>,
) -> Result<Finished> {
    use std::io::BufRead;
    let mut child = command
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(log)?))
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && sender.send(event).is_err()
            {
                break;
            }
        }
    });
    let deadline = Instant::now() + APPLY_DEADLINE;
    let mut events = Vec::new();
    loop {
        match receiver.recv_timeout(TICK) {
            Ok(event) => {
                let watched = watch(Some(&event));
                events.push(event);
                if let Err(err) = watched {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(err);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(err) = watch(None) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(err);
                }
            }
            // stdout closed: the process is ending.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "apply still running after {APPLY_DEADLINE:?}:\n{}",
                std::fs::read_to_string(log)?
            );
        }
    }
    let status = child.wait()?;
    let stderr = std::fs::read_to_string(log)?;
    Ok(Finished { status, events, stderr })
}

/// Whether `event` starts `step`.
pub fn starts(event: Option<&Value>, step: &str) -> bool {
    event.is_some_and(|e| e["event"] == "step_started" && e["step"] == step)
}

/// Whether `event` is kfscale riding out a retriable error in `step`.
pub fn retries_in(event: Option<&Value>, step: &str) -> bool {
    event.is_some_and(|e| e["event"] == "retrying" && e["step"] == step)
}

/// The step's `observed.retries` in the state file of the customer clone `repo` (0 when none).
pub fn step_retries(repo: &Path, name: &str) -> Result<u64> {
    let state = read_state(repo)?;
    let record = step(&state, name).with_context(|| format!("no step {name} in the state"))?;
    Ok(record["observed"]["retries"].as_u64().unwrap_or(0))
}

/// Asserts the retriable cell's bookkeeping: the apply ran the step through at least one retry
/// (counted in the state and shown as an event) and the run succeeded.
pub fn assert_retried_and_succeeded(repo: &Path, finished: &Finished, name: &str) -> Result<u64> {
    finished.ensure_succeeded("the apply under a retriable fault")?;
    let retries = step_retries(repo, name)?;
    ensure!(
        retries >= 1 && !finished.retrying(name).is_empty(),
        "{name}: {retries} retries counted, {} retrying events:\n{}",
        finished.retrying(name).len(),
        finished.stderr
    );
    let state = read_state(repo)?;
    ensure!(state["run"]["status"] == "succeeded", "{}", state["run"]);
    Ok(retries)
}

/// The permanent cell's first apply: exit 1, stderr names every one of `parts` (the system, the
/// call, `fix:`), and the state shows the run and `name` failed. Returns the records of the steps
/// finished before it, which the resumed apply must leave alone.
pub fn assert_failed_in(repo: &Path, finished: &Finished, name: &str, parts: &[&str]) -> Result<Vec<Value>> {
    ensure!(
        finished.status.code() == Some(1),
        "exit {}, not 1:\n{}",
        finished.status,
        finished.stderr
    );
    for part in parts.iter().chain(&["fix:"]) {
        ensure!(finished.stderr.contains(part), "no {part:?} in:\n{}", finished.stderr);
    }
    let state = read_state(repo)?;
    ensure!(state["run"]["status"] == "failed", "{}", state["run"]);
    let record = step(&state, name).with_context(|| format!("no step {name}"))?;
    ensure!(record["status"] == "failed", "{record}");
    Ok(finished_before(&state, name))
}

/// The records of the steps before `name` that finished (done or skipped).
pub fn finished_before(state: &Value, name: &str) -> Vec<Value> {
    state["run"]["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .take_while(|s| s["name"] != name)
                .filter(|s| s["status"] == "done" || s["status"] == "skipped")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// After the resumed apply: it succeeded and the steps finished before the failure were not run
/// again (their records are as the failed run left them).
pub fn assert_resumed_without_repeating(repo: &Path, resumed: &std::process::Output, before: &[Value]) -> Result<()> {
    ensure!(
        resumed.status.success(),
        "the resumed apply failed:\n{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
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
