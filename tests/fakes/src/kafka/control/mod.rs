//! The control endpoint (HTTP, JSON, 127.0.0.1): what tests and the rig use to inspect the fake,
//! inject faults and move the model. Routes are listed in README.md ("Kafka").
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::kafka::model::replication::BrokerAwayTrigger;
use crate::kafka::shared::{Shared, lock};

pub mod faults;
pub mod mutations;
pub mod poll_clock;
pub mod requests;

use faults::FaultSpec;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_control/mutations", get(mutation_counts))
        .route("/_control/mutations/log", get(mutation_log))
        .route("/_control/requests", get(request_counts))
        .route(
            "/_control/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_control/faults/{id}", delete(remove_fault))
        .route("/_control/clock", get(clock))
        .route("/_control/clock/advance", post(advance_clock))
        .route("/_control/clock/poll", post(set_poll_clock).delete(clear_poll_clock))
        .route("/_control/state", get(state))
        .route("/_control/copies", get(copies))
        .route("/_control/brokers", get(brokers).post(broker_up))
        .route("/_control/brokers/{id}", delete(broker_down))
        .route("/_control/sizes", post(set_size))
        .route("/_control/rates/produce", post(set_produce_rate))
        .route("/_control/rates/consume", post(set_consume_rate))
        .route("/_control/commits", post(commit))
        .with_state(shared)
}

/// A 400 with `{"error": ...}`.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": self.0 }))).into_response()
    }
}

type Reply = Result<Json<Value>, BadRequest>;

async fn mutation_counts(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(lock(&shared.mutations).counts()))
}

async fn request_counts(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(lock(&shared.requests).counts()))
}

async fn mutation_log(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(lock(&shared.mutations).log()))
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let triggers = shared.with_cluster(|c| json!(c.triggers));
    Json(json!({ "requests": lock(&shared.faults).list(), "broker_away": triggers }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokerAwaySpec {
    broker: i32,
    #[serde(default)]
    after_copied_fraction: f64,
    #[serde(default)]
    back_after_seconds: Option<f64>,
}

/// A request fault (FaultSpec), or `{"broker_away": {"broker", "after_copied_fraction",
/// "back_after_seconds"}}`: the broker leaves mid-reassignment.
async fn add_fault(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Reply {
    if let Some(away) = body.get("broker_away") {
        let spec: BrokerAwaySpec = serde_json::from_value(away.clone()).map_err(|e| BadRequest(e.to_string()))?;
        if !(0.0..=1.0).contains(&spec.after_copied_fraction) {
            return Err(BadRequest("after_copied_fraction must be within 0..=1".into()));
        }
        let trigger = BrokerAwayTrigger {
            broker: spec.broker,
            after_copied_fraction: spec.after_copied_fraction,
            back_after_ms: spec.back_after_seconds.map(|s| (s * 1000.0).round() as u64),
        };
        shared.with_cluster(|c| {
            if c.brokers.contains_key(&spec.broker) {
                c.add_trigger(trigger);
                Ok(())
            } else {
                Err(BadRequest(format!("no broker {}", spec.broker)))
            }
        })?;
        shared.sync_listeners();
        return Ok(Json(json!({ "broker_away": spec.broker })));
    }
    let spec: FaultSpec = serde_json::from_value(body).map_err(|e| BadRequest(e.to_string()))?;
    let id = lock(&shared.faults).add(spec).map_err(BadRequest)?;
    Ok(Json(json!({ "id": id })))
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    lock(&shared.faults).clear();
    shared.with_cluster(|c| c.triggers.clear());
    Json(json!({ "cleared": true }))
}

async fn remove_fault(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Result<Json<Value>, StatusCode> {
    if lock(&shared.faults).remove(id) {
        Ok(Json(json!({ "removed": id })))
    } else {
        Err(StatusCode::NOT_FOUND)
    }
}

async fn clock(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "now_ms": shared.clock.now_ms(), "speed": shared.clock.speed() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollClockSpec {
    api: String,
    seconds: f64,
}

/// `{"api": "ListPartitionReassignments", "seconds": 5}`: the model clock moves on each such
/// request (see `poll_clock`).
async fn set_poll_clock(State(shared): State<Arc<Shared>>, Json(spec): Json<PollClockSpec>) -> Reply {
    let api = faults::api_key_by_name(&spec.api).ok_or_else(|| BadRequest(format!("unknown API {}", spec.api)))?;
    if !(spec.seconds.is_finite() && spec.seconds > 0.0) {
        return Err(BadRequest("seconds must be a positive number".into()));
    }
    let poll = poll_clock::PollClock {
        api_key: api as i16,
        interval_ms: (spec.seconds * 1000.0).round().max(1.0) as u64,
    };
    shared.set_poll_clock(Some(poll));
    Ok(Json(json!(poll)))
}

async fn clear_poll_clock(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.set_poll_clock(None);
    Json(json!({ "cleared": true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: Option<f64>,
    #[serde(default)]
    ms: Option<u64>,
}

/// Pushes the model clock forward and runs the model up to the new time (copies progress,
/// reassignments complete, offsets move) before answering.
async fn advance_clock(State(shared): State<Arc<Shared>>, Json(by): Json<Advance>) -> Reply {
    let ms = match (by.seconds, by.ms) {
        (Some(s), None) if s >= 0.0 => (s * 1000.0).round() as u64,
        (None, Some(ms)) => ms,
        _ => return Err(BadRequest("give either seconds (>= 0) or ms".into())),
    };
    shared.clock.advance(Duration::from_millis(ms));
    let now = shared.with_cluster(|c| c.now_ms);
    shared.sync_listeners();
    Ok(Json(json!({ "now_ms": now, "speed": shared.clock.speed() })))
}

async fn state(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut dump = shared.with_cluster(|c| {
        let mut dump = c.dump();
        dump["copies"] = json!(c.copies());
        dump
    });
    dump["mutations"] = json!(lock(&shared.mutations).counts());
    Json(dump)
}

async fn copies(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(shared.with_cluster(|c| json!(c.copies())))
}

async fn brokers(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(shared.with_cluster(|c| json!(c.brokers.values().collect::<Vec<_>>())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokerUp {
    id: i32,
    #[serde(default)]
    rack: Option<String>,
}

/// Adds a broker (or brings a fenced one back) and opens its listener.
async fn broker_up(State(shared): State<Arc<Shared>>, Json(up): Json<BrokerUp>) -> Json<Value> {
    let change = shared.with_cluster(|c| c.broker_up(up.id, up.rack));
    shared.sync_listeners();
    let broker = shared.with_cluster(|c| json!(c.brokers.get(&up.id)));
    Json(json!({ "change": format!("{change:?}"), "broker": broker }))
}

#[derive(Deserialize)]
struct DownQuery {
    #[serde(default)]
    unregister: bool,
}

/// Fences a broker (its pod went away) and closes its listener; `?unregister=true` also forgets it.
async fn broker_down(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<i32>,
    Query(q): Query<DownQuery>,
) -> Json<Value> {
    let change = shared.with_cluster(|c| {
        if q.unregister {
            c.unregister_broker(id)
        } else {
            c.broker_down(id)
        }
    });
    shared.sync_listeners();
    Json(json!({ "change": format!("{change:?}") }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Size {
    topic: String,
    #[serde(default)]
    partition: Option<i32>,
    bytes: i64,
}

async fn set_size(State(shared): State<Arc<Shared>>, Json(s): Json<Size>) -> Reply {
    let n = shared
        .with_cluster(|c| c.set_size(&s.topic, s.partition, s.bytes))
        .map_err(|e| BadRequest(e.to_string()))?;
    Ok(Json(json!({ "partitions": n })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProduceRate {
    topic: String,
    #[serde(default)]
    partition: Option<i32>,
    per_sec: f64,
}

async fn set_produce_rate(State(shared): State<Arc<Shared>>, Json(r): Json<ProduceRate>) -> Reply {
    let n = shared
        .with_cluster(|c| c.set_produce_rate(&r.topic, r.partition, r.per_sec))
        .map_err(|e| BadRequest(e.to_string()))?;
    Ok(Json(json!({ "partitions": n })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumeRate {
    group: String,
    topic: String,
    #[serde(default)]
    partition: Option<i32>,
    per_sec: f64,
}

async fn set_consume_rate(State(shared): State<Arc<Shared>>, Json(r): Json<ConsumeRate>) -> Reply {
    let n = shared
        .with_cluster(|c| c.set_consume_rate(&r.group, &r.topic, r.partition, r.per_sec))
        .map_err(|e| BadRequest(e.to_string()))?;
    Ok(Json(json!({ "partitions": n })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitOffset {
    group: String,
    topic: String,
    partition: i32,
    offset: i64,
}

async fn commit(State(shared): State<Arc<Shared>>, Json(c): Json<CommitOffset>) -> Reply {
    shared
        .with_cluster(|cluster| cluster.commit_offset(&c.group, &c.topic, c.partition, c.offset))
        .map_err(|e| BadRequest(e.to_string()))?;
    Ok(Json(json!({ "committed": c.offset })))
}
