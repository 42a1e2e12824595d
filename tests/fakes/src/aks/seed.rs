//! The fake's starting world (JSON, ARM's camelCase): a tenant, subscriptions, and AKS clusters with
//! their agent pools. `Seed::example()` is what the binary serves without `--seed`.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// The Microsoft Entra tenant the tokens name (`tid`).
    #[serde(default = "default_tenant")]
    pub tenant_id: String,
    pub subscriptions: Vec<SubscriptionSeed>,
    #[serde(default)]
    pub clusters: Vec<ClusterSeed>,
    #[serde(default)]
    pub timing: Timing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionSeed {
    pub subscription_id: String,
    #[serde(default = "default_subscription_name")]
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSeed {
    /// Absent: the first subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    pub resource_group: String,
    pub name: String,
    /// The Azure region, e.g. `eastus`.
    pub location: String,
    #[serde(default = "default_kubernetes_version")]
    pub kubernetes_version: String,
    pub agent_pools: Vec<AgentPoolSeed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPoolSeed {
    pub name: String,
    pub count: u32,
    pub vm_size: String,
    #[serde(default)]
    pub enable_auto_scaling: bool,
    #[serde(default)]
    pub min_count: Option<u32>,
    #[serde(default)]
    pub max_count: Option<u32>,
    /// Zones of the region the pool's scale set spreads over (`["1", "2", "3"]`); empty: none.
    #[serde(default)]
    pub availability_zones: Vec<String>,
    /// `System` or `User`.
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default)]
    pub node_labels: BTreeMap<String, String>,
    /// `key=value:NoSchedule` as AKS writes them.
    #[serde(default)]
    pub node_taints: Vec<String>,
}

/// How long things take, in model seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Timing {
    /// How long an agent-pool PUT runs before its nodes are there and it succeeds.
    #[serde(default = "default_operation_seconds")]
    pub operation_seconds: f64,
    /// The `Retry-After` the fake sends with an accepted PUT and with a running operation's status:
    /// how often clients poll (azure-core honours it; real AKS says a few seconds).
    #[serde(default = "default_retry_after")]
    pub poll_retry_after_seconds: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            operation_seconds: default_operation_seconds(),
            poll_retry_after_seconds: default_retry_after(),
        }
    }
}

fn default_tenant() -> String {
    "72f988bf-0000-4000-8000-00000000fa4e".into()
}

fn default_subscription_name() -> String {
    "kfscale-fake".into()
}

fn default_kubernetes_version() -> String {
    "1.31.2".into()
}

fn default_mode() -> String {
    "User".into()
}

fn default_operation_seconds() -> f64 {
    60.0
}

fn default_retry_after() -> u64 {
    1
}

impl Seed {
    /// One subscription, cluster `kfuse` in resource group `kfuse-rg` (eastus) with a system pool and
    /// the `kfuse` user pool of 3 nodes over zones 1-3.
    pub fn example() -> Seed {
        serde_json::from_value(serde_json::json!({
            "subscriptions": [{"subscriptionId": "00000000-0000-4000-8000-000000000001"}],
            "clusters": [{
                "resourceGroup": "kfuse-rg", "name": "kfuse", "location": "eastus",
                "agentPools": [
                    {"name": "system", "count": 1, "vmSize": "Standard_D4s_v5", "mode": "System"},
                    {"name": "kfuse", "count": 3, "vmSize": "Standard_D8s_v5", "availabilityZones": ["1", "2", "3"]}
                ]
            }]
        }))
        // The literal above is a valid seed (the seed tests parse it): a failure is a bug in this file.
        .expect("the example seed parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_with_defaults() {
        let seed = Seed::example();
        assert_eq!(seed.clusters[0].agent_pools[1].availability_zones, ["1", "2", "3"]);
        assert_eq!(seed.timing.operation_seconds, 60.0);
        assert_eq!(seed.clusters[0].agent_pools[0].mode, "System");
    }
}
