//! Grow the node pool: the cloud's own resize, then wait until the pool has its planned size and
//! that many of its nodes are Ready in Kubernetes. Each cloud has its own file; each records the
//! resize's handle before waiting, so a resumed apply polls it instead of resizing again. Nodes added
//! by other means are only waited for.
use crate::connect::NodePoolClient;
use crate::engine::context::{Outcome, StepContext, StepError};

mod aks;
mod eks;
mod external;
mod gke;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    match &ctx.systems.node_pool {
        NodePoolClient::Eks { .. } => eks::run(ctx).await,
        NodePoolClient::Gke { .. } => gke::run(ctx).await,
        NodePoolClient::Aks { .. } => aks::run(ctx).await,
        NodePoolClient::External { .. } => external::run(ctx).await,
    }
}
