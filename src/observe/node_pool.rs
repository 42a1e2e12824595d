//! The node pool, from the cloud's own API through the client `connect` builds (or, for nodes added
//! by other means, from Kubernetes).
use anyhow::Context;

use crate::connect::{ConfigContext, NodePoolClient};
use crate::snapshot::{EksNodeGroup, NodePool};

pub async fn observe(context: &ConfigContext<'_>) -> anyhow::Result<NodePool> {
    match NodePoolClient::connect(context).await? {
        NodePoolClient::Eks {
            eks,
            region,
            cluster,
            nodegroup,
        } => {
            let group = eks.describe(&cluster, &nodegroup).await?;
            Ok(NodePool::Eks(EksNodeGroup {
                region,
                cluster,
                nodegroup,
                status: group.status,
                min_size: non_negative(group.min_size).context("minSize")?,
                max_size: non_negative(group.max_size).context("maxSize")?,
                desired_size: non_negative(group.desired_size).context("desiredSize")?,
                instance_types: group.instance_types,
            }))
        }
        NodePoolClient::Gke { gke, pool } => super::gke::observe(&gke, pool).await,
        NodePoolClient::Aks { aks, pool } => super::aks::observe(&aks, pool).await,
        NodePoolClient::External { selector } => super::external::observe(context, selector).await,
    }
}

fn non_negative(value: i32) -> anyhow::Result<u32> {
    u32::try_from(value).map_err(|_| anyhow::anyhow!("EKS reported a negative size {value}"))
}
