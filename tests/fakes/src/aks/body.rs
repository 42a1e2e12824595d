//! The body of an agent-pool PUT, checked the way the AKS resource provider checks it: the
//! properties are those of `ManagedClusterAgentPoolProfileProperties` (an unknown one is refused),
//! read-only ones are ignored, a property left out keeps its value, `null` clears it, properties
//! fixed at creation cannot change, and the autoscaler's bounds must hold the count.
use serde_json::{Map, Value};

use super::errors::ArmError;

/// Every property of `ManagedClusterAgentPoolProfileProperties` (containerservice 2026-06-01, as
/// azure-mgmt-containerservice 41.6.0 models it; tests/it/aks_conformance.rs compares the lists).
pub const PROPERTIES: &[&str] = &[
    "artifactStreamingProfile",
    "availabilityZones",
    "capacityReservationGroupID",
    "count",
    "creationData",
    "currentOrchestratorVersion",
    "eTag",
    "enableAutoScaling",
    "enableEncryptionAtHost",
    "enableFIPS",
    "enableNodePublicIP",
    "enableUltraSSD",
    "gatewayProfile",
    "gpuInstanceProfile",
    "gpuProfile",
    "hostGroupID",
    "kubeletConfig",
    "kubeletDiskType",
    "linuxOSConfig",
    "localDNSProfile",
    "maxCount",
    "maxPods",
    "messageOfTheDay",
    "minCount",
    "mode",
    "networkProfile",
    "nodeImageVersion",
    "nodeLabels",
    "nodePublicIPPrefixID",
    "nodeTaints",
    "orchestratorVersion",
    "osDiskSizeGB",
    "osDiskType",
    "osSKU",
    "osType",
    "podIPAllocationMode",
    "podSubnetID",
    "powerState",
    "provisioningState",
    "proximityPlacementGroupID",
    "scaleDownMode",
    "scaleSetEvictionPolicy",
    "scaleSetPriority",
    "securityProfile",
    "spotMaxPrice",
    "status",
    "tags",
    "type",
    "upgradeSettings",
    "virtualMachineNodesStatus",
    "virtualMachinesProfile",
    "vmSize",
    "vnetSubnetID",
    "windowsProfile",
    "workloadRuntime",
];

/// The ones only the service writes.
pub const READ_ONLY: &[&str] = &["currentOrchestratorVersion", "eTag", "provisioningState"];

/// The top-level fields of `AgentPool` (a `ProxyResource`): all but `properties` are read-only.
const RESOURCE_FIELDS: &[&str] = &["id", "name", "properties", "systemData", "type"];

/// Properties set when the pool is created and never changed by a PUT after.
const FIXED_AT_CREATION: &[&str] = &[
    "availabilityZones",
    "maxPods",
    "osDiskSizeGB",
    "osType",
    "podSubnetID",
    "type",
    "vmSize",
    "vnetSubnetID",
];

/// The most nodes one agent pool may have.
const MAX_COUNT: u64 = 1000;

/// The pool's writable properties after the PUT `body` on a pool that has `current` (None: a new
/// pool).
pub fn put(body: &[u8], current: Option<&Map<String, Value>>) -> Result<Map<String, Value>, ArmError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ArmError::new(
            400,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    let Value::Object(resource) = value else {
        return Err(ArmError::new(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'expected an object'.",
        ));
    };
    if let Some(unknown) = resource.keys().find(|k| !RESOURCE_FIELDS.contains(&k.as_str())) {
        return Err(ArmError::invalid_parameter(format!(
            "The request has an unknown field '{unknown}'."
        )));
    }
    let sent = match resource.get("properties") {
        Some(Value::Object(properties)) => properties.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ArmError::invalid_parameter("'properties' must be an object.")),
    };
    if let Some(unknown) = sent.keys().find(|k| !PROPERTIES.contains(&k.as_str())) {
        return Err(ArmError::invalid_parameter(format!(
            "The request has an unknown property 'properties.{unknown}'."
        )));
    }
    let mut properties = current.cloned().unwrap_or_default();
    for (key, value) in sent {
        if READ_ONLY.contains(&key.as_str()) {
            continue;
        }
        if let Some(before) = current
            && FIXED_AT_CREATION.contains(&key.as_str())
            && !value.is_null()
            && before.get(&key) != Some(&value)
        {
            return Err(ArmError::new(
                400,
                "PropertyChangeNotAllowed",
                format!("Changing property '{key}' is not allowed."),
            ));
        }
        if value.is_null() {
            properties.remove(&key);
        } else {
            properties.insert(key, value);
        }
    }
    if current.is_none() && !properties.contains_key("vmSize") {
        return Err(ArmError::invalid_parameter(
            "The value of parameter agentPoolProfile.vmSize is invalid: it is required.",
        ));
    }
    properties.entry("count").or_insert(Value::from(1));
    let mode = properties
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("User")
        .to_string();
    check_autoscaling(&properties, &mode)?;
    Ok(properties)
}

/// The count within 0..=1000 (at least 1 for a System pool); with the autoscaler on, `minCount` and
/// `maxCount` set with `minCount <= count <= maxCount`; with it off, neither set.
pub fn check_autoscaling(properties: &Map<String, Value>, mode: &str) -> Result<(), ArmError> {
    let number = |key: &str| -> Result<Option<u64>, ArmError> {
        match properties.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value.as_u64().filter(|n| *n <= MAX_COUNT).map(Some).ok_or_else(|| {
                ArmError::invalid_parameter(format!(
                    "The value of parameter agentPoolProfile.{key} is invalid: {value}; it must be an integer from 0 to {MAX_COUNT}."
                ))
            }),
        }
    };
    let count = number("count")?.unwrap_or(0);
    if mode.eq_ignore_ascii_case("System") && count == 0 {
        return Err(ArmError::invalid_parameter(
            "The value of parameter agentPoolProfile.count is invalid: a System pool needs at least 1 node.",
        ));
    }
    let autoscaling = match properties.get("enableAutoScaling") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(on)) => *on,
        Some(other) => {
            return Err(ArmError::invalid_parameter(format!(
                "The value of parameter agentPoolProfile.enableAutoScaling is invalid: {other}."
            )));
        }
    };
    let (min, max) = (number("minCount")?, number("maxCount")?);
    if !autoscaling {
        if min.is_some() || max.is_some() {
            return Err(ArmError::invalid_parameter(
                "Agent pool minCount and maxCount must be nil when enableAutoScaling is false.",
            ));
        }
        return Ok(());
    }
    let (Some(min), Some(max)) = (min, max) else {
        return Err(ArmError::invalid_parameter(
            "Agent pool minCount and maxCount are required when enableAutoScaling is true.",
        ));
    };
    if min > max {
        return Err(ArmError::invalid_parameter(format!(
            "Agent pool minCount ({min}) must be less than or equal to maxCount ({max})."
        )));
    }
    if count < min || count > max {
        return Err(ArmError::invalid_parameter(format!(
            "Agent pool count ({count}) must be within minCount ({min}) and maxCount ({max}) when enableAutoScaling is true."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pool() -> Map<String, Value> {
        match json!({"count": 3, "vmSize": "Standard_D8s_v5", "enableAutoScaling": false, "mode": "User"}) {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn body(value: Value) -> Vec<u8> {
        value.to_string().into_bytes()
    }

    #[test]
    fn a_count_change_keeps_the_rest_and_ignores_read_only_fields() {
        let after = put(
            &body(json!({"id": "/x", "name": "kfuse", "properties": {"count": 5, "provisioningState": "Succeeded", "eTag": "e"}})),
            Some(&pool()),
        )
        .unwrap();
        assert_eq!(after["count"], 5);
        assert_eq!(after["vmSize"], "Standard_D8s_v5");
        assert!(!after.contains_key("provisioningState"));
    }

    #[test]
    fn unknown_and_fixed_properties_are_refused() {
        let unknown = put(&body(json!({"properties": {"size": 5}})), Some(&pool())).unwrap_err();
        assert!(unknown.message.contains("properties.size"), "{unknown:?}");
        let fixed = put(
            &body(json!({"properties": {"vmSize": "Standard_D2s_v5"}})),
            Some(&pool()),
        )
        .unwrap_err();
        assert_eq!(fixed.code, "PropertyChangeNotAllowed");
        // The same value is no change.
        assert!(
            put(
                &body(json!({"properties": {"vmSize": "Standard_D8s_v5"}})),
                Some(&pool())
            )
            .is_ok()
        );
    }

    #[test]
    fn autoscaler_bounds_must_hold_the_count() {
        let on = |count: u64, min: u64, max: u64| {
            put(
                &body(
                    json!({"properties": {"count": count, "enableAutoScaling": true, "minCount": min, "maxCount": max}}),
                ),
                Some(&pool()),
            )
        };
        assert!(on(5, 3, 6).is_ok());
        assert!(on(7, 3, 6).unwrap_err().message.contains("within minCount"));
        assert!(on(5, 6, 3).is_err());
        let off_with_bounds = put(
            &body(json!({"properties": {"minCount": 1, "maxCount": 4}})),
            Some(&pool()),
        )
        .unwrap_err();
        assert!(off_with_bounds.message.contains("must be nil"), "{off_with_bounds:?}");
        // Clearing the bounds with the autoscaler.
        let mut scaled = pool();
        scaled.insert("enableAutoScaling".into(), json!(true));
        scaled.insert("minCount".into(), json!(1));
        scaled.insert("maxCount".into(), json!(5));
        let off = put(
            &body(json!({"properties": {"enableAutoScaling": false, "minCount": null, "maxCount": null}})),
            Some(&scaled),
        )
        .unwrap();
        assert!(!off.contains_key("minCount"));
    }

    #[test]
    fn counts_are_bounded() {
        assert!(put(&body(json!({"properties": {"count": 1001}})), Some(&pool())).is_err());
        assert!(put(&body(json!({"properties": {"count": -1}})), Some(&pool())).is_err());
        let mut system = pool();
        system.insert("mode".into(), json!("System"));
        assert!(put(&body(json!({"properties": {"count": 0}})), Some(&system)).is_err());
        assert!(put(&body(json!({"properties": {"count": 0}})), Some(&pool())).is_ok());
    }
}
