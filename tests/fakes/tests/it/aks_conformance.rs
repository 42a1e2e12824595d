//! Conformance of the AKS fake's JSON with the ARM models the Azure CLI itself uses.
//!
//! Field lists: `conformance/aks/fields.json`, extracted by `conformance/aks/extract_fields.py` from
//! azure-mgmt-containerservice (the containerservice spec, api-version recorded in the file) and
//! azure-mgmt-resource (subscriptions), as installed with azure-cli by the rig. Every key of every
//! answer must be a field of its schema with the schema's JSON kind; the fake's own list of agent-pool
//! properties (what a PUT may carry, which are read-only) must be the model's. With
//! `KFSCALE_AZURE_CLI_PYTHON` (the rig's azure-cli venv), the extraction is re-run and the committed
//! copy must not have drifted.
use std::path::PathBuf;
use std::time::Duration;

use kfscale_fakes::aks::{AGENT_POOL_PROPERTIES, AGENT_POOL_READ_ONLY, AksFake};
use kfscale_fakes::clock::ModelClock;
use serde_json::{Value, json};

use crate::aks_common::{Arm, CLUSTER_PATH, SUBSCRIPTION, seed};

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/aks")
}

fn fields() -> Value {
    let text = std::fs::read_to_string(conformance_dir().join("fields.json")).expect("committed field lists");
    serde_json::from_str(&text).expect("field lists are JSON")
}

/// The schema a nested field of `schema` is written with, where the fake fills it.
fn nested(schema: &str, field: &str) -> Option<&'static str> {
    Some(match (schema, field) {
        ("AgentPool", "properties") => "ManagedClusterAgentPoolProfileProperties",
        ("ManagedClusterAgentPoolProfileProperties" | "ManagedClusterAgentPoolProfile", "powerState") => "PowerState",
        ("ManagedClusterAgentPoolProfileProperties" | "ManagedClusterAgentPoolProfile", "upgradeSettings") => {
            "AgentPoolUpgradeSettings"
        }
        ("ManagedCluster", "properties") => "ManagedClusterProperties",
        ("ManagedClusterProperties", "powerState") => "PowerState",
        ("ManagedClusterProperties", "agentPoolProfiles") => "ManagedClusterAgentPoolProfile",
        ("ErrorResponse" | "OperationStatusResult", "error") => "ErrorDetail",
        ("SubscriptionListResult", "value") => "Subscription",
        ("Subscription", "subscriptionPolicies") => "SubscriptionPolicies",
        _ => return None,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// Every problem of `value` against `schema`, with its path.
fn problems(fields: &Value, schema: &str, value: &Value, path: &str) -> Vec<String> {
    let Some(known) = fields["schemas"][schema].as_object() else {
        return vec![format!("{path}: no schema {schema} in fields.json")];
    };
    let Some(object) = value.as_object() else {
        return vec![format!("{path}: {schema} must be an object, got {value}")];
    };
    let mut found = Vec::new();
    for (key, field) in object {
        let at = format!("{path}.{key}");
        let Some(spec) = known.get(key) else {
            found.push(format!("{at}: not a field of {schema}"));
            continue;
        };
        let (want, got) = (spec["kind"].as_str().unwrap_or_default(), kind(field));
        if want != got && !(want == "number" && got == "integer") {
            found.push(format!("{at}: {schema} has it as {want}, the fake wrote {got}"));
        }
        if let Some(inner) = nested(schema, key) {
            match field {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        found.extend(problems(fields, inner, item, &format!("{at}[{i}]")));
                    }
                }
                other => found.extend(problems(fields, inner, other, &at)),
            }
        }
    }
    found
}

fn assert_conforms(fields: &Value, schema: &str, value: &Value) {
    let found = problems(fields, schema, value, schema);
    assert!(found.is_empty(), "{}\nin {value:#}", found.join("\n"));
}

#[tokio::test]
async fn every_answer_is_written_with_the_models_fields() {
    let fields = fields();
    let fake = AksFake::start(&seed(30.0), 0, ModelClock::new(0.0)).await.unwrap();
    let arm = Arm::new(&fake.api_url());

    for pool in ["system", "kfuse", "auto"] {
        assert_conforms(&fields, "AgentPool", &arm.get(&Arm::pool_path(pool)).await.body);
    }
    let list = arm.get(&format!("{CLUSTER_PATH}/agentPools")).await.body;
    for pool in list["value"].as_array().unwrap() {
        assert_conforms(&fields, "AgentPool", pool);
    }
    assert_conforms(&fields, "ManagedCluster", &arm.get(CLUSTER_PATH).await.body);
    assert_conforms(&fields, "SubscriptionListResult", &arm.get("subscriptions").await.body);

    let put = arm.update_pool("kfuse", json!({"count": 4})).await;
    assert_conforms(&fields, "AgentPool", &put.body);
    let status_url = put.header("azure-asyncoperation").unwrap().to_string();
    assert_conforms(&fields, "OperationStatusResult", &arm.get(&status_url).await.body);
    assert_conforms(
        &fields,
        "ErrorResponse",
        &arm.update_pool("auto", json!({"count": 3})).await.body,
    );
    fake.clock().advance(Duration::from_secs(30));
    assert_conforms(&fields, "OperationStatusResult", &arm.get(&status_url).await.body);

    fake.add_fault(serde_json::from_value(json!({"kind": "operation_error", "count": 1})).unwrap());
    let failing = arm.update_pool("kfuse", json!({"count": 5})).await;
    fake.clock().advance(Duration::from_secs(30));
    let failed = arm.get(failing.header("azure-asyncoperation").unwrap()).await.body;
    assert_eq!(failed["status"], "Failed");
    assert_conforms(&fields, "OperationStatusResult", &failed);
    for error in [
        arm.get(&Arm::pool_path("none")).await.body,
        arm.get(&format!("subscriptions/{SUBSCRIPTION}/resourceGroups/none/providers/Microsoft.ContainerService/managedClusters/kfuse")).await.body,
        arm.update_pool("kfuse", json!({"vmSize": "Standard_D2s_v5"})).await.body,
    ] {
        assert_conforms(&fields, "ErrorResponse", &error);
    }
    fake.stop().await;
}

#[test]
fn the_fakes_property_lists_are_the_models() {
    let fields = fields();
    let properties = fields["schemas"]["ManagedClusterAgentPoolProfileProperties"]
        .as_object()
        .unwrap();
    let model: Vec<&str> = properties.keys().map(String::as_str).collect();
    let mut fake: Vec<&str> = AGENT_POOL_PROPERTIES.to_vec();
    fake.sort_unstable();
    assert_eq!(
        fake, model,
        "update src/aks/body.rs PROPERTIES from conformance/aks/fields.json"
    );
    let read_only: Vec<&str> = properties
        .iter()
        .filter(|(_, spec)| spec["readOnly"] == true)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(AGENT_POOL_READ_ONLY, read_only.as_slice());
}

#[test]
fn the_checker_catches_unknown_fields_and_wrong_kinds() {
    let fields = fields();
    let bad = json!({"name": "p", "properties": {"count": "3", "size": 1, "powerState": {"code": 1}}});
    let found = problems(&fields, "AgentPool", &bad, "AgentPool");
    assert_eq!(found.len(), 3, "{found:?}");
}

/// The rig's azure-cli venv carries the models; its env file names its Python.
#[test]
fn committed_field_lists_match_the_models() {
    let python = std::env::var_os("KFSCALE_AZURE_CLI_PYTHON").expect(
        "KFSCALE_AZURE_CLI_PYTHON must name the azure-cli venv's python: run the tests through scripts/test (the rig installs azure-cli)",
    );
    let output = std::process::Command::new(&python)
        .arg(conformance_dir().join("extract_fields.py"))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", PathBuf::from(&python).display()));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let extracted: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        extracted,
        fields(),
        "refresh conformance/aks/fields.json with extract_fields.py"
    );
}
