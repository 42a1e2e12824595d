//! The cloud node pool, from the cloud's own API.
use anyhow::{Context, bail};

use super::ConfigContext;
use crate::config::ClusterConfig;
use crate::snapshot::{EksNodeGroup, NodePool};

pub async fn observe(context: &ConfigContext<'_>) -> anyhow::Result<NodePool> {
    match &context.config.cluster {
        Some(ClusterConfig::Aws {
            region,
            cluster,
            nodegroup,
            endpoint,
            timeout_seconds,
        }) => {
            let eks = kfscale_eks::Eks::connect_with_timeout(
                region,
                endpoint.as_deref(),
                std::time::Duration::from_secs((*timeout_seconds).max(1)),
            )
            .await;
            let group = eks.describe(cluster, nodegroup).await?;
            Ok(NodePool::Eks(EksNodeGroup {
                region: region.clone(),
                cluster: cluster.clone(),
                nodegroup: nodegroup.clone(),
                status: group.status,
                min_size: non_negative(group.min_size).context("minSize")?,
                max_size: non_negative(group.max_size).context("maxSize")?,
                desired_size: non_negative(group.desired_size).context("desiredSize")?,
                instance_types: group.instance_types,
            }))
        }
        Some(ClusterConfig::Gcp {
            project,
            location,
            cluster,
            pool,
            endpoint,
            access_token_file,
            timeout_seconds,
        }) => {
            let pool = kfscale_gke::PoolRef {
                project: project.clone(),
                location: location.clone(),
                cluster: cluster.clone(),
                pool: pool.clone(),
            };
            let timeout = std::time::Duration::from_secs(*timeout_seconds);
            super::gke::observe(
                context,
                pool,
                endpoint.as_deref(),
                access_token_file.as_deref(),
                timeout,
            )
            .await
        }
        None => bail!(
            "{}: no `cluster:` section; fix: add `cluster: {{aws: {{region, cluster, nodegroup}}}}` or `cluster: {{gcp: {{project, location, cluster, pool}}}}`",
            context.origin
        ),
    }
}

fn non_negative(value: i32) -> anyhow::Result<u32> {
    u32::try_from(value).map_err(|_| anyhow::anyhow!("EKS reported a negative size {value}"))
}
