//! Faults set through `POST /_control/faults`. Request faults (`http_error`, `latency`) and
//! `done_before_converged` stay until used up (`count`) or cleared; the others act once when posted.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer requests to `endpoint` (an endpoint id, `*`, or `mutations`) with this status and Pinot's
    /// error body `{"code", "error"}`.
    HttpError {
        #[serde(default = "all")]
        endpoint: String,
        #[serde(default = "internal_error")]
        code: u16,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        count: Option<u32>,
    },
    /// Delay answers by `millis` of real time.
    Latency {
        #[serde(default = "all")]
        endpoint: String,
        millis: u64,
        #[serde(default)]
        count: Option<u32>,
    },
    /// The next rebalance jobs report DONE as soon as the ideal state reaches the target, while the
    /// servers are still loading: the external view has not converged (a known Pinot behaviour).
    DoneBeforeConverged {
        #[serde(default)]
        count: Option<u32>,
    },
    /// The running jobs (of `table`, or all) stop making progress while their controller lives: they
    /// stay IN_PROGRESS and keep heartbeating, so nothing aborts them.
    StallJob {
        #[serde(default)]
        table: Option<String>,
    },
    /// Servers stop loading the segments of `table` (or of every table): UPDATING stays flat, a running
    /// job waits and fails after `externalViewStabilizationTimeoutInMs` without progress.
    StallLoading {
        #[serde(default)]
        table: Option<String>,
    },
    /// The controller restarts: running jobs lose their threads (ZK keeps them IN_PROGRESS) and the API
    /// answers 503 for `seconds` of model time (default: the seed's `restartSeconds`).
    Restart {
        #[serde(default)]
        seconds: Option<f64>,
    },
    /// A replica of `table` goes to ERROR in the external view: its segment shows BAD.
    BadSegment {
        table: String,
        #[serde(default)]
        segment: Option<String>,
        #[serde(default)]
        instance: Option<String>,
    },
}

fn all() -> String {
    "*".to_string()
}

fn internal_error() -> u16 {
    500
}

#[derive(Debug, Default)]
pub struct Effects {
    pub delay_ms: u64,
    pub error: Option<(u16, String)>,
}

#[derive(Debug, Default)]
pub struct Faults {
    active: Vec<Fault>,
}

impl Faults {
    pub fn add(&mut self, fault: Fault) {
        self.active.push(fault);
    }

    pub fn clear(&mut self) {
        self.active.clear();
    }

    pub fn list(&self) -> &[Fault] {
        &self.active
    }

    pub fn on_request(&mut self, endpoint: &str, mutation: bool) -> Effects {
        let mut effects = Effects::default();
        for fault in &mut self.active {
            match fault {
                Fault::HttpError {
                    endpoint: wanted,
                    code,
                    message,
                    count,
                } => {
                    if matches(wanted, endpoint, mutation) && effects.error.is_none() && take(count) {
                        let message = message
                            .clone()
                            .unwrap_or_else(|| format!("Injected fault: HTTP {code}"));
                        effects.error = Some((*code, message));
                    }
                }
                Fault::Latency {
                    endpoint: wanted,
                    millis,
                    count,
                } => {
                    if matches(wanted, endpoint, mutation) && take(count) {
                        effects.delay_ms += *millis;
                    }
                }
                Fault::DoneBeforeConverged { .. }
                | Fault::StallJob { .. }
                | Fault::StallLoading { .. }
                | Fault::Restart { .. }
                | Fault::BadSegment { .. } => {}
            }
        }
        self.active.retain(|fault| !used_up(fault));
        effects
    }

    /// Whether the job being started is to report DONE early.
    pub fn take_done_early(&mut self) -> bool {
        let mut fires = false;
        for fault in &mut self.active {
            if let Fault::DoneBeforeConverged { count } = fault
                && !fires
            {
                fires = take(count);
            }
        }
        self.active.retain(|fault| !used_up(fault));
        fires
    }
}

fn matches(wanted: &str, endpoint: &str, mutation: bool) -> bool {
    wanted == "*" || wanted == endpoint || (wanted == "mutations" && mutation)
}

fn take(count: &mut Option<u32>) -> bool {
    match count {
        None => true,
        Some(0) => false,
        Some(left) => {
            *left -= 1;
            true
        }
    }
}

fn used_up(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::HttpError { count: Some(0), .. }
            | Fault::Latency { count: Some(0), .. }
            | Fault::DoneBeforeConverged { count: Some(0) }
    )
}
