//! `/_control/`: make a rule fire, error, lose its data or go quiet; reset; count requests.
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::model::InstanceState;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_control/rules", get(list).post(set).delete(reset))
        .route("/_control/requests", get(requests))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRule {
    /// The rule's title.
    rule: String,
    /// Normal, Alerting, Pending, NoData or Error.
    state: InstanceState,
    /// The evaluation error of an Error state.
    #[serde(default)]
    error: Option<String>,
}

async fn set(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let body: SetRule = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("bad rule change: {e}")})),
            )
                .into_response();
        }
    };
    let result = shared.lock().set(&body.rule, body.state, body.error);
    match result {
        Ok(()) => listed(&shared).into_response(),
        Err(message) => (StatusCode::NOT_FOUND, Json(json!({"error": message}))).into_response(),
    }
}

async fn list(State(shared): State<Arc<Shared>>) -> Json<Value> {
    listed(&shared)
}

/// Every rule with its folder, group and the state control gave it.
fn listed(shared: &Shared) -> Json<Value> {
    let rules = shared.lock();
    let shown: Vec<Value> = rules
        .groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().map(move |r| {
                json!({"folder": g.folder, "group": g.name, "rule": r.seed.title,
                       "state": r.instance, "error": r.error})
            })
        })
        .collect();
    Json(json!(shown))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.lock().reset();
    Json(json!([]))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"rules": shared.lock().requests}))
}
