//! The GKE node pool, from the container API: status, zones, the current size per zone (the
//! instance groups' targetSize, not `initialNodeCount`), autoscaling and machine type.
use anyhow::bail;
use kfscale_gke::{Gke, PoolRef};

use crate::snapshot::{GkeAutoscaling, GkeNodePool, NodePool};

pub async fn observe(gke: &Gke, pool: PoolRef) -> anyhow::Result<NodePool> {
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
