//! `$alt=json;enum-encoding=int`: Google's Rust clients (google-cloud-container-v1) ask for enums as
//! their proto numbers, and GKE answers so. The numbers are the proto's (from google.container.v1, as
//! generated into google-cloud-container-v1's model), not positions in the discovery document's enum
//! lists: they have gaps (RESIZE_CLUSTER is 18, SURGE is 3).
use serde_json::Value;

/// Whether the query asks for integer enums (`$alt=json;enum-encoding=int`, possibly percent-encoded).
pub fn wants_int_enums(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        let decoded = q
            .replace("%24", "$")
            .replace("%3B", ";")
            .replace("%3b", ";")
            .replace("%3D", "=")
            .replace("%3d", "=");
        decoded
            .split('&')
            .any(|pair| pair.starts_with("$alt=") && pair.contains("enum-encoding=int"))
    })
}

/// The schemas a response can be, for knowing where its enums are.
#[derive(Clone, Copy)]
pub enum Schema {
    Cluster,
    NodePool,
    Operation,
    ListClusters,
    ListNodePools,
    Other,
}

impl Schema {
    /// The response schema of an API method, by its discovery id.
    pub fn of_method(id: &str) -> Schema {
        let last = id.rsplit('.').take(2).collect::<Vec<_>>();
        match (last.get(1).copied(), last.first().copied()) {
            (Some("clusters"), Some("get")) => Schema::Cluster,
            (Some("clusters"), Some("list")) => Schema::ListClusters,
            (Some("nodePools"), Some("get")) => Schema::NodePool,
            (Some("nodePools"), Some("list")) => Schema::ListNodePools,
            (Some("operations"), Some("get")) => Schema::Operation,
            (_, Some("setSize" | "setAutoscaling" | "autoscaling")) => Schema::Operation,
            _ => Schema::Other,
        }
    }
}

/// Rewrites the enum fields of `value` (of `schema`) as numbers.
pub fn to_numbers(value: &mut Value, schema: Schema) {
    match schema {
        Schema::Operation => {
            number(value, "status", OPERATION_STATUS);
            number(value, "operationType", OPERATION_TYPE);
        }
        Schema::NodePool => {
            number(value, "status", NODE_POOL_STATUS);
            if let Some(autoscaling) = value.get_mut("autoscaling") {
                number(autoscaling, "locationPolicy", LOCATION_POLICY);
            }
            if let Some(settings) = value.get_mut("upgradeSettings") {
                number(settings, "strategy", UPDATE_STRATEGY);
            }
            if let Some(config) = value.get_mut("config") {
                taints(config);
            }
        }
        Schema::Cluster => {
            number(value, "status", CLUSTER_STATUS);
            if let Some(config) = value.get_mut("nodeConfig") {
                taints(config);
            }
            for pool in value
                .get_mut("nodePools")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                to_numbers(pool, Schema::NodePool);
            }
        }
        Schema::ListClusters => {
            for cluster in value
                .get_mut("clusters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                to_numbers(cluster, Schema::Cluster);
            }
        }
        Schema::ListNodePools => {
            for pool in value
                .get_mut("nodePools")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                to_numbers(pool, Schema::NodePool);
            }
        }
        Schema::Other => {}
    }
}

fn taints(config: &mut Value) {
    for taint in config
        .get_mut("taints")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        number(taint, "effect", TAINT_EFFECT);
    }
}

fn number(object: &mut Value, field: &str, table: &[(&str, i32)]) {
    let Some(slot) = object.get_mut(field) else { return };
    if let Some(&(_, n)) = slot
        .as_str()
        .and_then(|name| table.iter().find(|(candidate, _)| *candidate == name))
    {
        *slot = Value::from(n);
    }
}

const OPERATION_STATUS: &[(&str, i32)] = &[
    ("STATUS_UNSPECIFIED", 0),
    ("PENDING", 1),
    ("RUNNING", 2),
    ("DONE", 3),
    ("ABORTING", 4),
];
const OPERATION_TYPE: &[(&str, i32)] = &[
    ("TYPE_UNSPECIFIED", 0),
    ("CREATE_CLUSTER", 1),
    ("DELETE_CLUSTER", 2),
    ("UPGRADE_MASTER", 3),
    ("UPGRADE_NODES", 4),
    ("REPAIR_CLUSTER", 5),
    ("UPDATE_CLUSTER", 6),
    ("CREATE_NODE_POOL", 7),
    ("DELETE_NODE_POOL", 8),
    ("SET_NODE_POOL_MANAGEMENT", 9),
    ("AUTO_REPAIR_NODES", 10),
    ("AUTO_UPGRADE_NODES", 11),
    ("SET_LABELS", 12),
    ("SET_MASTER_AUTH", 13),
    ("SET_NODE_POOL_SIZE", 14),
    ("SET_NETWORK_POLICY", 15),
    ("SET_MAINTENANCE_POLICY", 16),
    ("RESIZE_CLUSTER", 18),
    ("FLEET_FEATURE_UPGRADE", 19),
];
const NODE_POOL_STATUS: &[(&str, i32)] = &[
    ("STATUS_UNSPECIFIED", 0),
    ("PROVISIONING", 1),
    ("RUNNING", 2),
    ("RUNNING_WITH_ERROR", 3),
    ("RECONCILING", 4),
    ("STOPPING", 5),
    ("ERROR", 6),
];
const CLUSTER_STATUS: &[(&str, i32)] = &[
    ("STATUS_UNSPECIFIED", 0),
    ("PROVISIONING", 1),
    ("RUNNING", 2),
    ("RECONCILING", 3),
    ("STOPPING", 4),
    ("ERROR", 5),
    ("DEGRADED", 6),
];
const TAINT_EFFECT: &[(&str, i32)] = &[
    ("EFFECT_UNSPECIFIED", 0),
    ("NO_SCHEDULE", 1),
    ("PREFER_NO_SCHEDULE", 2),
    ("NO_EXECUTE", 3),
];
const LOCATION_POLICY: &[(&str, i32)] = &[("LOCATION_POLICY_UNSPECIFIED", 0), ("BALANCED", 1), ("ANY", 2)];
const UPDATE_STRATEGY: &[(&str, i32)] = &[
    ("NODE_POOL_UPDATE_STRATEGY_UNSPECIFIED", 0),
    ("BLUE_GREEN", 2),
    ("SURGE", 3),
    ("SHORT_LIVED", 5),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_the_rust_clients_query() {
        assert!(wants_int_enums(Some("%24alt=json%3Benum-encoding%3Dint")));
        assert!(wants_int_enums(Some("$alt=json;enum-encoding=int")));
        assert!(!wants_int_enums(Some("alt=json")));
        assert!(!wants_int_enums(None));
    }

    #[test]
    fn numbers_follow_the_proto_not_the_list_position() {
        let mut op = json!({"status": "DONE", "operationType": "SET_NODE_POOL_SIZE"});
        to_numbers(&mut op, Schema::Operation);
        assert_eq!(op, json!({"status": 3, "operationType": 14}));
        let mut pool = json!({"status": "RUNNING", "upgradeSettings": {"strategy": "SURGE"},
                              "config": {"taints": [{"effect": "NO_EXECUTE"}]}});
        to_numbers(&mut pool, Schema::NodePool);
        assert_eq!(
            pool,
            json!({"status": 2, "upgradeSettings": {"strategy": 3}, "config": {"taints": [{"effect": 3}]}})
        );
    }
}
