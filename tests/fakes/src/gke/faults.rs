//! Injected faults, set through `POST /_control/faults`. Each applies to the API methods it names (by
//! discovery id, `*` for all, `mutations` for setSize/setAutoscaling) for `count` requests or forever.
use serde::{Deserialize, Serialize};

use super::errors::{ApiError, status_for_http};
use crate::scaffold::faults::{Aim, FaultList, InjectedError, RequestFault, Shots};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this HTTP error (Google's error body) instead of serving the request.
    HttpError {
        #[serde(default = "all_methods")]
        method: String,
        code: u16,
        /// The google.rpc.Code name; defaults to the usual one for `code`.
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        message: Option<String>,
        /// Carry the request out first, then answer with the error: the change is made and its
        /// answer lost (what an idempotent client must survive without acting twice).
        #[serde(default)]
        applied: bool,
        #[serde(default)]
        count: Option<u32>,
    },
    /// Delay the answer by `millis` of real time (client timeouts are real-time).
    Latency {
        #[serde(default = "all_methods")]
        method: String,
        millis: u64,
        #[serde(default)]
        count: Option<u32>,
    },
    /// The next operations end DONE with this error (a stockout, say) and change nothing.
    OperationError {
        #[serde(default = "stockout_status")]
        status: String,
        #[serde(default = "stockout_message")]
        message: String,
        #[serde(default)]
        count: Option<u32>,
    },
}

fn all_methods() -> String {
    "*".to_string()
}

fn stockout_status() -> String {
    "RESOURCE_EXHAUSTED".to_string()
}

fn stockout_message() -> String {
    "Try a different location, or try again later: ZONE_RESOURCE_POOL_EXHAUSTED".to_string()
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
                status,
                message,
                applied,
                ..
            } => Aim::Error {
                at: method,
                code: *code,
                status: status.as_deref(),
                message: message.as_deref(),
                retry_after: None,
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

/// Google's error for an injected HTTP error: the status name usual for its code unless the fault
/// names one.
pub fn api_error(injected: InjectedError) -> ApiError {
    let status = injected
        .status
        .unwrap_or_else(|| status_for_http(injected.code).to_string());
    let message = injected.message.unwrap_or_else(|| format!("Injected fault: {status}"));
    ApiError::new(injected.code, &status, message)
}

/// The error a newly started operation is to end with, if a fault asks for one.
pub fn on_operation(faults: &mut FaultList<Fault>) -> Option<ApiError> {
    let mut error = None;
    faults.fire(|fault| match fault {
        Fault::OperationError { status, message, .. } if error.is_none() => {
            error = Some(ApiError::new(500, status, message.clone()));
            true
        }
        _ => false,
    });
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_fault_fires_then_goes() {
        let mut faults = FaultList::<Fault>::default();
        faults.add(serde_json::from_str(r#"{"kind":"http_error","method":"mutations","code":503,"count":2}"#).unwrap());
        let method = "container.projects.locations.clusters.nodePools.setSize";
        assert_eq!(
            faults
                .on_request("container.projects.locations.clusters.get", false)
                .error,
            None
        );
        assert_eq!(
            api_error(faults.on_request(method, true).error.unwrap()).status,
            "UNAVAILABLE"
        );
        assert!(faults.on_request(method, true).error.is_some());
        assert!(faults.on_request(method, true).error.is_none());
        assert!(faults.list().is_empty());
    }
}
