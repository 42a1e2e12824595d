//! One line of the checklist: a name, GREEN / YELLOW / RED, a one-line summary and the evidence
//! (what was seen, the things that are wrong named one per line), and what to do when not green.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// GREEN: verified healthy. YELLOW: not verified or settling (not checked, still loading, catching
/// up): look again. RED: something is wrong now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Green,
    Yellow,
    Red,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Green => "GREEN",
            Status::Yellow => "YELLOW",
            Status::Red => "RED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Stable id: workloads, spread, pinot-segments, pinot-freshness, kafka-lag,
    /// kafka-reassignments, kafka-throttles, kafka-leaders, helm-release, control-plane-alerts,
    /// alerting.
    pub name: String,
    pub status: Status,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

impl Check {
    pub fn new(name: &str, status: Status, summary: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            fix: String::new(),
        }
    }

    pub fn green(name: &str, summary: impl Into<String>) -> Check {
        Check::new(name, Status::Green, summary)
    }

    pub fn yellow(name: &str, summary: impl Into<String>) -> Check {
        Check::new(name, Status::Yellow, summary)
    }

    pub fn red(name: &str, summary: impl Into<String>) -> Check {
        Check::new(name, Status::Red, summary)
    }

    pub fn evidence(mut self, lines: impl IntoIterator<Item = String>) -> Check {
        self.evidence.extend(lines);
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = fix.into();
        self
    }

    /// `name: summary (evidence; evidence)`: the check in one line, for a failure message.
    pub fn line(&self) -> String {
        if self.evidence.is_empty() {
            format!("{}: {}", self.name, self.summary)
        } else {
            format!("{}: {} ({})", self.name, self.summary, self.evidence.join("; "))
        }
    }
}

/// The whole checklist, as `kfscale verify --json` prints it and apply records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The worst status of any check.
    pub status: Status,
    pub checks: Vec<Check>,
    /// Requests sent, per system.
    pub requests: std::collections::BTreeMap<String, u64>,
    pub elapsed_ms: u64,
    /// How long consumer lag was sampled for its trend, and how many samples.
    pub lag_window_ms: u64,
    pub lag_samples: u32,
}

impl Report {
    pub fn red(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Red)
    }
}

/// The most evidence lines one check shows; the rest are counted ("and 12 more").
pub const MAX_EVIDENCE: usize = 12;

/// At most [`MAX_EVIDENCE`] of `lines`, and a line counting the rest.
pub fn capped(lines: Vec<String>) -> Vec<String> {
    let total = lines.len();
    let mut shown: Vec<String> = lines.into_iter().take(MAX_EVIDENCE).collect();
    if total > MAX_EVIDENCE {
        shown.push(format!("... and {} more", total - MAX_EVIDENCE));
    }
    shown
}
