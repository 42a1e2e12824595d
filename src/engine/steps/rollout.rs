//! Wait for every workload to run its planned replicas, Ready and updated, and check that the pods
//! of each scaled workload are spread evenly over the pool's nodes (counts differ by at most 1).
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::workload_health::wait_healthy;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let health = wait_healthy(ctx, ctx.settings.rollout_timeout).await?;
    ctx.observe("spread", &health.spreads);
    Ok(Outcome::Done(format!(
        "{} workloads Ready, spread over {} nodes",
        health.workloads, health.nodes
    )))
}
