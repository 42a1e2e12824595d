//! A fake of Grafana's alert-rule status API for Grafana-managed rules:
//! `GET /api/prometheus/grafana/api/v1/rules`, the Prometheus-compatible listing with each rule's
//! `health` and `state` and its alert instances. Shapes follow grafana/grafana
//! `pkg/services/ngalert/api/tooling/definitions/prom.go` and how `api_prometheus.go` fills them
//! (rule state from its instances: any Alerting -> `firing`, else any Pending -> `pending`, else
//! `inactive`; an Error instance makes health `error` with `lastError`, NoData makes it `nodata`);
//! tests/it/grafana_conformance.rs checks every response against field lists extracted from prom.go.
//! A test makes a rule fire, error or go quiet through `/_control/rules`.
mod api;
mod control;
mod model;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;

use crate::scaffold::server::FakeServer;
use model::Rules;
pub use model::{GroupSeed, InstanceState, RuleSeed, Seed};

/// What the server shares between requests.
pub(crate) struct Shared {
    pub rules: Mutex<Rules>,
    /// Bearer token the rules API demands (None: anonymous access, as `auth.anonymous`).
    pub token: Option<String>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running fake; dropping it stops the server.
pub struct GrafanaFake {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl GrafanaFake {
    /// Serves `seed` on 127.0.0.1:`port` (0 = any free port); with `token`, the rules API answers
    /// 401 to a request without `Authorization: Bearer <token>`.
    pub async fn start(seed: &Seed, port: u16, token: Option<String>) -> anyhow::Result<GrafanaFake> {
        let shared = Arc::new(Shared {
            rules: Mutex::new(Rules::from_seed(seed)?),
            token,
        });
        let app: Router = api::routes().merge(control::routes()).with_state(shared.clone());
        let (server, ()) = FakeServer::start("Grafana", port, |_| Ok((app, ()))).await?;
        Ok(GrafanaFake { server, shared })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Grafana's base URL (no trailing slash), like `http://kfuse-grafana:80`.
    pub fn api_url(&self) -> String {
        self.server.url()
    }

    pub fn control_url(&self) -> String {
        format!("{}/_control", self.server.url())
    }

    /// The JSON line the binary prints.
    pub fn addresses(&self) -> serde_json::Value {
        serde_json::json!({"fake": "grafana", "api": self.api_url(), "control": self.control_url()})
    }

    /// Sets every instance of the rule titled `rule` to `state` (`error` is the evaluation error of
    /// an Error state), as `POST /_control/rules` does.
    pub fn set_rule(&self, rule: &str, state: InstanceState, error: Option<&str>) -> anyhow::Result<()> {
        self.shared
            .lock()
            .set(rule, state, error.map(str::to_string))
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// Every rule back to Normal, as `DELETE /_control/rules` does.
    pub fn reset(&self) {
        self.shared.lock().reset();
    }

    /// Requests of the rules API received so far.
    pub fn rules_requests(&self) -> u64 {
        self.shared.lock().requests
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
