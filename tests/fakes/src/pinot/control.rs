//! `/_control/`: counters, the request log, faults, the model clock, servers joining, a state summary,
//! the consumers of CONSUMING segments.
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::cluster::{ERROR, state_name};
use super::consuming::{ConsumerSetting, ServerAnswer};
use super::faults::Fault;
use super::servers;
use super::state::{Inner, RequestRecord, Shared};
use crate::clock::ModelClock;
use crate::scaffold::control::{self, Controlled};
use crate::scaffold::desk::Desk;

pub fn routes() -> Router<Arc<Shared>> {
    control::routes::<Shared>()
        .route("/_control/servers", post(server))
        .route("/_control/tables", get(tables))
        .route("/_control/consumers", post(consumer).delete(reset_consumers))
        .route("/_control/consumers/servers", post(consumer_server))
}

impl Controlled for Shared {
    type Fault = Fault;
    type Record = RequestRecord;

    fn clock(&self) -> &ModelClock {
        &self.clock
    }

    fn catch_up(&self) -> u64 {
        self.now().1
    }

    fn with_desk<T>(&self, f: impl FnOnce(&mut Desk<Fault, RequestRecord>) -> T) -> T {
        f(&mut self.lock().desk)
    }

    fn add_faults(&self, faults: Vec<Fault>) -> Result<(), String> {
        let (mut inner, now) = self.now();
        faults.into_iter().try_for_each(|fault| apply(&mut inner, fault, now))
    }

    fn clear_faults(&self) {
        let (mut inner, now) = self.now();
        clear(&mut inner, now);
    }
}

/// Stores a request fault, or acts on an immediate one.
pub fn apply(inner: &mut Inner, fault: Fault, now: u64) -> Result<(), String> {
    let controller = &mut inner.controller;
    match fault {
        Fault::StallJob { table } => {
            for job in controller
                .jobs
                .iter_mut()
                .filter(|j| j.in_progress() && table.as_ref().is_none_or(|t| &j.table == t))
            {
                job.stalled = true;
            }
        }
        Fault::StallLoading { table } => {
            let names: Vec<String> = controller
                .cluster
                .tables
                .keys()
                .filter(|n| table.as_ref().is_none_or(|t| *n == t))
                .cloned()
                .collect();
            if names.is_empty() {
                return Err(format!("no table {table:?}"));
            }
            for name in names {
                controller.cluster.stall(&name, true, now);
            }
        }
        Fault::Restart { seconds } => {
            controller.restart();
            let seconds = seconds.unwrap_or(controller.cluster.timing.restart_seconds);
            inner.down_until_ms = Some(now + (seconds * 1000.0) as u64);
        }
        Fault::BadSegment {
            table,
            segment,
            instance,
        } => {
            let found = controller
                .cluster
                .tables
                .get_mut(&table)
                .ok_or_else(|| format!("no table {table}"))?;
            let segment = segment
                .or_else(|| found.ideal.keys().next().cloned())
                .ok_or("the table has no segments")?;
            let replicas = found
                .ideal
                .get(&segment)
                .ok_or_else(|| format!("no segment {segment}"))?;
            let instance = instance
                .or_else(|| replicas.keys().next().cloned())
                .ok_or("the segment has no replicas")?;
            found.pending.remove(&(segment.clone(), instance.clone()));
            found
                .external
                .entry(segment)
                .or_default()
                .insert(instance, ERROR.to_string());
        }
        request_fault => inner.desk.faults.add(request_fault),
    }
    Ok(())
}

/// Clears every fault: request faults go, stalls resume, ERROR replicas recover.
pub fn clear(inner: &mut Inner, now: u64) {
    inner.desk.faults.clear();
    let controller = &mut inner.controller;
    for job in &mut controller.jobs {
        job.stalled = false;
    }
    let names: Vec<String> = controller.cluster.tables.keys().cloned().collect();
    for name in names {
        controller.cluster.stall(&name, false, now);
        let table = controller
            .cluster
            .tables
            .get_mut(&name)
            .expect("names were just listed");
        for (segment, replicas) in table.external.iter_mut() {
            for (instance, state) in replicas.iter_mut() {
                if state == ERROR {
                    let wanted = table
                        .ideal
                        .get(segment)
                        .and_then(|m| m.get(instance))
                        .map(|s| state_name(s))
                        .unwrap_or("ONLINE");
                    *state = wanted.to_string();
                }
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerPod {
    pod: String,
    #[serde(default = "yes")]
    ready: bool,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// What the pod watcher does, for a rig or test without one: a server pod is Ready or gone.
async fn server(State(shared): State<Arc<Shared>>, Json(body): Json<ServerPod>) -> Response {
    let (mut inner, now) = shared.now();
    let namespace = inner.namespace.clone();
    let name = servers::set_pod(
        &mut inner.controller.cluster,
        &namespace,
        &body.pod,
        body.ready,
        body.tags,
        now,
    );
    Json(json!({"instance": name, "live": inner.controller.cluster.live(&name)})).into_response()
}

/// Per table: segment status counts, whether the external view matches the ideal state, the servers.
async fn tables(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let (inner, _) = shared.now();
    let mut answer = serde_json::Map::new();
    for (name, table) in &inner.controller.cluster.tables {
        let mut counts = json!({"GOOD": 0, "BAD": 0, "UPDATING": 0});
        for (segment, wanted) in &table.ideal {
            let shown = table.external.get(segment);
            let status = match shown {
                Some(m) if m.values().any(|s| s == ERROR) => "BAD",
                Some(m) if m == wanted => "GOOD",
                _ => "UPDATING",
            };
            counts[status] = json!(counts[status].as_u64().unwrap_or(0) + 1);
        }
        let servers: std::collections::BTreeSet<&String> = table.ideal.values().flat_map(|m| m.keys()).collect();
        answer.insert(
            name.clone(),
            json!({"segments": counts, "converged": table.converged(), "servers": servers, "stalled": table.stalled_since.is_some()}),
        );
    }
    Json(Value::Object(answer))
}

/// A partition's consumers stalled, behind or stopped (one setting or a list).
#[derive(Deserialize)]
#[serde(untagged)]
enum Settings {
    One(ConsumerSetting),
    Many(Vec<ConsumerSetting>),
}

async fn consumer(State(shared): State<Arc<Shared>>, Json(body): Json<Settings>) -> Response {
    let settings = match body {
        Settings::One(one) => vec![one],
        Settings::Many(many) => many,
    };
    let (mut inner, now) = shared.now();
    let wall = inner.controller.wall(now);
    let inner = &mut *inner;
    for setting in settings {
        if let Err(err) = inner.consumers.set(setting, &inner.controller.cluster, wall) {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": err}))).into_response();
        }
    }
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSetting {
    server: String,
    answer: ServerAnswer,
}

async fn consumer_server(State(shared): State<Arc<Shared>>, Json(body): Json<ServerSetting>) -> Json<Value> {
    shared.lock().consumers.set_server(body.server, body.answer);
    Json(json!({"ok": true}))
}

async fn reset_consumers(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.lock().consumers.reset();
    Json(json!({"ok": true}))
}
