//! The body of a resize PUT: the pool exactly as it was read, with only its size changed. ARM's PUT
//! replaces the resource, so everything the customer set (labels, taints, upgrade settings, ...) is
//! sent back as it was; the fields only the service writes are left out.
use serde_json::{Value, json};

use crate::types::AgentPool;

/// Fields of `AgentPool` and its properties that only the service writes (the spec's readOnly ones).
const READ_ONLY_TOP: &[&str] = &["id", "name", "type", "systemData"];
const READ_ONLY_PROPERTIES: &[&str] = &["provisioningState", "eTag", "currentOrchestratorVersion"];

/// `pool` with `count` nodes; with `bounds`, the autoscaler on between them.
pub fn scaled(pool: &AgentPool, count: u32, bounds: Option<(u32, u32)>) -> Value {
    let mut body = pool.raw.clone();
    if let Some(top) = body.as_object_mut() {
        for key in READ_ONLY_TOP {
            top.remove(*key);
        }
    }
    if let Some(properties) = body.get_mut("properties").and_then(Value::as_object_mut) {
        for key in READ_ONLY_PROPERTIES {
            properties.remove(*key);
        }
        properties.insert("count".into(), json!(count));
        if let Some((min, max)) = bounds {
            properties.insert("enableAutoScaling".into(), json!(true));
            properties.insert("minCount".into(), json!(min));
            properties.insert("maxCount".into(), json!(max));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_size_changes_and_read_only_fields_go() {
        let pool = AgentPool::from_json(json!({"id": "/x", "name": "kfuse", "type": "t", "properties": {
            "count": 3, "vmSize": "Standard_D8s_v5", "provisioningState": "Succeeded", "eTag": "e",
            "nodeLabels": {"kf_role": "data"}, "upgradeSettings": {"maxSurge": "33%"}}}))
        .unwrap();
        let body = scaled(&pool, 6, None);
        assert_eq!(
            body,
            json!({"properties": {"count": 6, "vmSize": "Standard_D8s_v5", "nodeLabels": {"kf_role": "data"},
                                  "upgradeSettings": {"maxSurge": "33%"}}})
        );
        let bounded = scaled(&pool, 6, Some((1, 8)));
        assert_eq!(bounded["properties"]["enableAutoScaling"], true);
        assert_eq!(
            (
                bounded["properties"]["minCount"].as_u64(),
                bounded["properties"]["maxCount"].as_u64()
            ),
            (Some(1), Some(8))
        );
    }
}
