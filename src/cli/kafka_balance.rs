//! `kfscale kafka-balance`: the balancer on Kafka's own reassignment JSON files.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct KafkaBalanceArgs {
    /// Current assignment: {"version":1,"partitions":[{"topic","partition","replicas"}]}.
    #[arg(long)]
    pub assignment: PathBuf,
    /// Target broker ids, comma separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub brokers: Vec<i32>,
    /// Broker racks: id=rack, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub racks: Vec<String>,
}

pub fn run(args: &KafkaBalanceArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("kafka-balance is not implemented yet")
}
