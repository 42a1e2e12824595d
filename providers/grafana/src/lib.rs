//! A thin client of Grafana's alert-rule status API: `GET /api/prometheus/grafana/api/v1/rules`,
//! the Prometheus-compatible listing of Grafana-managed alert rules with each rule's `health`
//! (`ok`, `error`, `nodata`), `state` (`inactive`, `pending`, `firing`) and alert instances
//! (grafana/grafana `pkg/services/ngalert/api/tooling/definitions/prom.go`, `api_prometheus.go`).
//! It returns what Grafana says in plain structs; no kfscale rules live here.
//!
//! Authentication: a service account token (`Authorization: Bearer`), never shown in errors or logs.
//! Every request has a timeout and is counted ([`Grafana::request_count`]).
mod client;
mod error;
mod rules;

pub use client::Grafana;
pub use error::GrafanaError;
pub use rules::{Alert, Rule, RuleGroup};
