//! Conformance of the Grafana fake's rules listing with Grafana's own definitions.
//!
//! The field lists are `conformance/grafana/fields.json`, extracted by
//! `conformance/grafana/extract_fields.py` from grafana/grafana at the commit recorded in the file
//! (05318dcca2a195ad2a4f975d34288c051d6cfd89), `pkg/services/ngalert/api/tooling/definitions/prom.go`:
//! every key of a response must be a field of its struct, and every field Go always writes (no
//! `omitempty`) must be there. The value sets come from `pkg/services/ngalert/api/api_prometheus.go`
//! (`RouteGetRuleStatuses`: rule state `inactive|pending|firing`, health `ok|error|nodata`) and
//! `eval.State` (an alert's state `Normal|Alerting|Pending|NoData|Error`).
use std::path::PathBuf;

use kfscale_fakes::grafana::{GrafanaFake, InstanceState, Seed};
use serde_json::Value;

const RULES: &str = "/api/prometheus/grafana/api/v1/rules";

fn shapes() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/grafana/fields.json");
    let text = std::fs::read_to_string(path).expect("committed field lists");
    serde_json::from_str::<Value>(&text).unwrap()["shapes"].clone()
}

fn check(shapes: &Value, shape: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        errors.push(format!("{at}: not an object"));
        return;
    };
    let fields: Vec<&str> = shapes[shape]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for key in object.keys() {
        if !fields.contains(&key.as_str()) {
            errors.push(format!("{at}: `{key}` is not a field of {shape}"));
        }
    }
    for always in shapes[shape]["always"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
    {
        if !object.contains_key(always) {
            errors.push(format!("{at}: {shape} always has `{always}`"));
        }
    }
}

async fn listing(fake: &GrafanaFake) -> Value {
    reqwest::get(format!("{}{RULES}", fake.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_rules_listing_has_grafanas_fields_and_values() {
    let fake = GrafanaFake::start(&Seed::example(), 0, None).await.unwrap();
    // One rule in each state the listing distinguishes.
    fake.set_rule("Pinot segments in error", InstanceState::Alerting, None)
        .unwrap();
    fake.set_rule("Kafka consumer lag high", InstanceState::Error, Some("query A failed"))
        .unwrap();
    fake.set_rule("Ingester not ready", InstanceState::NoData, None)
        .unwrap();
    fake.set_rule("Checkout latency p99", InstanceState::Pending, None)
        .unwrap();
    let body = listing(&fake).await;
    let shapes = shapes();
    let mut errors = Vec::new();
    check(&shapes, "RuleResponse", &body, "response", &mut errors);
    check(&shapes, "RuleDiscovery", &body["data"], "data", &mut errors);
    let mut states = Vec::new();
    for (g, group) in body["data"]["groups"].as_array().unwrap().iter().enumerate() {
        check(&shapes, "RuleGroup", group, &format!("groups[{g}]"), &mut errors);
        for (r, rule) in group["rules"].as_array().unwrap().iter().enumerate() {
            let at = format!("groups[{g}].rules[{r}]");
            check(&shapes, "AlertingRule", rule, &at, &mut errors);
            assert!(
                ["inactive", "pending", "firing"].contains(&rule["state"].as_str().unwrap()),
                "{at}"
            );
            assert!(
                ["ok", "error", "nodata"].contains(&rule["health"].as_str().unwrap()),
                "{at}"
            );
            assert_eq!(rule["type"], "alerting");
            for (a, alert) in rule["alerts"].as_array().unwrap().iter().enumerate() {
                check(&shapes, "Alert", alert, &format!("{at}.alerts[{a}]"), &mut errors);
                assert!(
                    ["Normal", "Alerting", "Pending", "NoData", "Error"].contains(&alert["state"].as_str().unwrap()),
                    "{at}"
                );
            }
            states.push((
                rule["name"].as_str().unwrap().to_string(),
                rule["state"].as_str().unwrap().to_string(),
                rule["health"].as_str().unwrap().to_string(),
                rule.get("lastError").and_then(Value::as_str).map(str::to_string),
            ));
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(body["status"], "success");
    let find = |name: &str| states.iter().find(|s| s.0 == name).cloned().unwrap();
    assert_eq!(find("Pinot segments in error").1, "firing");
    assert_eq!(
        find("Kafka consumer lag high"),
        (
            "Kafka consumer lag high".into(),
            "inactive".into(),
            "error".into(),
            Some("query A failed".into())
        )
    );
    assert_eq!(find("Ingester not ready").2, "nodata");
    assert_eq!(find("Checkout latency p99").1, "pending");
    assert_eq!(
        body["data"]["groups"][0]["file"], "Kloudfuse",
        "file is the folder's title"
    );

    fake.reset();
    let quiet = listing(&fake).await;
    assert!(
        quiet["data"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_array().unwrap())
            .all(|r| r["state"] == "inactive" && r["health"] == "ok" && r.get("lastError").is_none())
    );
    assert_eq!(fake.rules_requests(), 2);
}

#[tokio::test]
async fn a_token_is_demanded_when_set_and_control_changes_rules() {
    let fake = GrafanaFake::start(&Seed::example(), 0, Some("glsa_test".into()))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}{RULES}", fake.api_url());
    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(refused.json::<Value>().await.unwrap()["message"], "Unauthorized");
    let wrong = client.get(&url).bearer_auth("other").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let ok = client.get(&url).bearer_auth("glsa_test").send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);

    let control = format!("{}/rules", fake.control_url());
    let set = client
        .post(&control)
        .json(&serde_json::json!({"rule": "Ingester not ready", "state": "Alerting"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status().as_u16(), 200);
    let listed: Value = set.json().await.unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "Ingester not ready" && r["state"] == "Alerting")
    );
    let unknown = client
        .post(&control)
        .json(&serde_json::json!({"rule": "nope", "state": "Alerting"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let bad = client
        .post(&control)
        .json(&serde_json::json!({"rule": "Ingester not ready", "state": "Burning"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert_eq!(client.delete(&control).send().await.unwrap().status().as_u16(), 200);
}
