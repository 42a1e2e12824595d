//! `/_control/`: the shared routes (mutations by ARM operation id, the request log, faults, the
//! model clock) and `GET /_control/pools`, what the rig's node provisioner mirrors into Nodes.
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

/// Every agent pool with the machines it runs now (`nodes`; `count` is what was last asked for),
/// its VM size, zones, node labels and taints. No auth and no faults, so the rig never trips over
/// a fault meant for kfscale.
async fn pools(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let (inner, _) = shared.world_now();
    let pools: Vec<Value> = inner
        .world
        .clusters
        .iter()
        .flat_map(|cluster| {
            cluster.pools.iter().map(move |pool| {
                json!({
                    "subscription": cluster.subscription,
                    "resourceGroup": cluster.resource_group,
                    "cluster": cluster.name,
                    "location": cluster.location,
                    "pool": pool.name,
                    "vmSize": pool.str_property("vmSize"),
                    "mode": pool.str_property("mode"),
                    "nodes": pool.nodes,
                    "count": pool.count(),
                    "zones": pool.zones(),
                    "provisioningState": pool.provisioning_state,
                    "enableAutoScaling": pool.properties.get("enableAutoScaling").cloned().unwrap_or(Value::Bool(false)),
                    "minCount": pool.properties.get("minCount"),
                    "maxCount": pool.properties.get("maxCount"),
                    "nodeLabels": pool.properties.get("nodeLabels").cloned().unwrap_or_else(|| json!({})),
                    "nodeTaints": pool.properties.get("nodeTaints").cloned().unwrap_or_else(|| json!([])),
                })
            })
        })
        .collect();
    Json(json!(pools))
}
