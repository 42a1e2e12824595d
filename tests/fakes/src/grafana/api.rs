//! `GET /api/prometheus/grafana/api/v1/rules`, as `RouteGetRuleStatuses` answers it: one group per
//! (folder, group) with `file` = the folder's title, each rule an `AlertingRule` (with the embedded
//! `Rule`'s fields), Go's `omitempty` honoured (empty `annotations`, `alerts`, `labels`, `lastError`
//! and a zero `duration` are left out).
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::Shared;
use super::model::{Group, InstanceState, RuleState, unix_now};
use crate::scaffold::timefmt;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/api/prometheus/grafana/api/v1/rules", get(rules))
}

async fn rules(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(token) = &shared.token {
        let sent = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(token.as_str()) {
            // Grafana's middleware answer to a missing or wrong token.
            return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthorized"}))).into_response();
        }
    }
    let mut rules = shared.lock();
    rules.requests += 1;
    let groups: Vec<Value> = rules.groups.iter().map(group).collect();
    Json(json!({"status": "success", "data": {"groups": groups}})).into_response()
}

fn group(group: &Group) -> Value {
    let rules: Vec<Value> = group.rules.iter().map(|r| rule(group, r)).collect();
    // The group takes its evaluation time from its last rule, as api_prometheus.go does.
    json!({
        "name": group.name,
        "file": group.folder,
        "rules": rules,
        "totals": null,
        "interval": group.interval_seconds as f64,
        "lastEvaluation": rfc3339(unix_now()),
        "evaluationTime": 0.002,
    })
}

fn rule(group: &Group, rule: &RuleState) -> Value {
    let seed = &rule.seed;
    let (state, health) = match rule.instance {
        InstanceState::Normal => ("inactive", "ok"),
        InstanceState::Pending => ("pending", "ok"),
        InstanceState::Alerting => ("firing", "ok"),
        InstanceState::NoData => ("inactive", "nodata"),
        InstanceState::Error => ("inactive", "error"),
    };
    let mut labels = seed.labels.clone();
    labels.insert("alertname".into(), seed.title.clone());
    labels.insert("grafana_folder".into(), group.folder.clone());
    let value = match rule.instance {
        InstanceState::Alerting | InstanceState::Pending => "1e+00",
        _ => "",
    };
    let alert = json!({
        "labels": labels,
        "annotations": seed.annotations,
        "state": format!("{:?}", rule.instance),
        "activeAt": rfc3339(rule.since),
        "value": value,
    });
    let mut out = Map::new();
    out.insert("state".into(), json!(state));
    out.insert("name".into(), json!(seed.title));
    out.insert("query".into(), json!(seed.query));
    if seed.for_seconds > 0 {
        out.insert("duration".into(), json!(seed.for_seconds as f64));
    }
    if !seed.annotations.is_empty() {
        out.insert("annotations".into(), json!(seed.annotations));
    }
    out.insert("alerts".into(), json!([alert]));
    if !seed.labels.is_empty() {
        out.insert("labels".into(), json!(seed.labels));
    }
    out.insert("health".into(), json!(health));
    if let Some(error) = &rule.error {
        out.insert("lastError".into(), json!(error));
    }
    out.insert("type".into(), json!("alerting"));
    out.insert("lastEvaluation".into(), json!(rfc3339(unix_now())));
    out.insert("evaluationTime".into(), json!(0.002));
    Value::Object(out)
}

/// Go's `time.Time` JSON form (RFC 3339, UTC, whole seconds here).
fn rfc3339(unix: u64) -> String {
    timefmt::rfc3339(Duration::from_secs(unix), 0)
}
