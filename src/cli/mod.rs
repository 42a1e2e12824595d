//! The command line: argument parsing only; each subcommand lives in its own file.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod apply;
pub mod completions;
pub mod duration;
pub mod force_unlock;
pub mod init;
pub mod kafka_balance;
pub mod kube_flags;
pub mod man;
pub mod plan;
pub mod propose;
pub mod redact;
pub mod scale_values;
pub mod schema;
pub mod show;
pub mod snapshot;
pub mod state;
pub mod status;
pub mod terraform_flags;
pub mod validate;
pub mod verify;

pub use terraform_flags::{terraform_only_hint, terraform_style_flags};

/// `kfscale --version`: the release, the commit and the day it was built (build.rs; "unknown"
/// when built without git, from a tarball).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("KFSCALE_COMMIT"),
    ", built ",
    env!("KFSCALE_BUILD_DATE"),
    ")"
);

#[derive(Debug, Parser)]
#[command(name = "kfscale", version = VERSION, about = "Plan and apply a Kloudfuse cluster scale-out")]
pub struct Cli {
    /// More log output on stderr (-v, -vv, -vvv). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// When to paint the output: auto (a terminal, unless NO_COLOR or TERM=dumb; CLICOLOR_FORCE=1
    /// forces it), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto", global = true)]
    pub color: ColorFlag,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorFlag {
    Auto,
    Always,
    Never,
}

impl From<ColorFlag> for crate::color::ColorChoice {
    fn from(flag: ColorFlag) -> Self {
        match flag {
            ColorFlag::Auto => crate::color::ColorChoice::Auto,
            ColorFlag::Always => crate::color::ColorChoice::Always,
            ColorFlag::Never => crate::color::ColorChoice::Never,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a first kfscale.yaml from the current kube context (release, node pool, git).
    Init(init::InitArgs),
    /// Compute and show the whole scale-out plan (nothing is changed).
    Plan(plan::PlanArgs),
    /// Execute a plan step by step (resumable, locked, recorded in git).
    Apply(apply::ApplyArgs),
    /// Push a saved plan for review: one commit on a review branch of the customer remote.
    Propose(propose::ProposeArgs),
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
    /// Read-only views of the state: `state list` (the steps), `state show STEP` (one step).
    State(state::StateArgs),
    /// Print the JSON Schema of a kfscale file: config (kfscale.yaml), plan, snapshot or state.
    Schema(schema::SchemaArgs),
    /// Propose a minimal-movement balanced Kafka reassignment (Kafka tool JSON format).
    KafkaBalance(kafka_balance::KafkaBalanceArgs),
    /// Print the shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff; `kfscale man | man -l -`), or write one per command.
    Man(man::ManArgs),
}

impl Cli {
    /// Whether the command was asked for JSON (`--json`, `--format json`): then its errors are
    /// JSON lines on stdout too (`crate::diagnostic`).
    pub fn json_output(&self) -> bool {
        match &self.command {
            Command::Plan(args) => args.json,
            Command::Apply(args) => args.json,
            Command::Propose(args) => args.json,
            Command::Show(args) => args.json || args.format == show::ShowFormat::Json,
            Command::Status(args) => args.json,
            Command::Redact(args) => args.json,
            Command::Verify(args) => args.json,
            Command::State(state::StateArgs {
                command: state::StateCommand::Show(args),
            }) => args.json,
            _ => false,
        }
    }
}

/// Whether raw arguments ask for JSON, for the errors found before they parse (an unknown flag
/// beside `--json`): `--json`/`-json`, `--format json`, `--format=json`.
pub fn json_requested(args: &[std::ffi::OsString]) -> bool {
    let words: Vec<std::borrow::Cow<'_, str>> = args.iter().map(|arg| arg.to_string_lossy()).collect();
    words.iter().enumerate().any(|(at, word)| match word.as_ref() {
        "--json" | "-json" | "--format=json" | "-format=json" => true,
        "--format" | "-format" => words.get(at + 1).is_some_and(|next| next == "json"),
        _ => false,
    })
}

/// Runs the parsed command on the command's one async runtime (two workers: the machine's
/// waits are network and child processes, not CPU). Exit codes: 0 success, 1 error, 2 (plan
/// --detailed-exitcode) changes.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| anyhow::anyhow!("starting the async runtime: {err}"))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Init(args) => init::run(&args).await,
            Command::Plan(args) => plan::run(&args).await,
            Command::Apply(args) => apply::run(&args).await,
            Command::Propose(args) => propose::run(&args),
            Command::Show(args) => show::run(&args),
            Command::Status(args) => status::run(&args).await,
            Command::ForceUnlock(args) => force_unlock::run(&args).await,
            Command::ScaleValues(args) => scale_values::run(&args),
            Command::Snapshot(args) => snapshot::run(&args).await,
            Command::Schema(args) => schema::run(&args),
            Command::Redact(args) => redact::run(&args),
            Command::Validate(args) => validate::run(&args).await,
            Command::Verify(args) => verify::run(&args).await,
            Command::KafkaBalance(args) => kafka_balance::run(&args),
            Command::State(args) => state::run(&args),
            Command::Completions(args) => completions::run(&args),
            Command::Man(args) => man::run(&args),
        }
    })
}
