//! The `/_control/` routes every HTTP fake with a model clock answers alike (README, "Common
//! conventions"): `GET /_control/mutations`, `GET /_control/requests`, `GET|POST|DELETE
//! /_control/faults`, `GET /_control/clock`, `POST /_control/clock/advance {"seconds": N}`. A fake adds
//! its own routes beside them.
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::desk::Desk;
use super::faults::{OneOrMany, RequestFault};
use crate::clock::ModelClock;

/// What the shared control routes need of a fake's state.
pub trait Controlled: Send + Sync + 'static {
    type Fault: DeserializeOwned + Serialize + RequestFault;
    type Record: Serialize;

    fn clock(&self) -> &ModelClock;
    /// Runs the model up to the clock's reading; returns it (model ms).
    fn catch_up(&self) -> u64;
    /// Runs `f` on the fake's front desk (its counters and request faults), under the fake's lock.
    fn with_desk<T>(&self, f: impl FnOnce(&mut Desk<Self::Fault, Self::Record>) -> T) -> T;

    /// Stores each fault; a fake with immediate faults acts on those instead. An error is the reason a
    /// fault was refused.
    fn add_faults(&self, faults: Vec<Self::Fault>) -> Result<(), String> {
        self.with_desk(|desk| faults.into_iter().for_each(|fault| desk.faults.add(fault)));
        Ok(())
    }

    /// Clears the request faults; a fake whose faults act elsewhere undoes those too.
    fn clear_faults(&self) {
        self.with_desk(|desk| desk.faults.clear());
    }
}

pub fn routes<S: Controlled>() -> Router<Arc<S>> {
    Router::new()
        .route("/_control/mutations", get(mutations::<S>))
        .route("/_control/requests", get(requests::<S>))
        .route(
            "/_control/faults",
            get(list_faults::<S>).post(add_faults::<S>).delete(clear_faults::<S>),
        )
        .route("/_control/clock", get(clock::<S>))
        .route("/_control/clock/advance", post(advance::<S>))
}

/// A 400 with `{"error": ...}`, the control endpoint's refusal.
pub fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message.into()}))).into_response()
}

async fn mutations<S: Controlled>(State(fake): State<Arc<S>>) -> Json<Value> {
    Json(fake.with_desk(|desk| json!(desk.mutations)))
}

async fn requests<S: Controlled>(State(fake): State<Arc<S>>) -> Json<Value> {
    Json(fake.with_desk(|desk| json!(desk.requests)))
}

async fn list_faults<S: Controlled>(State(fake): State<Arc<S>>) -> Json<Value> {
    Json(fake.with_desk(|desk| json!(desk.faults.list())))
}

async fn add_faults<S: Controlled>(State(fake): State<Arc<S>>, body: axum::body::Bytes) -> Response {
    let faults = match serde_json::from_slice::<OneOrMany<S::Fault>>(&body) {
        Ok(faults) => faults.into_vec(),
        Err(e) => return bad_request(format!("bad fault: {e}")),
    };
    match fake.add_faults(faults) {
        Ok(()) => list_faults(State(fake)).await.into_response(),
        Err(message) => bad_request(message),
    }
}

async fn clear_faults<S: Controlled>(State(fake): State<Arc<S>>) -> Json<Value> {
    fake.clear_faults();
    Json(json!([]))
}

async fn clock<S: Controlled>(State(fake): State<Arc<S>>) -> Json<Value> {
    let clock = fake.clock();
    Json(json!({"modelMs": clock.now_ms(), "speed": clock.speed()}))
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

async fn advance<S: Controlled>(State(fake): State<Arc<S>>, Json(body): Json<Advance>) -> Response {
    if !(body.seconds.is_finite() && body.seconds >= 0.0) {
        return bad_request("seconds must be >= 0");
    }
    fake.clock().advance(Duration::from_secs_f64(body.seconds));
    Json(json!({"modelMs": fake.catch_up()})).into_response()
}
