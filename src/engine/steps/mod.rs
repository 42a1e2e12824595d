//! The runbook as ordered steps. Each step's life is the same: observe -> already done? -> in
//! flight (a recorded handle)? -> act -> wait -> verify; the runner checkpoints after each.
use super::context::{Outcome, StepContext, StepError};

mod broker_volumes;
mod helm_upgrade;
mod hook_jobs;
mod kafka_copy_figures;
mod kafka_health;
mod kafka_live;
mod kafka_moves;
mod kafka_partitions;
mod kafka_reassignment;
mod kafka_throttle;
mod node_pool;
mod node_pool_eks;
mod node_pool_gke;
mod pinot_job;
mod pinot_rebalance;
mod pinot_segments;
pub mod record;
mod rollout;
mod stall;
mod validate;
mod values_file;
mod workload_health;

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
    ("kafka_partitions", "make sure every topic has its planned partitions"),
    (
        "kafka_reassignment",
        "move partition replicas onto the new brokers, throttled, in batches",
    ),
    ("pinot_rebalance", "rebalance the Pinot tables onto the new servers"),
    ("validate", "check pods, consumer lag and segments before recording"),
];

pub async fn run_step(name: &str, ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    match name {
        "node_pool" => node_pool::run(ctx).await,
        "values_file" => values_file::run(ctx).await,
        "hook_jobs" => hook_jobs::run(ctx).await,
        "broker_volumes" => broker_volumes::run(ctx).await,
        "helm_upgrade" => helm_upgrade::run(ctx).await,
        "rollout" => rollout::run(ctx).await,
        "kafka_partitions" => kafka_partitions::run(ctx).await,
        "kafka_reassignment" => kafka_reassignment::run(ctx).await,
        "pinot_rebalance" => pinot_rebalance::run(ctx).await,
        "validate" => validate::run(ctx).await,
        other => Err(StepError::failed(format!("unknown step {other} in the state file"))),
    }
}
