//! Request faults: per API (and optionally per broker), an error code, a latency, a dropped
//! connection, for the next N requests or until cleared. With `apply` the fake first carries the
//! request out and only then fails it, as when a controller commits a change and the response is
//! lost: the case a resumed apply must survive without repeating the mutation.
use kafka_protocol::messages::ApiKey;
use serde::{Deserialize, Serialize};

use crate::kafka::errors::{ApiError, error_code, error_name};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Kafka's API name (`CreatePartitions`, `CREATE_PARTITIONS`) or key number; absent: every API
    /// except ApiVersions.
    #[serde(default)]
    pub api: Option<String>,
    /// Only requests received by this broker.
    #[serde(default)]
    pub broker: Option<i32>,
    /// Kafka error name (`NOT_CONTROLLER`) or code: the request fails with it everywhere.
    #[serde(default)]
    pub error: Option<String>,
    /// Real milliseconds to wait before answering (or dropping).
    #[serde(default)]
    pub latency_ms: u64,
    /// Close the connection instead of answering.
    #[serde(default)]
    pub drop_connection: bool,
    /// Carry the request out before failing it.
    #[serde(default)]
    pub apply: bool,
    /// How many matching requests it hits; absent: all until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub id: u64,
    pub spec: FaultSpec,
    #[serde(skip)]
    api_key: Option<i16>,
    #[serde(skip)]
    error: Option<i16>,
    pub remaining: Option<u32>,
    pub hits: u64,
}

/// What a matched fault does to one request.
#[derive(Debug, Clone)]
pub struct FaultAction {
    pub id: u64,
    pub error: Option<ApiError>,
    pub latency_ms: u64,
    pub drop_connection: bool,
    pub apply: bool,
}

#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    active: Vec<Fault>,
}

impl Faults {
    pub fn add(&mut self, spec: FaultSpec) -> Result<u64, String> {
        let api_key = match &spec.api {
            None => None,
            Some(name) => Some(api_key_by_name(name).ok_or_else(|| format!("unknown Kafka API '{name}'"))? as i16),
        };
        let error = match &spec.error {
            None => None,
            Some(name) => Some(error_code(name).ok_or_else(|| format!("unknown Kafka error '{name}'"))?),
        };
        if error.is_none() && spec.latency_ms == 0 && !spec.drop_connection {
            return Err("a fault needs an error, a latency_ms or drop_connection".to_string());
        }
        if spec.count == Some(0) {
            return Err("count must be at least 1 (leave it out for every request)".to_string());
        }
        self.next_id += 1;
        let id = self.next_id;
        self.active.push(Fault {
            id,
            remaining: spec.count,
            spec,
            api_key,
            error,
            hits: 0,
        });
        Ok(id)
    }

    /// The first fault matching a request of `api_key` on `broker`, counted as hit.
    pub fn take(&mut self, api_key: i16, broker: i32) -> Option<FaultAction> {
        let index = self.active.iter().position(|f| {
            let api_matches = match f.api_key {
                Some(key) => key == api_key,
                None => api_key != ApiKey::ApiVersions as i16,
            };
            api_matches && f.spec.broker.is_none_or(|b| b == broker)
        })?;
        let fault = &mut self.active[index];
        fault.hits += 1;
        let action = FaultAction {
            id: fault.id,
            error: fault.error.map(|code| ApiError { code, message: None }),
            latency_ms: fault.spec.latency_ms,
            drop_connection: fault.spec.drop_connection,
            apply: fault.spec.apply,
        };
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.active.remove(index);
            }
        }
        Some(action)
    }

    pub fn clear(&mut self) {
        self.active.clear();
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.active.len();
        self.active.retain(|f| f.id != id);
        before != self.active.len()
    }

    pub fn list(&self) -> serde_json::Value {
        let faults: Vec<serde_json::Value> = self
            .active
            .iter()
            .map(|f| {
                let mut v = serde_json::to_value(f).unwrap_or_default();
                if let Some(code) = f.error {
                    v["error_name"] = serde_json::json!(error_name(code));
                }
                v
            })
            .collect();
        serde_json::Value::Array(faults)
    }
}

/// An API key from its name as ApiKeys spells it (`CreatePartitions`, `CREATE_PARTITIONS`,
/// any case) or its number.
pub fn api_key_by_name(name: &str) -> Option<ApiKey> {
    if let Ok(number) = name.trim().parse::<i16>() {
        return ApiKey::try_from(number).ok();
    }
    let wanted = name.trim().replace('_', "").to_ascii_lowercase();
    ApiKey::iter().find(|key| format!("{key:?}").to_ascii_lowercase() == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(api: &str, error: &str, count: Option<u32>) -> FaultSpec {
        FaultSpec {
            api: Some(api.into()),
            broker: None,
            error: Some(error.into()),
            latency_ms: 0,
            drop_connection: false,
            apply: false,
            count,
        }
    }

    #[test]
    fn a_counted_fault_hits_that_many_requests_of_its_api() {
        let mut faults = Faults::default();
        faults
            .add(spec("CREATE_PARTITIONS", "NOT_CONTROLLER", Some(2)))
            .unwrap();
        assert!(faults.take(ApiKey::Metadata as i16, 100).is_none());
        let hit = faults.take(ApiKey::CreatePartitions as i16, 100).unwrap();
        assert_eq!(hit.error.unwrap().code, 41);
        assert!(faults.take(ApiKey::CreatePartitions as i16, 101).is_some());
        assert!(faults.take(ApiKey::CreatePartitions as i16, 100).is_none());
    }

    #[test]
    fn unknown_names_are_refused() {
        let mut faults = Faults::default();
        assert!(faults.add(spec("Frobnicate", "NOT_CONTROLLER", None)).is_err());
        assert!(faults.add(spec("Metadata", "NOT_AN_ERROR", None)).is_err());
    }
}
