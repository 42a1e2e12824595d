//! Injected faults, set through `POST /_control/faults`: request faults aimed at an ARM operation id
//! (`AgentPools_CreateOrUpdate`, ...), `*` or `mutations`, and operation faults that make the next
//! agent-pool operations end `Failed`.
use serde::{Deserialize, Serialize};

use super::errors::{ArmError, code_for_status};
use crate::scaffold::faults::{Aim, FaultList, InjectedError, RequestFault, Shots};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this HTTP status and ARM's error body instead of serving the request.
    HttpError {
        #[serde(default = "all_methods")]
        method: String,
        code: u16,
        /// ARM's error code (`AuthorizationFailed`, `QuotaExceeded`, ...); defaults to the usual one
        /// for `code`.
        #[serde(default)]
        error_code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        /// A `Retry-After` header, as ARM sends with 429.
        #[serde(default)]
        retry_after_seconds: Option<u64>,
        /// Carry the request out first, then answer with the error: the change is made and its
        /// answer lost (what an idempotent client must survive without acting twice).
        #[serde(default)]
        applied: bool,
        #[serde(default)]
        count: Option<u32>,
    },
    /// Delay the answer by `millis` of real time.
    Latency {
        #[serde(default = "all_methods")]
        method: String,
        millis: u64,
        #[serde(default)]
        count: Option<u32>,
    },
    /// The next agent-pool operations end `Failed` with this error and add no machines.
    OperationError {
        #[serde(default = "quota_code")]
        error_code: String,
        #[serde(default = "quota_message")]
        message: String,
        #[serde(default)]
        count: Option<u32>,
    },
}

fn all_methods() -> String {
    "*".to_string()
}

fn quota_code() -> String {
    "QuotaExceeded".to_string()
}

fn quota_message() -> String {
    "Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota. \
     Additional details - Deployment Model: Resource Manager, Location: eastus, Current Limit: 24, Current \
     Usage: 24, Additional Required: 8, (Minimum) New Limit Required: 32."
        .to_string()
}

impl Shots for Fault {
    fn shots(&mut self) -> Option<&mut Option<u32>> {
        match self {
            Fault::HttpError { count, .. } | Fault::Latency { count, .. } | Fault::OperationError { count, .. } => {
                Some(count)
            }
        }
    }
}

impl RequestFault for Fault {
    fn aim(&self) -> Aim<'_> {
        match self {
            Fault::HttpError {
                method,
                code,
                error_code,
                message,
                retry_after_seconds,
                applied,
                ..
            } => Aim::Error {
                at: method,
                code: *code,
                status: error_code.as_deref(),
                message: message.as_deref(),
                retry_after: *retry_after_seconds,
                applied: *applied,
            },
            Fault::Latency { method, millis, .. } => Aim::Delay {
                at: method,
                millis: *millis,
            },
            Fault::OperationError { .. } => Aim::Elsewhere,
        }
    }
}

/// ARM's answer for an injected HTTP error.
pub fn arm_error(injected: InjectedError) -> ArmError {
    let code = injected
        .status
        .unwrap_or_else(|| code_for_status(injected.code).to_string());
    let message = injected.message.unwrap_or_else(|| format!("Injected fault: {code}"));
    let mut error = ArmError::new(injected.code, &code, message);
    error.retry_after = injected.retry_after;
    error
}

/// The error a newly started operation is to end with, if a fault asks for one.
pub fn on_operation(faults: &mut FaultList<Fault>) -> Option<ArmError> {
    let mut error = None;
    faults.fire(|fault| match fault {
        Fault::OperationError {
            error_code, message, ..
        } if error.is_none() => {
            error = Some(ArmError::new(400, error_code, message.clone()));
            true
        }
        _ => false,
    });
    error
}
