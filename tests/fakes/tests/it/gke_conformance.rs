//! Conformance of the GKE fake's JSON with the container API's discovery document.
//!
//! Field lists: `conformance/gke/container.v1.fields.json`, extracted by `conformance/gke/extract_fields.py`
//! from `googleapiclient/discovery_cache/documents/container.v1.json` in the PyPI package
//! google-api-python-client 2.202.0 (revision recorded in the file). Every key of every response must be a
//! field of its schema, with the discovery document's JSON type (int32 as a number, int64 as a string,
//! enums from the enum list). When `KFSCALE_CONTAINER_V1_JSON` names the full document, the test also
//! re-extracts the lists from it and fails if the committed copy drifted.
use std::path::PathBuf;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{Fault, GkeFake, Seed};
use serde_json::{Map, Value, json};

fn fields() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/gke/container.v1.fields.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("committed field lists")).expect("field lists are JSON")
}

/// A seed that makes the fake fill every field it knows: autoscaling, labels, taints, two clusters.
fn rich_seed() -> Seed {
    serde_json::from_value(json!({
        "project": "kf-conf",
        "clusters": [
            {
                "name": "regional",
                "location": "europe-west1",
                "locations": ["europe-west1-b", "europe-west1-c", "europe-west1-d"],
                "nodePools": [{
                    "name": "data",
                    "machineType": "n2-standard-8",
                    "initialNodeCount": 1,
                    "autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 4},
                    "labels": {"kf_role": "ingestion"},
                    "taints": [{"key": "kf_role", "value": "ingestion", "effect": "NO_SCHEDULE"}]
                }]
            },
            {
                "name": "zonal",
                "location": "europe-west1-b",
                "nodePools": [{"name": "default-pool", "machineType": "e2-standard-4", "initialNodeCount": 3}]
            }
        ]
    }))
    .unwrap()
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth("test-token")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth("test-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test]
async fn every_response_field_is_in_the_discovery_document() {
    let fields = fields();
    let schemas = fields["schemas"].as_object().unwrap();
    let clock = ModelClock::new(0.0);
    let fake = GkeFake::start(&rich_seed(), 0, clock.clone()).await.unwrap();
    let client = Client {
        http: reqwest::Client::new(),
        base: fake.api_url(),
    };
    let regional = "v1/projects/kf-conf/locations/europe-west1/clusters/regional";
    let mut checked = Vec::new();

    let mut check = |schema: &str, what: &str, value: &Value| {
        let mut errors = Vec::new();
        check_object(schemas, schema, value, what, &mut errors);
        assert!(
            errors.is_empty(),
            "{what} does not match {schema}:\n{}",
            errors.join("\n")
        );
        checked.push(what.to_string());
    };

    let (code, cluster) = client.get(regional).await;
    assert_eq!(code, 200);
    check("Cluster", "clusters.get", &cluster);
    let (_, list) = client.get("v1/projects/kf-conf/locations/-/clusters").await;
    check("ListClustersResponse", "clusters.list", &list);
    let (_, pool) = client.get(&format!("{regional}/nodePools/data")).await;
    check("NodePool", "nodePools.get", &pool);
    assert_eq!(pool["autoscaling"]["maxNodeCount"], 4, "int32 fields are JSON numbers");
    let (_, pools) = client.get(&format!("{regional}/nodePools")).await;
    check("ListNodePoolsResponse", "nodePools.list", &pools);
    let (_, zonal_pool) = client
        .get("v1/projects/kf-conf/zones/europe-west1-b/clusters/zonal/nodePools/default-pool")
        .await;
    check("NodePool", "zones.nodePools.get", &zonal_pool);

    let (code, op) = client
        .post(&format!("{regional}/nodePools/data:setSize"), json!({"nodeCount": 3}))
        .await;
    assert_eq!(code, 200);
    check("Operation", "setSize (PENDING)", &op);
    let op_path = format!(
        "v1/projects/kf-conf/locations/europe-west1/operations/{}",
        op["name"].as_str().unwrap()
    );
    clock.advance(std::time::Duration::from_secs(10));
    let (_, running) = client.get(&op_path).await;
    assert_eq!(running["status"], "RUNNING");
    check("Operation", "operations.get (RUNNING)", &running);
    clock.advance(std::time::Duration::from_secs(600));
    let (_, done) = client.get(&op_path).await;
    assert_eq!(done["status"], "DONE");
    check("Operation", "operations.get (DONE)", &done);

    fake.add_fault(Fault::OperationError {
        status: "RESOURCE_EXHAUSTED".into(),
        message: "stockout".into(),
        count: Some(1),
    });
    let body = json!({"autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 6}});
    let (_, op) = client
        .post(&format!("{regional}/nodePools/data:setAutoscaling"), body)
        .await;
    check("Operation", "setAutoscaling", &op);
    clock.advance(std::time::Duration::from_secs(600));
    let (_, failed) = client
        .get(&format!(
            "v1/projects/kf-conf/locations/europe-west1/operations/{}",
            op["name"].as_str().unwrap()
        ))
        .await;
    assert_eq!(failed["error"]["code"], 8, "google.rpc.Code of RESOURCE_EXHAUSTED");
    check("Operation", "operations.get (DONE with error)", &failed);

    assert_eq!(checked.len(), 10);
    fake.stop().await;
}

#[tokio::test]
async fn error_bodies_have_googles_shape() {
    let fake = GkeFake::start(&rich_seed(), 0, ModelClock::new(0.0)).await.unwrap();
    let client = Client {
        http: reqwest::Client::new(),
        base: fake.api_url(),
    };
    let regional = "v1/projects/kf-conf/locations/europe-west1/clusters/regional";
    let (code, not_found) = client
        .get("v1/projects/kf-conf/locations/europe-west1/clusters/nope")
        .await;
    assert_eq!(code, 404);
    let (_, _) = client
        .post(&format!("{regional}/nodePools/data:setSize"), json!({"nodeCount": 2}))
        .await;
    let (code, busy) = client
        .post(&format!("{regional}/nodePools/data:setSize"), json!({"nodeCount": 2}))
        .await;
    assert_eq!(code, 400);
    let unauthenticated = reqwest::get(format!("{}{regional}", fake.api_url())).await.unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let unauthenticated: Value = unauthenticated.json().await.unwrap();
    for (body, status) in [
        (&not_found, "NOT_FOUND"),
        (&busy, "FAILED_PRECONDITION"),
        (&unauthenticated, "UNAUTHENTICATED"),
    ] {
        let error = body["error"]
            .as_object()
            .unwrap_or_else(|| panic!("no `error` object in {body}"));
        let keys: Vec<&str> = error.keys().map(String::as_str).collect();
        assert_eq!(keys, ["code", "message", "status"], "{body}");
        assert_eq!(error["status"], status);
        assert!(error["code"].is_u64());
    }
    fake.stop().await;
}

/// The rig's venv carries google-api-python-client; its env file names the discovery document.
#[test]
fn committed_field_lists_match_the_discovery_document() {
    let path = std::env::var_os("KFSCALE_CONTAINER_V1_JSON").expect(
        "KFSCALE_CONTAINER_V1_JSON must name container.v1.json: run the tests through scripts/test (the rig's venv has it)",
    );
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let committed = fields();
    assert_eq!(
        committed["revision"], document["revision"],
        "refresh conformance/gke with extract_fields.py"
    );
    for (name, committed_fields) in committed["schemas"].as_object().unwrap() {
        let properties = document["schemas"][name]["properties"].as_object().unwrap();
        let mut extracted = Map::new();
        for (field, property) in properties {
            let mut out = Map::new();
            let items = &property["items"];
            let values = &property["additionalProperties"];
            for (key, value) in [
                ("type", property.get("type")),
                ("format", property.get("format")),
                ("ref", property.get("$ref")),
                ("items", items.get("$ref").or(items.get("type"))),
                ("values", values.get("$ref").or(values.get("type"))),
                ("enum", property.get("enum")),
            ] {
                if let Some(value) = value {
                    out.insert(key.to_string(), value.clone());
                }
            }
            extracted.insert(field.clone(), Value::Object(out));
        }
        assert_eq!(
            &Value::Object(extracted),
            committed_fields,
            "schema {name} drifted from {}",
            path.display()
        );
    }
}

#[test]
fn the_checker_catches_unknown_fields_wrong_types_and_bad_enums() {
    let fields = fields();
    let schemas = fields["schemas"].as_object().unwrap();
    let mut errors = Vec::new();
    let pool = json!({"name": "p", "nodeCount": 3, "initialNodeCount": "3", "status": "GREEN", "config": {"labels": {"a": 1}}});
    check_object(schemas, "NodePool", &pool, "pool", &mut errors);
    let text = errors.join("\n");
    assert!(text.contains("`nodeCount` is not a field of NodePool"), "{text}");
    assert!(
        text.contains("pool.initialNodeCount: \"3\" is not a JSON integer"),
        "{text}"
    );
    assert!(text.contains("pool.status: \"GREEN\" is not one of"), "{text}");
    assert!(text.contains("pool.config.labels[a]: 1 is not a JSON string"), "{text}");
    assert_eq!(errors.len(), 4, "{text}");
}

const PRIMITIVES: &[&str] = &["string", "integer", "number", "boolean", "object", "array", "any"];

fn check_object(schemas: &Map<String, Value>, schema: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(fields) = schemas.get(schema).and_then(Value::as_object) else {
        errors.push(format!(
            "{path}: schema {schema} is not in the extracted lists (add it to extract_fields.py)"
        ));
        return;
    };
    let Some(object) = value.as_object() else {
        errors.push(format!("{path}: expected an object of {schema}, got {value}"));
        return;
    };
    for (key, value) in object {
        let path = format!("{path}.{key}");
        match fields.get(key) {
            None => errors.push(format!("{path}: `{key}` is not a field of {schema}")),
            Some(field) => check_field(schemas, field, value, &path, errors),
        }
    }
}

fn check_field(schemas: &Map<String, Value>, field: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(schema) = field["ref"].as_str() {
        return check_object(schemas, schema, value, path, errors);
    }
    let kind = field["type"].as_str().unwrap_or("any");
    check_value(schemas, kind, field["format"].as_str(), value, path, errors);
    if let Some(values) = field["enum"].as_array()
        && !values.contains(value)
    {
        errors.push(format!("{path}: {value} is not one of {values:?}"));
    }
    let element = |name: &str, value: &Value, path: &str, errors: &mut Vec<String>| {
        if PRIMITIVES.contains(&name) {
            check_value(schemas, name, None, value, path, errors);
        } else {
            check_object(schemas, name, value, path, errors);
        }
    };
    if let (Some(items), Some(array)) = (field["items"].as_str(), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            element(items, item, &format!("{path}[{index}]"), errors);
        }
    }
    if let (Some(values), Some(map)) = (field["values"].as_str(), value.as_object()) {
        for (key, item) in map {
            element(values, item, &format!("{path}[{key}]"), errors);
        }
    }
}

fn check_value(
    _schemas: &Map<String, Value>,
    kind: &str,
    format: Option<&str>,
    value: &Value,
    path: &str,
    errors: &mut Vec<String>,
) {
    let ok = match (kind, format) {
        ("string", _) => value.is_string(),
        ("integer", Some("int64" | "uint64")) => value.as_str().is_some_and(|s| s.parse::<i128>().is_ok()),
        ("integer", _) => value.is_i64() || value.is_u64(),
        ("number", _) => value.is_number(),
        ("boolean", _) => value.is_boolean(),
        ("array", _) => value.is_array(),
        ("object", _) => value.is_object(),
        _ => true,
    };
    if !ok {
        errors.push(format!(
            "{path}: {value} is not a JSON {kind}{}",
            format.map(|f| format!(" ({f})")).unwrap_or_default()
        ));
    }
}
