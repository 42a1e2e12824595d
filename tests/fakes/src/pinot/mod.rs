//! A fake of the Apache Pinot controller REST API for what kfscale does: health, tables and their
//! configs, instances and tags, ideal state / external view / segment status, and table rebalances
//! (dry run with pre-checks and summary, downtime, tracked jobs with progress on the model clock, 409 on
//! a concurrent rebalance, cancel, the RebalanceChecker's retries), and the consumers of CONSUMING
//! segments (consumingSegmentsInfo: fresh by default, stalled or behind as tests set them). Behaviour and field names follow the
//! apache/pinot sources named in README.md, section "Pinot"; tests/pinot_conformance.rs checks every
//! response shape against field lists extracted from them.
mod api;
mod assignment;
mod cluster;
mod consuming;
mod control;
mod engine;
mod faults;
mod jobs;
mod names;
mod next_step;
mod params;
mod prechecks;
mod rebalance;
mod seed;
mod seeding;
mod servers;
mod state;
mod summary;
mod table_config;
mod watcher;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::response::IntoResponse;
use tokio::task::JoinHandle;

pub use consuming::{ConsumerSetting, ServerAnswer};
pub use faults::Fault;
pub use names::TableType;
pub use params::PARAMETERS as REBALANCE_PARAMETERS;
pub use seed::{DiskSeed, InstanceSeed, Seed, TableSeed, Timing};
pub use state::RequestRecord;
pub use watcher::{PodView, ServerPods, apply_event, pod_view};

use crate::clock::ModelClock;
use crate::scaffold::server::FakeServer;
use state::{PinotError, Shared};

/// A running fake; dropping it stops the server.
pub struct PinotFake {
    server: FakeServer,
    shared: Arc<Shared>,
}

/// A cheap clonable handle for the pod watcher and other background helpers.
#[derive(Clone)]
pub struct PinotHandle(Arc<Shared>);

impl ServerPods for PinotHandle {
    fn set_pod(&self, pod: &str, ready: bool) {
        let (mut inner, now) = self.0.now();
        let namespace = inner.namespace.clone();
        servers::set_pod(&mut inner.controller.cluster, &namespace, pod, ready, None, now);
    }
}

impl PinotFake {
    /// Serves `seed` on 127.0.0.1:`port` (0 = any free port).
    pub async fn start(seed: &Seed, port: u16, clock: ModelClock) -> anyhow::Result<PinotFake> {
        let cluster = seeding::build(seed).map_err(|e| anyhow::anyhow!("Pinot fake seed is invalid: {e}"))?;
        // Pinot reports wall-clock milliseconds; model time zero is now.
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let controller = engine::Controller::new(cluster, epoch_ms);
        let (server, shared) = FakeServer::start("Pinot", port, |addr| {
            let shared = Arc::new(Shared::new(
                clock,
                format!("http://{addr}"),
                controller,
                seed.namespace.clone(),
            ));
            let app: Router = api::routes()
                .merge(control::routes())
                .fallback(not_found)
                .with_state(shared.clone());
            Ok((app, shared))
        })
        .await?;
        Ok(PinotFake { server, shared })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The controller URL (no trailing slash), like `http://pinot-controller:9000`.
    pub fn api_url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn control_url(&self) -> String {
        format!("{}/_control", self.shared.base)
    }

    /// The JSON line the binary prints.
    pub fn addresses(&self) -> serde_json::Value {
        serde_json::json!({"fake": "pinot", "api": self.api_url(), "control": self.control_url()})
    }

    pub fn clock(&self) -> &ModelClock {
        &self.shared.clock
    }

    pub fn handle(&self) -> PinotHandle {
        PinotHandle(self.shared.clone())
    }

    /// Mutating requests received, by endpoint id (`rebalance`, `cancelRebalance`, `updateTags`).
    pub fn mutations(&self) -> BTreeMap<String, u64> {
        self.shared.lock().desk.mutations.clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().desk.requests.clone()
    }

    /// Adds a fault (request faults) or applies it (immediate ones), as `POST /_control/faults` does.
    pub fn fault(&self, fault: Fault) -> anyhow::Result<()> {
        let (mut inner, now) = self.shared.now();
        control::apply(&mut inner, fault, now).map_err(|e| anyhow::anyhow!(e))
    }

    /// Clears every fault, as `DELETE /_control/faults` does: request faults go, stalls resume,
    /// ERROR replicas recover.
    pub fn clear_faults(&self) {
        let (mut inner, now) = self.shared.now();
        control::clear(&mut inner, now);
    }

    /// A stream partition's consumers of a REALTIME table: stalled, behind, NOT_CONSUMING (see
    /// [`ConsumerSetting`]), as `POST /_control/consumers` does.
    pub fn set_consumer(&self, setting: ConsumerSetting) -> anyhow::Result<()> {
        let (mut inner, now) = self.shared.now();
        let wall = inner.controller.wall(now);
        let inner = &mut *inner;
        inner
            .consumers
            .set(setting, &inner.controller.cluster, wall)
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// How `server` answers the controller's consumingSegmentsInfo request, as
    /// `POST /_control/consumers/servers` does.
    pub fn set_consumer_server(&self, server: &str, answer: ServerAnswer) {
        self.shared.lock().consumers.set_server(server.to_string(), answer);
    }

    /// Every consumer fresh and every server answering again, as `DELETE /_control/consumers` does.
    pub fn reset_consumers(&self) {
        self.shared.lock().consumers.reset();
    }

    /// A server pod is Ready (joins, or comes back) or gone, as the pod watcher reports it.
    pub fn set_server_pod(&self, pod: &str, ready: bool, tags: Option<Vec<String>>) -> String {
        let (mut inner, now) = self.shared.now();
        let namespace = inner.namespace.clone();
        servers::set_pod(&mut inner.controller.cluster, &namespace, pod, ready, tags, now)
    }

    /// Follows the server pods of `namespace` in a background task (see `watcher`).
    pub fn watch_pods(&self, client: kube::Client, namespace: String) -> JoinHandle<anyhow::Result<()>> {
        let handle = self.handle();
        tokio::spawn(async move { watcher::watch(client, &namespace, handle).await })
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// Jersey's answer to a path no resource matches.
async fn not_found() -> impl IntoResponse {
    PinotError::new(404, "HTTP 404 Not Found")
}
