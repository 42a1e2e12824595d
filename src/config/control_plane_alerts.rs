//! `validate.control_plane_alerts`: which Grafana alert rules are Kloudfuse's own control-plane
//! alerts (runbook validation item 5, "no longer firing") as opposed to the rules the customer wrote
//! (item 9, "Healthy"). A rule is a control-plane alert when its folder is one of `folders` or it
//! carries one of `labels` (key and value equal). Both empty (the default): no split is made, every
//! rule is reported as the customer's and the control-plane check says it is not configured.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which alert rules are Kloudfuse's control-plane alerts: a rule in one of `folders`, or carrying
/// one of `labels`. Neither given: no split (every rule counts as the customer's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "Written")]
#[schemars(with = "Written")]
pub struct ControlPlaneAlerts {
    pub folders: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// The section as written, checked into [`ControlPlaneAlerts`].
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "ControlPlaneAlerts",
    description = "Which alert rules are Kloudfuse's control-plane alerts: a rule in one of `folders`, or carrying one of `labels`. Neither given: no split (every rule counts as the customer's)."
)]
struct Written {
    /// Grafana folder titles holding the control plane's rules (exact, case-sensitive), e.g. `[Kloudfuse]`.
    #[serde(default)]
    folders: Vec<String>,
    /// Rule labels marking a control-plane rule, e.g. `{owner: kloudfuse}`: a rule with any one of
    /// them (same key, same value) is one.
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl TryFrom<Written> for ControlPlaneAlerts {
    type Error = String;

    fn try_from(written: Written) -> Result<Self, Self::Error> {
        if let Some(blank) = written.folders.iter().find(|f| f.trim().is_empty()) {
            return Err(format!(
                "folders has a blank name ({blank:?}); write the folder titles as Grafana shows them (Alerting > Alert rules), e.g. [Kloudfuse]"
            ));
        }
        if let Some(spaced) = written.folders.iter().find(|f| f.trim() != f.as_str()) {
            return Err(format!(
                "folder {spaced:?} starts or ends with a space: folders are matched exactly; remove the spaces"
            ));
        }
        if written.labels.keys().any(|k| k.trim().is_empty()) {
            return Err("labels has a blank key; write key: value, e.g. {owner: kloudfuse}".into());
        }
        Ok(ControlPlaneAlerts {
            folders: written.folders,
            labels: written.labels,
        })
    }
}

impl ControlPlaneAlerts {
    /// Whether the split is configured at all.
    pub fn is_set(&self) -> bool {
        !self.folders.is_empty() || !self.labels.is_empty()
    }

    /// Whether the rule in `folder` with `labels` is a control-plane alert.
    pub fn matches(&self, folder: &str, labels: &BTreeMap<String, String>) -> bool {
        self.folders.iter().any(|f| f == folder)
            || self.labels.iter().any(|(key, value)| labels.get(key) == Some(value))
    }

    /// `folder Kloudfuse, label owner=kloudfuse`: the convention, for summaries.
    pub fn shown(&self) -> String {
        let folders = self.folders.iter().map(|f| format!("folder {f}"));
        let labels = self.labels.iter().map(|(k, v)| format!("label {k}={v}"));
        folders.chain(labels).collect::<Vec<_>>().join(" or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_matches_by_folder_or_by_any_one_label() {
        let split = ControlPlaneAlerts {
            folders: vec!["Kloudfuse".into()],
            labels: BTreeMap::from([("owner".into(), "kloudfuse".into())]),
        };
        let none = BTreeMap::new();
        let owned = BTreeMap::from([("owner".to_string(), "kloudfuse".to_string())]);
        let other = BTreeMap::from([("owner".to_string(), "shop".to_string())]);
        assert!(split.matches("Kloudfuse", &none));
        assert!(!split.matches("kloudfuse", &none), "folders match exactly");
        assert!(split.matches("Customer", &owned));
        assert!(!split.matches("Customer", &other));
        assert_eq!(split.shown(), "folder Kloudfuse or label owner=kloudfuse");
        assert!(!ControlPlaneAlerts::default().is_set());
    }
}
