//! `/_control/`: what tests and the rig ask of the fake besides the container API (README "GKE").
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::faults::Fault;
use super::state::{RequestRecord, Shared};
use crate::clock::ModelClock;
use crate::scaffold::control::{self, Controlled};
use crate::scaffold::desk::Desk;

pub fn routes() -> Router<Arc<Shared>> {
    control::routes::<Shared>().route("/_control/pools", get(pools))
}

impl Controlled for Shared {
    type Fault = Fault;
    type Record = RequestRecord;

    fn clock(&self) -> &ModelClock {
        &self.clock
    }

    fn catch_up(&self) -> u64 {
        self.world_now().1
    }

    fn with_desk<T>(&self, f: impl FnOnce(&mut Desk<Fault, RequestRecord>) -> T) -> T {
        f(&mut self.lock().desk)
    }
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
