//! A fake of GKE's container.googleapis.com v1 for the node-pool calls kfscale makes: `clusters.get`
//! (with `nodePools[]`), `nodePools.get`, `nodePools.setSize`, `nodePools.setAutoscaling`,
//! `operations.get`. Operations go PENDING -> RUNNING -> DONE on the model clock; a pool's size is per
//! zone; a second mutation while an operation runs on the cluster gets 400 FAILED_PRECONDITION, and a
//! concurrent-operation quota gives 429. Field names follow `container.v1.json`; the real gcloud CLI is
//! the conformance client (tests/gke_gcloud.rs). See README.md, section "GKE".
mod api;
mod compute;
mod control;
mod enums;
mod errors;
mod faults;
mod json;
mod model;
mod requests;
mod seed;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;

pub use errors::ApiError;
pub use faults::Fault;
pub use seed::{AutoscalingSeed, ClusterSeed, NodePoolSeed, Seed, TaintSeed, Timing};
pub use state::RequestRecord;

use crate::clock::ModelClock;
use crate::scaffold::server::FakeServer;
use crate::scaffold::timefmt::Epoch;
use state::Shared;

/// A running fake; dropping it stops the server.
pub struct GkeFake {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl GkeFake {
    /// Serves `seed` on 127.0.0.1:`port` (0 = any free port) with its own model clock.
    pub async fn start(seed: &Seed, port: u16, clock: ModelClock) -> anyhow::Result<GkeFake> {
        let world = model::World::from_seed(seed, Epoch::now())
            .map_err(|e| anyhow::anyhow!("GKE fake seed is invalid: {e}"))?;
        let (server, shared) = FakeServer::start("GKE", port, |addr| {
            let shared = Arc::new(Shared::new(clock, format!("http://{addr}/"), world));
            let app: Router = api::routes()
                .merge(compute::routes())
                .merge(control::routes())
                .fallback(not_found)
                .with_state(shared.clone());
            Ok((app, shared))
        })
        .await?;
        Ok(GkeFake { server, shared })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The API base URL, ending in `/`: the value of `CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER`.
    pub fn api_url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn control_url(&self) -> String {
        format!("{}_control", self.shared.base)
    }

    /// The JSON line the binary prints.
    pub fn addresses(&self) -> serde_json::Value {
        serde_json::json!({"fake": "gke", "api": self.api_url(), "control": self.control_url()})
    }

    pub fn clock(&self) -> &ModelClock {
        &self.shared.clock
    }

    /// Mutating requests received so far, by API method id.
    pub fn mutations(&self) -> BTreeMap<String, u64> {
        self.shared.lock().desk.mutations.clone()
    }

    /// Every API request served so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().desk.requests.clone()
    }

    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().desk.faults.add(fault);
    }

    /// Per-zone sizes of a pool now (model advanced to the clock), if it exists.
    pub fn pool_sizes(&self, cluster: &str, pool: &str) -> Option<BTreeMap<String, u32>> {
        let (inner, _) = self.shared.world_now();
        let cluster = inner.world.clusters.iter().find(|c| c.name == cluster)?;
        Some(cluster.pools.iter().find(|p| p.name == pool)?.sizes.clone())
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

async fn not_found(uri: Uri) -> impl IntoResponse {
    let error = ApiError::not_found(uri.path());
    (StatusCode::NOT_FOUND, axum::Json(error.body()))
}
