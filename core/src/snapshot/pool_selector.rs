//! Which Kubernetes nodes belong to the node pool: the labels every node of the pool carries. A cloud
//! pool is one label (`eks.amazonaws.com/nodegroup=<group>`, `cloud.google.com/gke-nodepool=<pool>`,
//! `kubernetes.azure.com/agentpool=<pool>`); nodes that arrive by other means are whatever selector
//! the operator gives (`cluster.external.node_selector`).
use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct PoolSelector(pub BTreeMap<String, String>);

impl PoolSelector {
    pub fn label(key: &str, value: &str) -> PoolSelector {
        PoolSelector(BTreeMap::from([(key.to_string(), value.to_string())]))
    }

    /// A node with these labels is one of the pool's.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.0.is_empty() && self.0.iter().all(|(key, value)| labels.get(key) == Some(value))
    }
}

/// `key=value,key2=value2`, as kubectl's `-l` takes it.
impl fmt::Display for PoolSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&pairs.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_must_match_and_an_empty_selector_matches_nothing() {
        let selector = PoolSelector(BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]));
        let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert!(selector.matches(&labels(&[("a", "1"), ("b", "2"), ("c", "3")])));
        assert!(!selector.matches(&labels(&[("a", "1")])));
        assert!(!selector.matches(&labels(&[("a", "1"), ("b", "3")])));
        assert!(!PoolSelector::default().matches(&labels(&[("a", "1")])));
        assert_eq!(selector.to_string(), "a=1,b=2");
    }
}
