//! The command line: argument parsing only; each subcommand lives in its own file.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod apply;
pub mod force_unlock;
pub mod kafka_balance;
pub mod loaded_config;
mod observe_live;
pub mod plan;
mod profile_choice;
pub mod redact;
pub mod scale_values;
pub mod schema;
pub mod show;
pub mod snapshot;
pub mod status;
pub mod validate;
pub mod verify;

#[derive(Debug, Parser)]
#[command(name = "kfscale", version, about = "Plan and apply a Kloudfuse cluster scale-out")]
pub struct Cli {
    /// More log output on stderr (-v, -vv, -vvv). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute and show the whole scale-out plan (nothing is changed).
    Plan(plan::PlanArgs),
    /// Execute a plan step by step (resumable, locked, recorded in git).
    Apply(apply::ApplyArgs),
    /// Show a saved plan for review: text, JSON, or Markdown for a pull request or a ticket.
    Show(show::ShowArgs),
    /// Show where an apply stands.
    Status(status::StatusArgs),
    /// Remove the cluster lock of an apply whose holder is gone (needs the lock id).
    ForceUnlock(force_unlock::ForceUnlockArgs),
    /// Observe the cluster into a snapshot file (nothing is changed; secrets redacted).
    Snapshot(snapshot::SnapshotArgs),
    /// Rewrite a values file for a new node count (stdout) and list the changes (stderr).
    ScaleValues(scale_values::ScaleValuesArgs),
    /// Print a values file with every secret shown as (sensitive).
    Redact(redact::RedactArgs),
    /// Check kfscale.yaml and print what kfscale would connect to (nothing is contacted).
    Validate(validate::ValidateArgs),
    /// Run the validation checklist against the live cluster: each check GREEN, YELLOW or RED.
    Verify(verify::VerifyArgs),
    /// Print a JSON Schema of kfscale's files.
    #[command(hide = true)]
    Schema(schema::SchemaArgs),
    /// Propose a minimal-movement balanced Kafka reassignment (Kafka tool JSON format).
    KafkaBalance(kafka_balance::KafkaBalanceArgs),
}

/// Runs the parsed command. Exit codes: 0 success, 1 error, 2 (plan --detailed-exitcode) changes.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Apply(args) => apply::run(&args),
        Command::Show(args) => show::run(&args),
        Command::Status(args) => status::run(&args),
        Command::ForceUnlock(args) => force_unlock::run(&args),
        Command::ScaleValues(args) => scale_values::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Redact(args) => redact::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::KafkaBalance(args) => kafka_balance::run(&args),
    }
}

/// Terraform users type `-out FILE`, `-detailed-exitcode`, `-auto-approve`: accept those spellings
/// (clap would read `-out` as `-o ut`).
pub fn terraform_style_flags(args: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const LONG_FLAGS: &[&str] = &[
        "out",
        "detailed-exitcode",
        "auto-approve",
        "json",
        "no-color",
        "snapshot",
    ];
    args.into_iter()
        .map(|arg| {
            let Some(text) = arg.to_str() else { return arg };
            let Some(rest) = text.strip_prefix('-').filter(|rest| !rest.starts_with('-')) else {
                return arg;
            };
            let name = rest.split('=').next().unwrap_or(rest);
            if LONG_FLAGS.contains(&name) {
                format!("-{text}").into()
            } else {
                arg
            }
        })
        .collect()
}
