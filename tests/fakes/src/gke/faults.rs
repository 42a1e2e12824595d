//! Injected faults, set through `POST /_control/faults`. Each applies to the API methods it names (by
//! discovery id, `*` for all, `mutations` for setSize/setAutoscaling) for `count` requests or forever.
use serde::{Deserialize, Serialize};

use super::errors::{ApiError, status_for_http};

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

/// What the faults ask of one request.
#[derive(Debug, Default)]
pub struct Effects {
    pub delay_ms: u64,
    pub error: Option<ApiError>,
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

    /// The effects on a request to `method`, using up one of each matching fault's count.
    pub fn on_request(&mut self, method: &str, mutation: bool) -> Effects {
        let mut effects = Effects::default();
        for fault in &mut self.active {
            match fault {
                Fault::HttpError {
                    method: wanted,
                    code,
                    status,
                    message,
                    count,
                } => {
                    if matches(wanted, method, mutation) && effects.error.is_none() && take(count) {
                        let status = status.clone().unwrap_or_else(|| status_for_http(*code).to_string());
                        let message = message.clone().unwrap_or_else(|| format!("Injected fault: {status}"));
                        effects.error = Some(ApiError::new(*code, &status, message));
                    }
                }
                Fault::Latency {
                    method: wanted,
                    millis,
                    count,
                } => {
                    if matches(wanted, method, mutation) && take(count) {
                        effects.delay_ms += *millis;
                    }
                }
                Fault::OperationError { .. } => {}
            }
        }
        self.active.retain(|fault| !used_up(fault));
        effects
    }

    /// The error a newly started operation is to end with, if a fault asks for one.
    pub fn on_operation(&mut self) -> Option<ApiError> {
        let mut error = None;
        for fault in &mut self.active {
            if let Fault::OperationError { status, message, count } = fault
                && error.is_none()
                && take(count)
            {
                error = Some(ApiError::new(500, status, message.clone()));
            }
        }
        self.active.retain(|fault| !used_up(fault));
        error
    }
}

fn matches(wanted: &str, method: &str, mutation: bool) -> bool {
    wanted == "*" || wanted == method || (wanted == "mutations" && mutation)
}

/// Uses one of a limited fault's shots; an unlimited fault always fires.
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
            | Fault::OperationError { count: Some(0), .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_fault_fires_then_goes() {
        let mut faults = Faults::default();
        faults.add(serde_json::from_str(r#"{"kind":"http_error","method":"mutations","code":503,"count":2}"#).unwrap());
        let method = "container.projects.locations.clusters.nodePools.setSize";
        assert_eq!(
            faults
                .on_request("container.projects.locations.clusters.get", false)
                .error,
            None
        );
        assert_eq!(faults.on_request(method, true).error.unwrap().status, "UNAVAILABLE");
        assert!(faults.on_request(method, true).error.is_some());
        assert!(faults.on_request(method, true).error.is_none());
        assert!(faults.list().is_empty());
    }
}
