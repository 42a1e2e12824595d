//! The running step's latest figures, for `kfscale status` from another terminal: what it waits
//! for, how far it got and when it should end, taken from the systems' own figures (bytes left at
//! the replication throttle, Pinot's own estimate). Kept beside the state in `progress.json`, not
//! in it: it changes on every poll, and the state's serial counts checkpoints, not polls.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const PROGRESS_FILE: &str = "progress.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The step and the run it belongs to: a file left by an older run is not shown.
    pub run: String,
    pub step: String,
    /// What the step waits for, and the latest figures as text.
    pub waiting_for: String,
    pub text: String,
    /// Done and total in `unit` (nodes, bytes, segments), when the system counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    #[serde(default)]
    pub unit: String,
    /// Seconds until the step should be done, and which figure says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_from: Option<String>,
    /// When these figures were read (RFC 3339).
    pub at: String,
}

impl Progress {
    pub fn new(step: &str, waiting_for: &str, text: &str) -> Progress {
        Progress {
            run: String::new(),
            step: step.to_string(),
            waiting_for: waiting_for.to_string(),
            text: text.to_string(),
            done: None,
            total: None,
            unit: String::new(),
            eta_seconds: None,
            eta_from: None,
            at: crate::time::now_rfc3339(),
        }
    }

    pub fn counted(mut self, done: f64, total: f64, unit: &str) -> Progress {
        self.done = Some(done);
        self.total = Some(total);
        self.unit = unit.to_string();
        self
    }

    pub fn eta(mut self, seconds: Option<u64>, from: &str) -> Progress {
        if let Some(seconds) = seconds {
            self.eta_seconds = Some(seconds);
            self.eta_from = Some(from.to_string());
        }
        self
    }

    /// The share done, 0..=1, when the figures count it.
    pub fn fraction(&self) -> Option<f64> {
        match (self.done, self.total) {
            (Some(done), Some(total)) if total > 0.0 => Some((done / total).clamp(0.0, 1.0)),
            _ => None,
        }
    }

    /// One line for `kfscale status`: the figures, the share done, and the ETA with its source.
    pub fn line(&self) -> String {
        let mut line = format!("{}: {}", self.waiting_for, self.text);
        if let Some(fraction) = self.fraction() {
            line += &format!(" ({:.0}%)", fraction * 100.0);
        }
        if let (Some(eta), Some(from)) = (self.eta_seconds, &self.eta_from) {
            line += &format!(", about {} left ({from})", duration_text(eta));
        }
        line + &format!(", as of {}", self.at)
    }
}

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(PROGRESS_FILE)
}

/// Written atomically; a failure only costs `status` its figures, so it is not an error.
pub fn write(state_dir: &Path, progress: &Progress) {
    let _ = crate::files::write_json(&path(state_dir), progress);
}

pub fn read(state_dir: &Path) -> Option<Progress> {
    let text = std::fs::read_to_string(path(state_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn clear(state_dir: &Path) {
    let _ = std::fs::remove_file(path(state_dir));
}

/// `3h 05m`, `4m 10s`, `12s`.
pub fn duration_text(seconds: u64) -> String {
    match seconds {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// Bytes still to copy onto each receiving broker, at `rate` bytes per second per broker (the
/// replication throttle is a per-broker budget): the busiest broker sets the time.
pub fn eta_at_throttle(remaining_per_broker: impl IntoIterator<Item = u64>, rate: u64) -> Option<u64> {
    if rate == 0 {
        return None;
    }
    let busiest = remaining_per_broker.into_iter().max()?;
    Some(busiest.div_ceil(rate))
}

/// `remaining` at the rate seen so far (`done` in `elapsed_seconds`); None before anything is done.
pub fn eta_at_observed_rate(done: f64, remaining: f64, elapsed_seconds: f64) -> Option<u64> {
    (done > 0.0 && elapsed_seconds > 0.0).then(|| (remaining / (done / elapsed_seconds)).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_from_the_busiest_broker_at_the_throttle() {
        // 3 GiB left on one broker, 1 GiB on another, at 100 MiB/s.
        let mib = 1024 * 1024;
        assert_eq!(eta_at_throttle([3 * 1024 * mib, 1024 * mib], 100 * mib), Some(31));
        assert_eq!(eta_at_throttle([5], 0), None);
        assert_eq!(eta_at_throttle(Vec::<u64>::new(), 10), None);
    }

    #[test]
    fn eta_from_the_observed_rate() {
        assert_eq!(eta_at_observed_rate(10.0, 30.0, 20.0), Some(60));
        assert_eq!(eta_at_observed_rate(0.0, 30.0, 20.0), None);
    }

    #[test]
    fn a_line_shows_share_and_eta_and_round_trips() {
        let mut progress = Progress::new("kafka_reassignment", "partition moves", "12/18 partitions moved")
            .counted(24.0, 36.0, "bytes")
            .eta(Some(250), "bytes left at the 100 MB/s throttle");
        progress.at = "2026-11-28T14:00:00.000Z".into();
        assert_eq!(
            progress.line(),
            "partition moves: 12/18 partitions moved (67%), about 4m 10s left (bytes left at the 100 MB/s throttle), as of 2026-11-28T14:00:00.000Z"
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &progress);
        assert_eq!(read(dir.path()), Some(progress));
        clear(dir.path());
        assert_eq!(read(dir.path()), None);
        assert_eq!(duration_text(3 * 3600 + 300), "3h 05m");
    }
}
