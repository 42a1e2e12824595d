//! A fake of Azure Resource Manager for the AKS agent-pool calls kfscale makes, following the
//! azure-rest-api-specs containerservice spec (`Microsoft.ContainerService/managedClusters/agentPools`)
//! and ARM's conventions: `AgentPools_Get`, `AgentPools_List`, `AgentPools_CreateOrUpdate` (a
//! long-running PUT answered with its `Azure-AsyncOperation` status URL), the operation status,
//! `ManagedClusters_Get` and `Subscriptions_List` (what `az login` reads). One operation at a time per
//! cluster (409 OperationNotAllowed otherwise), `If-Match` on the pool's eTag, the autoscaler's bounds
//! checked against the count, and an App Service-style managed-identity endpoint that hands out
//! tokens. The real Azure CLI is the conformance client (tests/it/aks_az.rs). See README.md, "AKS".
mod api;
mod body;
mod control;
mod errors;
mod faults;
mod identity;
mod json;
mod model;
mod seed;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::response::IntoResponse;

pub use body::{PROPERTIES as AGENT_POOL_PROPERTIES, READ_ONLY as AGENT_POOL_READ_ONLY};
pub use errors::ArmError;
pub use faults::Fault;
pub use identity::HEADER_SECRET as IDENTITY_HEADER;
pub use seed::{AgentPoolSeed, ClusterSeed, Seed, SubscriptionSeed, Timing};
pub use state::RequestRecord;

use crate::clock::ModelClock;
use crate::scaffold::server::FakeServer;
use crate::scaffold::timefmt::Epoch;
use state::Shared;

/// A running fake; dropping it stops the server.
pub struct AksFake {
    server: FakeServer,
    tls_server: Option<FakeServer>,
    shared: Arc<Shared>,
}

/// HTTPS beside HTTP: the port and the PEM files of the certificate chain and its key.
pub struct TlsOptions {
    pub port: u16,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// An agent pool as the fake holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolNow {
    /// What the last PUT asked for.
    pub count: u32,
    /// Machines running.
    pub nodes: u32,
    pub provisioning_state: String,
    pub enable_auto_scaling: bool,
    pub min_count: Option<u32>,
    pub max_count: Option<u32>,
}

impl AksFake {
    /// Serves `seed` on 127.0.0.1:`port` (0 = any free port) with its own model clock.
    pub async fn start(seed: &Seed, port: u16, clock: ModelClock) -> anyhow::Result<AksFake> {
        AksFake::start_with(seed, port, None, clock).await
    }

    /// Like `start`, and over HTTPS too when `tls` is given (what the Azure CLI needs: it sends its
    /// bearer token only over TLS).
    pub async fn start_with(
        seed: &Seed,
        port: u16,
        tls: Option<TlsOptions>,
        clock: ModelClock,
    ) -> anyhow::Result<AksFake> {
        let world = model::World::from_seed(seed, Epoch::now())
            .map_err(|e| anyhow::anyhow!("AKS fake seed is invalid: {e}"))?;
        let listener = FakeServer::bind("AKS", port).await?;
        let base = format!("http://{}/", listener.local_addr()?);
        let tls = match tls {
            Some(options) => {
                let config = crate::scaffold::tls::server_config(&options.cert, &options.key)?;
                let listener = FakeServer::bind("AKS (HTTPS)", options.port).await?;
                // The certificate names localhost (and 127.0.0.1); URLs use the name.
                let base = format!("https://localhost:{}/", listener.local_addr()?.port());
                Some((listener, config, base))
            }
            None => None,
        };
        let shared = Arc::new(Shared::new(clock, base, tls.as_ref().map(|t| t.2.clone()), world));
        let app: Router = api::routes()
            .merge(identity::routes())
            .merge(control::routes())
            .fallback(not_found)
            .with_state(shared.clone());
        let tls_server = match tls {
            Some((listener, config, _)) => Some(FakeServer::serve_tls("AKS", listener, config, app.clone())?),
            None => None,
        };
        let server = FakeServer::serve("AKS", listener, app)?;
        Ok(AksFake {
            server,
            tls_server,
            shared,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The resource-manager endpoint, ending in `/` (what `az cloud register
    /// --endpoint-resource-manager` and kfscale's `cluster.azure.endpoint` take).
    pub fn api_url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn control_url(&self) -> String {
        format!("{}_control", self.shared.base)
    }

    /// The resource-manager endpoint over HTTPS, ending in `/`, when the fake serves it.
    pub fn tls_api_url(&self) -> Option<String> {
        self.shared.tls_base.clone()
    }

    /// The managed-identity endpoint, the value of `IDENTITY_ENDPOINT` (with `IDENTITY_HEADER` set to
    /// [`IDENTITY_HEADER`]).
    pub fn identity_url(&self) -> String {
        format!("{}{}", self.shared.base, identity::PATH)
    }

    /// The JSON line the binary prints.
    pub fn addresses(&self) -> serde_json::Value {
        serde_json::json!({
            "fake": "aks",
            "api": self.api_url(),
            "control": self.control_url(),
            "identity": self.identity_url(),
            "identityHeader": IDENTITY_HEADER,
            "tlsApi": self.tls_api_url(),
        })
    }

    pub fn clock(&self) -> &ModelClock {
        &self.shared.clock
    }

    /// Mutating requests received so far, by ARM operation id.
    pub fn mutations(&self) -> BTreeMap<String, u64> {
        self.shared.lock().desk.mutations.clone()
    }

    /// Every ARM request served so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().desk.requests.clone()
    }

    /// Tokens the managed-identity endpoint handed out so far.
    pub fn tokens_issued(&self) -> u64 {
        self.shared.lock().tokens_issued
    }

    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().desk.faults.add(fault);
    }

    /// An agent pool now (model advanced to the clock), if it exists.
    pub fn pool(&self, cluster: &str, pool: &str) -> Option<PoolNow> {
        let (inner, _) = self.shared.world_now();
        let cluster = inner.world.clusters.iter().find(|c| c.name == cluster)?;
        let pool = cluster.pools.iter().find(|p| p.name == pool)?;
        let number = |key: &str| pool.properties.get(key).and_then(|v| v.as_u64()).map(|n| n as u32);
        Some(PoolNow {
            count: pool.count(),
            nodes: pool.nodes,
            provisioning_state: pool.provisioning_state.clone(),
            enable_auto_scaling: pool
                .properties
                .get("enableAutoScaling")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            min_count: number("minCount"),
            max_count: number("maxCount"),
        })
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        if let Some(tls) = self.tls_server {
            tls.stop().await;
        }
        self.server.stop().await;
    }
}

/// ARM's answer to a path no route matches.
async fn not_found(uri: Uri) -> impl IntoResponse {
    ArmError::new(
        404,
        "NotFound",
        format!("The requested resource '{}' was not found.", uri.path()),
    )
}
