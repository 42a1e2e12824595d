//! The GKE node pool, from the container API: status, zones, the current size per zone (the
//! instance groups' targetSize, not `initialNodeCount`), autoscaling and machine type.
use std::path::Path;

use anyhow::{Context, bail};
use kfscale_gke::{Auth, Gke, GkeOptions, PoolRef};

use super::ConfigContext;
use crate::snapshot::{GkeAutoscaling, GkeNodePool, NodePool};

pub async fn observe(
    context: &ConfigContext<'_>,
    pool: PoolRef,
    endpoint: Option<&str>,
    access_token_file: Option<&Path>,
    timeout: std::time::Duration,
) -> anyhow::Result<NodePool> {
    let gke = connect(context, endpoint, access_token_file, timeout).await?;
    let found = gke.node_pool(&pool).await?;
    tracing::info!("GKE requests: {:?}", gke.request_counts());

    let mut locations = found.locations.clone();
    locations.sort();
    let zones: Vec<&String> = found.size_per_zone.keys().collect();
    if !found.size_per_zone.is_empty() && zones != locations.iter().collect::<Vec<_>>() {
        bail!(
            "GKE {pool}: the pool spans zones {} but has instance groups in {}; fix: wait until the pool is RUNNING (status {}), then re-run",
            locations.join(", "),
            zones.iter().map(|z| z.as_str()).collect::<Vec<_>>().join(", "),
            found.status
        );
    }
    let node_count_per_zone = match found.uniform_size_per_zone() {
        Some(count) => count,
        None if found.size_per_zone.is_empty() => 0,
        None => bail!(
            "GKE {pool}: the zones differ in size ({}); kfscale plans equal per-zone counts; fix: wait for a running resize to finish, or even the zones with `gcloud container clusters resize {} --node-pool {} --num-nodes N --location {}`",
            found
                .size_per_zone
                .iter()
                .map(|(zone, size)| format!("{zone}: {size}"))
                .collect::<Vec<_>>()
                .join(", "),
            pool.cluster,
            pool.pool,
            pool.location
        ),
    };
    Ok(NodePool::Gke(GkeNodePool {
        status: found.status,
        locations,
        node_count_per_zone,
        autoscaling: found.autoscaling.map(|a| GkeAutoscaling {
            enabled: a.enabled,
            min_node_count: a.min_node_count,
            max_node_count: a.max_node_count,
            total_min_node_count: a.total_min_node_count,
            total_max_node_count: a.total_max_node_count,
        }),
        machine_type: Some(found.machine_type).filter(|m| !m.is_empty()),
        project: pool.project,
        location: pool.location,
        cluster: pool.cluster,
        pool: pool.pool,
    }))
}

/// The GKE client `cluster.gcp` describes: its endpoint, and an access token file or Application
/// Default Credentials (checked here, before any call).
pub async fn connect(
    context: &ConfigContext<'_>,
    endpoint: Option<&str>,
    access_token_file: Option<&Path>,
    timeout: std::time::Duration,
) -> anyhow::Result<Gke> {
    let auth = match access_token_file {
        Some(path) => {
            let path = context.resolve(path);
            let token = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: cannot read cluster.gcp.access_token_file {}; fix: check the path, or remove the key to use Application Default Credentials",
                    context.origin,
                    path.display()
                )
            })?;
            Auth::AccessToken(token)
        }
        None => Auth::ApplicationDefault,
    };
    Ok(Gke::connect(GkeOptions {
        endpoint: endpoint.map(str::to_string),
        auth,
        call_timeout: timeout.max(std::time::Duration::from_secs(1)),
        ..GkeOptions::default()
    })
    .await?)
}
