//! Running an apply while a callback watches its JSON events and idle ticks, for the Kafka, Pinot
//! and GKE cells of the fault matrix: they arm a fault on what a fake saw (the first moves sent),
//! not only on an event, and clear it once kfscale retried. The outcomes are checked with
//! `faults`' assertions.
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::faults::Ended;

/// How long one apply of a cell may take before the test gives up on it.
const APPLY_DEADLINE: Duration = Duration::from_secs(600);
/// How often the watcher gets a turn when no event arrives (to poll a fake's counters).
const TICK: Duration = Duration::from_millis(20);

/// Runs `command` (a kfscale apply; `--json` is added) to its end, its stderr in `log`. `watch`
/// gets every event as it arrives, and `None` on every idle tick: it arms and clears faults. The
/// wait blocks in place, so the runtime's other workers keep serving the in-process fakes (and
/// `watch` may `Handle::current().block_on` a request).
pub fn run_watching(command: Command, log: &Path, watch: impl FnMut(Option<&Value>) -> Result<()>) -> Result<Ended> {
    tokio::task::block_in_place(|| watch_to_the_end(command, log, watch))
}

fn watch_to_the_end(
    mut command: Command,
    log: &Path,
    mut watch: impl FnMut(Option<&Value>) -> Result<()>,
) -> Result<Ended> {
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
    Ok(Ended::of_json_run(status, events, stderr))
}

/// Whether `event` starts `step`.
pub fn starts(event: Option<&Value>, step: &str) -> bool {
    event.is_some_and(|e| e["event"] == "step_started" && e["step"] == step)
}

/// Whether `event` is kfscale riding out a retriable error in `step`.
pub fn retries_in(event: Option<&Value>, step: &str) -> bool {
    event.is_some_and(|e| e["event"] == "retrying" && e["step"] == step)
}
