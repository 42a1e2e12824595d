//! Request bodies of the mutating methods, checked the way Google's front end checks them: unknown
//! fields are rejected, numbers may come as JSON numbers or strings, missing fields take proto3 defaults
//! (a `setSize` without `nodeCount` resizes to 0, as it would on GKE).
use serde_json::{Map, Value};

use super::errors::ApiError;
use super::seed::AutoscalingSeed;

/// Fields of `SetNodePoolSizeRequest` in container.v1.json.
const SET_SIZE_FIELDS: &[&str] = &["clusterId", "name", "nodeCount", "nodePoolId", "projectId", "zone"];
/// Fields of `SetNodePoolAutoscalingRequest`.
const SET_AUTOSCALING_FIELDS: &[&str] = &["autoscaling", "clusterId", "name", "nodePoolId", "projectId", "zone"];
/// Fields of `NodePoolAutoscaling`.
const AUTOSCALING_FIELDS: &[&str] = &[
    "autoprovisioned",
    "enabled",
    "locationPolicy",
    "maxNodeCount",
    "minNodeCount",
    "totalMaxNodeCount",
    "totalMinNodeCount",
];

pub fn set_size(body: &[u8]) -> Result<u32, ApiError> {
    let object = object(body, SET_SIZE_FIELDS)?;
    let count = int32(&object, "nodeCount")?;
    u32::try_from(count).map_err(|_| {
        ApiError::invalid_argument(format!(
            "Invalid value for field 'nodeCount': {count}. Must be non-negative."
        ))
    })
}

pub fn set_autoscaling(body: &[u8]) -> Result<AutoscalingSeed, ApiError> {
    let object = object(body, SET_AUTOSCALING_FIELDS)?;
    let autoscaling = match object.get("autoscaling") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(ApiError::invalid_argument(
                "Invalid value at 'autoscaling': expected an object.",
            ));
        }
    };
    check_fields(&autoscaling, AUTOSCALING_FIELDS, "autoscaling.")?;
    let field = |name: &str| -> Result<u32, ApiError> {
        let value = int32(&autoscaling, name)?;
        u32::try_from(value)
            .map_err(|_| ApiError::invalid_argument(format!("autoscaling.{name} must be non-negative, got {value}.")))
    };
    let result = AutoscalingSeed {
        enabled: autoscaling.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        min_node_count: field("minNodeCount")?,
        max_node_count: field("maxNodeCount")?,
        total_min_node_count: field("totalMinNodeCount")?,
        total_max_node_count: field("totalMaxNodeCount")?,
        location_policy: autoscaling
            .get("locationPolicy")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    if result.enabled {
        let per_zone = result.min_node_count > 0 || result.max_node_count > 0;
        let total = result.total_min_node_count > 0 || result.total_max_node_count > 0;
        if per_zone && total {
            return Err(ApiError::invalid_argument(
                "Per-zone and total node count limits cannot be set together.",
            ));
        }
        let (min, max) = if total {
            (result.total_min_node_count, result.total_max_node_count)
        } else {
            (result.min_node_count, result.max_node_count)
        };
        if max == 0 || min > max {
            return Err(ApiError::invalid_argument(format!(
                "Autoscaling limits are invalid: minimum {min} and maximum {max} (need 0 <= min <= max, max >= 1)."
            )));
        }
    }
    Ok(result)
}

fn object(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid_argument(format!("Invalid JSON payload received. {e}")))?
    };
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_argument(
            "Invalid JSON payload received. Expected an object.",
        ));
    };
    check_fields(&map, allowed, "")?;
    Ok(map)
}

fn check_fields(map: &Map<String, Value>, allowed: &[&str], prefix: &str) -> Result<(), ApiError> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(ApiError::invalid_argument(format!(
            "Invalid JSON payload received. Unknown name \"{prefix}{key}\": Cannot find field."
        ))),
        None => Ok(()),
    }
}

/// An int32 field as proto3 JSON allows it (number or decimal string); absent means 0.
fn int32(map: &Map<String, Value>, name: &str) -> Result<i64, ApiError> {
    let invalid = || ApiError::invalid_argument(format!("Invalid value at '{name}' (TYPE_INT32)"));
    let value = match map.get(name) {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(invalid)?,
        Some(Value::String(s)) => s.parse::<i64>().map_err(|_| invalid())?,
        Some(_) => return Err(invalid()),
    };
    if i32::try_from(value).is_err() {
        return Err(invalid());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_size_reads_numbers_and_strings_and_rejects_unknown_fields() {
        assert_eq!(
            set_size(br#"{"nodeCount": 4, "name": "projects/p/locations/l/clusters/c/nodePools/np"}"#),
            Ok(4)
        );
        assert_eq!(set_size(br#"{"nodeCount": "5"}"#), Ok(5));
        assert_eq!(set_size(b"{}"), Ok(0));
        assert_eq!(
            set_size(br#"{"nodeCount": -1}"#).unwrap_err().status,
            "INVALID_ARGUMENT"
        );
        assert!(
            set_size(br#"{"size": 3}"#)
                .unwrap_err()
                .message
                .contains("Unknown name \"size\"")
        );
    }

    #[test]
    fn autoscaling_bounds_are_checked() {
        let ok =
            set_autoscaling(br#"{"autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 6}}"#).unwrap();
        assert_eq!((ok.min_node_count, ok.max_node_count), (1, 6));
        assert!(
            set_autoscaling(br#"{"autoscaling": {"enabled": true, "minNodeCount": 7, "maxNodeCount": 6}}"#).is_err()
        );
        assert!(
            set_autoscaling(br#"{"autoscaling": {"enabled": true, "maxNodeCount": 6, "totalMaxNodeCount": 9}}"#)
                .is_err()
        );
        assert!(!set_autoscaling(br#"{"autoscaling": {}}"#).unwrap().enabled);
    }
}
