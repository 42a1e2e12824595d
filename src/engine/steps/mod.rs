//! The runbook as ordered steps. Each step's life is the same: observe -> already done? -> in
//! flight (a recorded handle)? -> act -> wait -> verify; the runner checkpoints after each. The
//! steps of one system live together (`kafka/`, `pinot/`, `node_pool/`); the list and its order are
//! [`StepName::ALL`].
use super::context::{Outcome, StepContext, StepError};
use crate::state::StepName;

mod broker_volumes;
mod helm_upgrade;
mod hook_jobs;
pub mod kafka;
mod node_pool;
pub mod pinot;
mod rollout;
mod validate;
mod values_file;

pub async fn run_step(name: StepName, ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    match name {
        StepName::NodePool => node_pool::run(ctx).await,
        StepName::ValuesFile => values_file::run(ctx).await,
        StepName::HookJobs => hook_jobs::run(ctx).await,
        StepName::BrokerVolumes => broker_volumes::run(ctx).await,
        StepName::HelmUpgrade => helm_upgrade::run(ctx).await,
        StepName::Rollout => rollout::run(ctx).await,
        StepName::KafkaPartitions => kafka::partitions::run(ctx).await,
        StepName::KafkaReassignment => kafka::reassignment::run(ctx).await,
        StepName::KafkaLeaders => kafka::leaders::run(ctx).await,
        StepName::PinotRebalance => pinot::rebalance::run(ctx).await,
        StepName::Validate => validate::run(ctx).await,
    }
}
