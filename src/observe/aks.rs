//! The AKS agent pool, from Azure Resource Manager: its state, count, autoscaler bounds, VM size and
//! zones.
use kfscale_aks::{Aks, PoolRef};

use crate::snapshot::{AksAgentPool, NodePool};

pub async fn observe(aks: &Aks, pool: PoolRef) -> anyhow::Result<NodePool> {
    let found = aks.agent_pool(&pool).await?;
    tracing::info!("ARM requests: {:?}", aks.request_counts());
    Ok(NodePool::Aks(AksAgentPool {
        subscription: pool.subscription,
        resource_group: pool.resource_group,
        cluster: pool.cluster,
        pool: pool.pool,
        provisioning_state: found.provisioning_state,
        count: found.count,
        enable_auto_scaling: found.enable_auto_scaling,
        min_count: found.min_count,
        max_count: found.max_count,
        vm_size: Some(found.vm_size).filter(|v| !v.is_empty()),
        availability_zones: found.availability_zones,
    }))
}
