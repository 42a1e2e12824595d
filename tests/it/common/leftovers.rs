//! What a finished apply must leave behind on the cluster, read with the product's own clients:
//! no replication throttle of its own, no lease, one more Helm revision.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use k8s_openapi::api::core::v1::Secret;
use kfscale_kafka::{ConfigResource, ConfigSource, KafkaAdmin};
use kfscale_kube::Kube;

use super::customer::Customer;

/// Every throttle config set on a broker or topic now: (resource, name) -> value.
pub async fn throttles(admin: &KafkaAdmin) -> Result<BTreeMap<(ConfigResource, String), String>> {
    let metadata = admin.metadata().await?;
    let resources: Vec<ConfigResource> = metadata
        .brokers
        .iter()
        .map(|b| ConfigResource::Broker(b.id))
        .chain(
            metadata
                .topics
                .iter()
                .filter(|t| !t.internal)
                .map(|t| ConfigResource::Topic(t.name.clone())),
        )
        .collect();
    let mut found = BTreeMap::new();
    for configs in admin.describe_configs(&resources, None).await? {
        for entry in configs.entries {
            let own = matches!(entry.source, ConfigSource::DynamicTopic | ConfigSource::DynamicBroker);
            if own
                && entry.name.contains(".replication.throttled.")
                && let Some(value) = entry.value
            {
                found.insert((configs.resource.clone(), entry.name), value);
            }
        }
    }
    Ok(found)
}

/// The Kubernetes client of the customer's namespace.
pub async fn kube_of(customer: &Customer) -> Result<Kube> {
    Ok(Kube::connect(
        Some(Path::new(customer.rig.get("KUBECONFIG")?)),
        None,
        &customer.cluster.id,
    )
    .await?)
}

/// Revisions Helm keeps of release `kfuse` (one Secret `sh.helm.release.v1.kfuse.vN` each).
pub async fn helm_revisions(customer: &Customer) -> Result<usize> {
    let client = customer.rig.kube_client().await?;
    let secrets = kube::Api::<Secret>::namespaced(client, &customer.cluster.id)
        .list(&kube::api::ListParams::default().labels("owner=helm,name=kfuse"))
        .await?;
    Ok(secrets.items.len())
}

/// Release `kfuse`'s history as `helm history -o json` shows it: (revision, status, description),
/// oldest first.
pub async fn helm_history(customer: &Customer) -> Result<Vec<(u64, String, String)>> {
    let helm = kfscale_rig::helm::Helm::from_rig(&customer.rig)?;
    let text = helm
        .run(&[
            "history",
            "kfuse",
            "-n",
            &customer.cluster.id,
            "--max",
            "100",
            "-o",
            "json",
        ])
        .await?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text)?;
    Ok(entries
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap_or_default().to_string();
            (
                entry["revision"].as_u64().unwrap_or(0),
                text("status"),
                text("description"),
            )
        })
        .collect())
}
