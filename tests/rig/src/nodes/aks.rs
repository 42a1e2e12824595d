//! AKS agent pools (the rig's `fake-aks`) as a pool source.
//!
//! It reads the fake's `GET /_control/pools`: every agent pool with the machines its scale set runs
//! now (`nodes`, which follows the pool's `count` when the operation that set it succeeds), its VM size,
//! zones, node labels and taints. The control route needs no token and ignores the faults a test
//! injects into ARM, so a fault meant for kfscale never makes the rig's nodes disappear. Nodes carry
//! AKS's own labels: `kubernetes.azure.com/agentpool` and `agentpool` with the pool's name, its mode,
//! and zones as `<region>-<zone>` (`0` for a pool without zones).
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Taint;
use serde::Deserialize;

use super::source::{Placement, PoolSource, PoolSpec};

pub const AGENTPOOL_LABEL: &str = "kubernetes.azure.com/agentpool";

/// One pool as `GET /_control/pools` lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ControlPool {
    subscription: String,
    resource_group: String,
    cluster: String,
    location: String,
    pool: String,
    vm_size: String,
    #[serde(default)]
    mode: String,
    /// Machines running now.
    nodes: u32,
    #[serde(default)]
    zones: Vec<String>,
    #[serde(default)]
    node_labels: BTreeMap<String, String>,
    /// `key=value:Effect`.
    #[serde(default)]
    node_taints: Vec<String>,
}

pub struct AksSource {
    http: reqwest::Client,
    /// The fake's control URL, `http://127.0.0.1:PORT/_control`.
    control: String,
}

impl AksSource {
    pub fn new(control_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client for the AKS fake")?;
        Ok(Self {
            http,
            control: control_url.trim_end_matches('/').to_owned(),
        })
    }

    async fn list(&self) -> Result<Vec<PoolSpec>> {
        let url = format!("{}/pools", self.control);
        let pools: Vec<ControlPool> = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .with_context(|| format!("GET {url}"))?
            .json()
            .await
            .with_context(|| format!("GET {url}: not a pool list"))?;
        pools.into_iter().map(spec).collect()
    }
}

fn spec(pool: ControlPool) -> Result<PoolSpec> {
    let mut labels = pool.node_labels;
    labels.insert("agentpool".to_owned(), pool.pool.clone());
    labels.insert("kubernetes.azure.com/mode".to_owned(), pool.mode.to_ascii_lowercase());
    labels.insert(
        "kubernetes.azure.com/cluster".to_owned(),
        format!("MC_{}_{}_{}", pool.resource_group, pool.cluster, pool.location),
    );
    let zones = if pool.zones.is_empty() {
        vec!["0".to_owned()]
    } else {
        pool.zones.iter().map(|z| format!("{}-{z}", pool.location)).collect()
    };
    let taints = pool
        .node_taints
        .iter()
        .map(|t| kube_taint(t).with_context(|| format!("pool {}: taint {t:?}", pool.pool)))
        .collect::<Result<Vec<_>>>()?;
    Ok(PoolSpec {
        project: pool.subscription,
        cluster: pool.cluster,
        name: pool.pool,
        instance_type: pool.vm_size,
        region: Some(pool.location),
        labels,
        taints,
        placement: Placement::Spread {
            desired: pool.nodes,
            zones,
        },
    })
}

/// AKS writes taints `key=value:Effect` (the value may be absent: `key:Effect`).
fn kube_taint(text: &str) -> Result<Taint> {
    let (key_value, effect) = text.rsplit_once(':').context("no :Effect")?;
    let (key, value) = match key_value.split_once('=') {
        Some((key, value)) => (key, Some(value.to_owned())),
        None => (key_value, None),
    };
    Ok(Taint {
        key: key.to_owned(),
        value,
        effect: effect.to_owned(),
        time_added: None,
    })
}

impl PoolSource for AksSource {
    fn kind(&self) -> &'static str {
        "aks"
    }

    fn pool_label(&self) -> &'static str {
        AGENTPOOL_LABEL
    }

    /// Labels every AKS Linux node carries.
    fn cloud_labels(&self) -> BTreeMap<String, String> {
        [
            ("kubernetes.azure.com/role", "agent"),
            ("kubernetes.azure.com/os-sku", "Ubuntu"),
            (
                "kubernetes.azure.com/node-image-version",
                "AKSUbuntu-2204gen2containerd-202501.12.0",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// A scale-set VM's id, as the Azure cloud provider writes it.
    fn provider_id(&self, pool: &PoolSpec, _zone: &str, node_name: &str) -> String {
        let instance = node_name.rsplit('-').next().unwrap_or("0");
        format!(
            "azure:///subscriptions/{}/resourceGroups/mc_{}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-{}-vmss/virtualMachines/{instance}",
            pool.project,
            pool.cluster.to_ascii_lowercase(),
            pool.name
        )
    }

    fn pools(&self) -> BoxFuture<'_, Result<Vec<PoolSpec>>> {
        Box::pin(self.list())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_pool_becomes_a_spread_spec_with_azure_zones_and_labels() {
        let pool: ControlPool = serde_json::from_value(serde_json::json!({
            "subscription": "s", "resourceGroup": "rg", "cluster": "c", "location": "eastus", "pool": "kfuse",
            "vmSize": "Standard_D8s_v5", "mode": "User", "nodes": 4, "count": 5, "zones": ["1", "2", "3"],
            "provisioningState": "Updating", "enableAutoScaling": false, "minCount": null, "maxCount": null,
            "nodeLabels": {"kf_role": "data"}, "nodeTaints": ["kf_role=data:NoSchedule", "dedicated:NoExecute"]
        }))
        .unwrap();
        let spec = spec(pool).unwrap();
        assert_eq!(spec.total(), 4, "the machines running, not the count asked for");
        assert_eq!(spec.labels["agentpool"], "kfuse");
        assert_eq!(spec.labels["kubernetes.azure.com/mode"], "user");
        assert_eq!(spec.region.as_deref(), Some("eastus"));
        let zones: Vec<String> = spec.machines().into_iter().map(|m| m.zone).collect();
        assert_eq!(zones, ["eastus-1", "eastus-2", "eastus-3", "eastus-1"]);
        assert_eq!(spec.taints[0].value.as_deref(), Some("data"));
        assert_eq!(
            (spec.taints[1].key.as_str(), spec.taints[1].value.as_ref()),
            ("dedicated", None)
        );
    }

    #[test]
    fn a_pool_without_zones_is_in_zone_0() {
        let pool: ControlPool = serde_json::from_value(serde_json::json!({
            "subscription": "s", "resourceGroup": "rg", "cluster": "c", "location": "eastus", "pool": "p",
            "vmSize": "Standard_D4s_v5", "nodes": 1
        }))
        .unwrap();
        let spec = spec(pool).unwrap();
        assert_eq!(spec.machines()[0].zone, "0");
    }
}
