//! `/_control/`: what tests and the rig ask of the fake besides the container API (README "GKE").
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::Fault;
use super::state::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_control/mutations", get(mutations))
        .route("/_control/requests", get(requests))
        .route(
            "/_control/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/_control/clock", get(clock))
        .route("/_control/clock/advance", post(advance))
        .route("/_control/pools", get(pools))
}

async fn mutations(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(shared.lock().mutations))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(shared.lock().requests))
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(shared.lock().faults.list()))
}

/// One fault object or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum FaultsBody {
    One(Fault),
    Many(Vec<Fault>),
}

async fn add_faults(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let faults = match serde_json::from_slice::<FaultsBody>(&body) {
        Ok(FaultsBody::One(fault)) => vec![fault],
        Ok(FaultsBody::Many(faults)) => faults,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("bad fault: {e}")})),
            )
                .into_response();
        }
    };
    let mut inner = shared.lock();
    for fault in faults {
        inner.faults.add(fault);
    }
    Json(json!(inner.faults.list())).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.lock().faults.clear();
    Json(json!([]))
}

async fn clock(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"modelMs": shared.clock.now_ms(), "speed": shared.clock.speed()}))
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

async fn advance(State(shared): State<Arc<Shared>>, Json(body): Json<Advance>) -> Response {
    if !(body.seconds.is_finite() && body.seconds >= 0.0) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "seconds must be >= 0"}))).into_response();
    }
    shared.clock.advance(Duration::from_secs_f64(body.seconds));
    let (inner, now) = shared.world_now();
    drop(inner);
    Json(json!({"modelMs": now})).into_response()
}

/// Every pool with its size per zone now: what the rig's node provisioner mirrors into Kubernetes nodes
/// (cheap, no auth, no faults, so the rig never trips over a fault meant for kfscale).
async fn pools(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let (inner, _) = shared.world_now();
    let pools: Vec<Value> = inner
        .world
        .clusters
        .iter()
        .flat_map(|cluster| {
            cluster.pools.iter().map(move |pool| {
                json!({
                    "project": cluster.project,
                    "location": cluster.location,
                    "cluster": cluster.name,
                    "pool": pool.name,
                    "machineType": pool.machine_type,
                    "zones": pool.sizes,
                    "total": pool.sizes.values().sum::<u32>(),
                    "labels": pool.labels,
                    "taints": pool.taints,
                    "autoscaling": pool.autoscaling,
                })
            })
        })
        .collect();
    Json(json!(pools))
}
