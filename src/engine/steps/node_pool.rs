//! Grow the node pool: the cloud's own resize, then wait until the pool has its planned size and
//! that many of its nodes are Ready in Kubernetes. Each cloud has its own file; both record the
//! resize's handle before waiting, so a resumed apply polls it instead of resizing again.
use super::node_pool_eks;
use super::node_pool_gke;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::systems::NodePoolClient;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    match &ctx.systems.node_pool {
        NodePoolClient::Eks { .. } => node_pool_eks::run(ctx).await,
        NodePoolClient::Gke { .. } => node_pool_gke::run(ctx).await,
    }
}
