//! The runbook as ordered steps. Each step's life is the same: observe -> already done? -> in
//! flight (a recorded handle)? -> act -> wait -> verify; the runner checkpoints after each.
use super::context::{Outcome, StepContext, StepError};

mod broker_volumes;
mod helm_upgrade;
mod hook_jobs;
mod node_pool;
pub mod record;
mod rollout;
mod values_file;

/// (name, what it does), in runbook order.
pub const STEPS: &[(&str, &str)] = &[
    ("node_pool", "grow the node pool and wait for its nodes to be Ready"),
    ("values_file", "write the new values file"),
    ("hook_jobs", "delete leftover Helm hook jobs"),
    ("broker_volumes", "grow the Kafka broker volumes"),
    ("helm_upgrade", "helm upgrade at the installed chart version"),
    (
        "rollout",
        "wait for every workload to be Ready and spread over the nodes",
    ),
];

pub async fn run_step(name: &str, ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    match name {
        "node_pool" => node_pool::run(ctx).await,
        "values_file" => values_file::run(ctx).await,
        "hook_jobs" => hook_jobs::run(ctx).await,
        "broker_volumes" => broker_volumes::run(ctx).await,
        "helm_upgrade" => helm_upgrade::run(ctx).await,
        "rollout" => rollout::run(ctx).await,
        other => Err(StepError::failed(format!("unknown step {other} in the state file"))),
    }
}
