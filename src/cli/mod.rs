//! The command line: argument parsing only; each subcommand lives in its own file.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod kafka_balance;

#[derive(Debug, Parser)]
#[command(
    name = "kfscale",
    version,
    about = "Plan and apply a Kloudfuse cluster scale-out"
)]
pub struct Cli {
    /// More log output on stderr (-v, -vv, -vvv). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Propose a minimal-movement balanced Kafka reassignment (Kafka tool JSON format).
    KafkaBalance(kafka_balance::KafkaBalanceArgs),
}

/// Runs the parsed command. Exit codes: 0 success, 1 error, 2 (plan --detailed-exitcode) changes.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::KafkaBalance(args) => kafka_balance::run(&args),
    }
}
