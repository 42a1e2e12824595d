//! Wait for every workload to run its planned replicas, Ready and updated, and check that the pods
//! of each scaled workload are spread evenly over the pool's nodes (counts differ by at most 1).
use super::workload_health::wait_healthy;
use crate::engine::context::{Outcome, StepContext, StepError};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let health = wait_healthy(ctx, ctx.settings.rollout_timeout).await?;
    ctx.observe("spread", &health.spreads);
    Ok(Outcome::Done(format!(
        "{} workloads Ready, spread over {} nodes",
        health.workloads, health.nodes
    )))
}

/// The label that marks the pool's nodes, and the pool's name.
pub(super) fn pool_label(ctx: &StepContext<'_>) -> (&'static str, String) {
    let (label, pool) = ctx.systems.node_pool.node_label();
    (label, pool.to_string())
}
