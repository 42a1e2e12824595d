//! GKE node pools (the rig's `fake-gke`) as a pool source.
//!
//! It reads the fake's `GET /_control/pools`: every pool with its size per zone, which on GKE is the
//! `targetSize` of the pool's managed instance group in that zone (a pool's `initialNodeCount` never
//! changes on resize). The control route needs no token and ignores the faults a test injects into the
//! container API, so a fault meant for kfscale never makes the rig's nodes disappear.
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Taint;
use serde::Deserialize;

use super::source::{Placement, PoolSource, PoolSpec};

pub const NODEPOOL_LABEL: &str = "cloud.google.com/gke-nodepool";

/// One pool as `GET /_control/pools` lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ControlPool {
    project: String,
    cluster: String,
    pool: String,
    machine_type: String,
    /// Size per zone now.
    zones: BTreeMap<String, u32>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    taints: Vec<ControlTaint>,
}

#[derive(Debug, Deserialize)]
struct ControlTaint {
    key: String,
    #[serde(default)]
    value: String,
    /// The container API's enum names: NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE.
    effect: String,
}

pub struct GkeSource {
    http: reqwest::Client,
    /// The fake's control URL, `http://127.0.0.1:PORT/_control`.
    control: String,
}

impl GkeSource {
    pub fn new(control_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client for the GKE fake")?;
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
        Ok(pools.into_iter().map(spec).collect())
    }
}

fn spec(pool: ControlPool) -> PoolSpec {
    let mut labels = pool.labels;
    // GKE's own per-pool label: the family is the machine type's first word (n2-standard-8 -> n2).
    let family = pool.machine_type.split('-').next().unwrap_or_default().to_owned();
    labels.insert("cloud.google.com/machine-family".to_owned(), family);
    PoolSpec {
        project: pool.project,
        cluster: pool.cluster,
        name: pool.pool,
        instance_type: pool.machine_type,
        region: None,
        labels,
        taints: pool.taints.iter().map(kube_taint).collect(),
        placement: Placement::PerZone(pool.zones),
    }
}

/// GKE spells effects NO_SCHEDULE etc.; Kubernetes NoSchedule.
fn kube_taint(t: &ControlTaint) -> Taint {
    let effect = match t.effect.as_str() {
        "NO_EXECUTE" => "NoExecute",
        "PREFER_NO_SCHEDULE" => "PreferNoSchedule",
        _ => "NoSchedule",
    };
    Taint {
        key: t.key.clone(),
        value: (!t.value.is_empty()).then(|| t.value.clone()),
        effect: effect.to_owned(),
        time_added: None,
    }
}

impl PoolSource for GkeSource {
    fn kind(&self) -> &'static str {
        "gke"
    }

    fn pool_label(&self) -> &'static str {
        NODEPOOL_LABEL
    }

    /// Labels every GKE Standard node carries (COS image, containerd, balanced boot disk).
    fn cloud_labels(&self) -> BTreeMap<String, String> {
        [
            ("cloud.google.com/gke-os-distribution", "cos"),
            ("cloud.google.com/gke-container-runtime", "containerd"),
            ("cloud.google.com/gke-boot-disk", "pd-balanced"),
            ("cloud.google.com/gke-provisioning", "standard"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn provider_id(&self, pool: &PoolSpec, zone: &str, node_name: &str) -> String {
        format!("gce://{}/{zone}/{node_name}", pool.project)
    }

    fn pools(&self) -> BoxFuture<'_, Result<Vec<PoolSpec>>> {
        Box::pin(self.list())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_pool_becomes_a_per_zone_spec() {
        let pool: ControlPool = serde_json::from_value(serde_json::json!({
            "project": "p", "location": "us-central1", "cluster": "c", "pool": "kfuse-pool",
            "machineType": "n2-standard-8", "zones": {"us-central1-a": 2, "us-central1-b": 1}, "total": 3,
            "labels": {"kf_role": "data"},
            "taints": [{"key": "kf", "value": "query", "effect": "PREFER_NO_SCHEDULE"}, {"key": "x", "effect": "NO_SCHEDULE"}],
            "autoscaling": null
        }))
        .unwrap();
        let spec = spec(pool);
        assert_eq!(spec.total(), 3);
        assert_eq!(spec.labels["cloud.google.com/machine-family"], "n2");
        assert_eq!(spec.labels["kf_role"], "data");
        assert_eq!(spec.taints[0].effect, "PreferNoSchedule");
        assert_eq!(spec.taints[1].value, None);
        let zones: Vec<String> = spec.machines().into_iter().map(|m| m.zone).collect();
        assert_eq!(zones, ["us-central1-a", "us-central1-a", "us-central1-b"]);
    }
}
