//! `kfscale show PLANFILE`: a saved plan (`plan -out`, or what `plan --json` printed) as a
//! reviewable document: the terminal view, the plan document for programs, or Markdown to paste
//! into a pull request or a ticket for the runbook's review.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::balance::tool_json::write_rollback;
use crate::files::read_plan_file;
use crate::planfile::encode_plan_file;
use crate::render::{Style, render_markdown, render_plan};
use crate::snapshot::digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    Markdown,
    /// The way back for Kafka: each partition the plan moves, with the replicas it had before, in
    /// `kafka-reassign-partitions` format (what apply also saves in the state directory).
    KafkaRollback,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `kfscale plan -out FILE`, or the output of `kfscale plan --json`.
    pub plan_file: PathBuf,
    /// text (as `kfscale plan` prints it), json (the plan document, as `plan --json` prints it),
    /// markdown (for a pull request or a ticket), or kafka-rollback (the pre-apply assignment of the
    /// partitions the plan moves, for `kafka-reassign-partitions --execute`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ShowFormat,
    /// Same as --format json (`-json` works too).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// No colours even on a terminal (text format).
    #[arg(long)]
    pub no_color: bool,
}

pub fn run(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    // The checksum is verified here: a damaged or edited plan is refused, as apply would refuse it.
    let plan = read_plan_file(&args.plan_file)?;
    let checksum = format!("sha256:{}", digest(&plan));
    let shown = args.plan_file.display().to_string();
    let format = if args.json { ShowFormat::Json } else { args.format };
    match format {
        ShowFormat::Text => {
            crate::out!("{}", render_plan(&plan, Style::for_stdout(args.no_color)));
            crate::outln!("\nPlan fingerprint {checksum}. To apply exactly this plan: kfscale apply {shown}");
        }
        // The plan document, as `plan --json` prints it and `plan -out` writes it.
        ShowFormat::Json => crate::out!("{}", encode_plan_file(&plan)?),
        ShowFormat::Markdown => crate::out!("{}", render_markdown(&plan, &shown, &checksum)),
        ShowFormat::KafkaRollback => {
            let Some(result) = plan.kafka.reassignment.as_ref() else {
                anyhow::bail!("the plan {shown} moves no Kafka replicas: there is nothing to roll back");
            };
            let mut bytes = Vec::new();
            write_rollback(result, &mut bytes)?;
            crate::output::write_bytes(&bytes);
        }
    }
    Ok(ExitCode::SUCCESS)
}
