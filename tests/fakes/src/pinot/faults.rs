//! Faults set through `POST /_control/faults`. Request faults (`http_error`, `latency`) and
//! `done_before_converged` stay until used up (`count`) or cleared; the others act once when posted.
use serde::{Deserialize, Serialize};

use crate::scaffold::faults::{Aim, FaultList, RequestFault, Shots};

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
        /// Carry the request out first, then answer with the error: the change is made and its
        /// answer lost (what an idempotent client must survive without acting twice).
        #[serde(default)]
        applied: bool,
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

impl Shots for Fault {
    fn shots(&mut self) -> Option<&mut Option<u32>> {
        match self {
            Fault::HttpError { count, .. } | Fault::Latency { count, .. } | Fault::DoneBeforeConverged { count } => {
                Some(count)
            }
            // Immediate faults act when posted and are never stored.
            Fault::StallJob { .. } | Fault::StallLoading { .. } | Fault::Restart { .. } | Fault::BadSegment { .. } => {
                None
            }
        }
    }
}

impl RequestFault for Fault {
    fn aim(&self) -> Aim<'_> {
        match self {
            Fault::HttpError {
                endpoint,
                code,
                message,
                applied,
                ..
            } => Aim::Error {
                at: endpoint,
                code: *code,
                status: None,
                message: message.as_deref(),
                retry_after: None,
                applied: *applied,
            },
            Fault::Latency { endpoint, millis, .. } => Aim::Delay {
                at: endpoint,
                millis: *millis,
            },
            _ => Aim::Elsewhere,
        }
    }
}

/// Whether the job being started is to report DONE early.
pub fn take_done_early(faults: &mut FaultList<Fault>) -> bool {
    let mut fires = false;
    faults.fire(|fault| {
        let hit = !fires && matches!(fault, Fault::DoneBeforeConverged { .. });
        fires |= hit;
        hit
    });
    fires
}
