//! The Helm release as Helm's own release record describes it.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    /// Chart name (`kfuse`).
    pub chart: String,
    /// The installed chart version: the scale-out upgrade pins exactly this version.
    pub chart_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    pub revision: u32,
    /// deployed, failed, pending-install, pending-upgrade, pending-rollback, ...
    pub status: String,
    /// `helm get values -o json` (secrets redacted).
    #[serde(default)]
    pub user_values: serde_json::Value,
    /// The chart's default values from the release record (`chart.values`, secrets redacted): with
    /// the values file on top they are the values the release runs with. Null in a snapshot taken
    /// before kfscale recorded them (then only the file's own values are known).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub chart_values: serde_json::Value,
}

impl HelmRelease {
    /// A `pending-*` release blocks every upgrade ("another operation is in progress").
    pub fn is_pending(&self) -> bool {
        self.status.starts_with("pending")
    }
}
