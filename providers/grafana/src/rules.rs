//! The rules listing as Grafana returns it (`RuleResponse` in grafana/grafana
//! `pkg/services/ngalert/api/tooling/definitions/prom.go`): `{"status", "data": {"groups": [...]}}`.
//! Fields kfscale does not use are ignored; fields Grafana omits when empty default to empty.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `RuleResponse`: `status` is `success` or `error` (then `errorType` and `error` say why).
#[derive(Debug, Deserialize)]
pub(crate) struct RuleResponse {
    pub status: String,
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub data: Option<RuleDiscovery>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RuleDiscovery {
    pub groups: Vec<RuleGroup>,
}

/// One evaluation group; `file` is the folder's title for Grafana-managed rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    pub name: String,
    pub file: String,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One rule (`AlertingRule` with the embedded `Rule`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    /// `inactive`, `pending` or `firing` (`recovering` in newer Grafana); empty for recording rules.
    #[serde(default)]
    pub state: String,
    /// `ok`, `error` or `nodata` (Grafana's; Prometheus says `ok`, `err`, `unknown`).
    pub health: String,
    #[serde(default, rename = "lastError")]
    pub last_error: Option<String>,
    /// `alerting` or `recording`.
    #[serde(default, rename = "type")]
    pub rule_type: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub alerts: Vec<Alert>,
}

/// One alert instance of a rule (`Alert`); `state` is Grafana's: `Normal`, `Alerting`, `Pending`,
/// `NoData`, `Error` (with a suffix such as `(Error)` in some versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub state: String,
    #[serde(default, rename = "activeAt")]
    pub active_at: Option<String>,
    #[serde(default)]
    pub value: String,
}

impl Rule {
    pub fn is_firing(&self) -> bool {
        self.state.eq_ignore_ascii_case("firing")
    }
}
