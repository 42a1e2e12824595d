//! `kfscale apply [PLANFILE]`: parses the arguments, hands the apply to the engine
//! (`engine::apply`), and shows how it ended.
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::diagnostic::Diagnostic;
use crate::engine::apply::{ApplyOutcome, ApplyRequest, Operator, apply};
use crate::engine::report::events::Events;
use crate::plan::{GrowthFactor, Intent, Plan};
use crate::render::{Style, render_plan};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `kfscale plan -out FILE`: applied exactly, refused when stale.
    pub plan_file: Option<PathBuf>,
    /// Without a plan file: nodes to add.
    #[arg(long, value_name = "M", conflicts_with = "plan_file")]
    pub add_nodes: Option<u32>,
    /// Without a plan file: the total node count.
    #[arg(long, value_name = "N", conflicts_with_all = ["plan_file", "add_nodes"])]
    pub nodes: Option<u32>,
    /// Without a plan file: size Kafka partitions for F times today's volume on top of the node
    /// ratio, as `kfscale plan --expected-growth F` (a plan file carries its own).
    #[arg(long, value_name = "F", value_parser = GrowthFactor::parse, conflicts_with = "plan_file")]
    pub expected_growth: Option<GrowthFactor>,
    /// Without a plan file: plan and apply no Pinot rebalance, as `kfscale plan --skip-pinot` (a
    /// plan file carries its own). Loud, and recorded in the state and the record commit.
    #[arg(long, conflicts_with = "plan_file")]
    pub skip_pinot: bool,
    /// Apply without asking (`-auto-approve` works too).
    #[arg(long)]
    pub auto_approve: bool,
    /// Emergency override of `review.required`: apply a plan reviewers did not merge. Loud, and
    /// recorded with your identity in the state and the record commit.
    #[arg(long)]
    pub no_review: bool,
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
    /// Profile: kraft, legacy, or a profile file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Wait this long for a lock someone else holds before giving up (Terraform's
    /// `-lock-timeout=DURATION`: 30s, 5m, 1h); default 0s, refuse at once naming the holder.
    #[arg(long, value_name = "DURATION", value_parser = super::duration::parse_duration, default_value = "0s")]
    pub lock_timeout: std::time::Duration,
    /// One JSON event per line on stdout, for CI.
    #[arg(long)]
    pub json: bool,
    /// No colours even on a terminal.
    #[arg(long)]
    pub no_color: bool,
}

pub async fn run(args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    refuse_a_prompt_nobody_can_answer(args)?;
    let loaded = args.kube.require_config(args.config.as_deref(), "apply")?;
    let intent = match (args.add_nodes, args.nodes) {
        (Some(added), _) => Some(Intent::AddNodes(added)),
        (None, Some(total)) => Some(Intent::Nodes(total)),
        (None, None) => None,
    };
    let request = ApplyRequest {
        loaded: &loaded,
        plan_file: args.plan_file.as_deref(),
        intent,
        expected_growth: args.expected_growth,
        skip_pinot: args.skip_pinot,
        profile_flag: args.profile.as_deref(),
        auto_approve: args.auto_approve,
        no_review: args.no_review,
        json: args.json,
        lock_timeout: args.lock_timeout,
    };
    let events = Events::new(args.json);
    let outcome = apply(
        &request,
        &Terminal {
            no_color: args.no_color,
        },
        &events,
    )
    .await?;
    Ok(ExitCode::from(show(&outcome, args.json)))
}

/// Under `--json` stdout belongs to a program, so nobody answers "Enter a value:": as
/// `terraform apply -json` does, apply then needs a saved plan or --auto-approve, and says so
/// before anything is read or contacted.
fn refuse_a_prompt_nobody_can_answer(args: &ApplyArgs) -> anyhow::Result<()> {
    if args.json && !args.auto_approve && args.plan_file.is_none() {
        anyhow::bail!(
            "`kfscale apply --json` cannot ask for approval: its output is for a program, which cannot answer the prompt; nothing was contacted; fix: add --auto-approve (which also resumes an unfinished apply), or apply a saved plan: `kfscale plan ... -out FILE`, then `kfscale apply FILE --json`"
        );
    }
    Ok(())
}

/// The operator at a terminal: the plan on stdout, the prompt on stdin, notes on stderr.
struct Terminal {
    no_color: bool,
}

impl Operator for Terminal {
    fn show_plan(&self, plan: &Plan) {
        crate::out!("{}", render_plan(plan, Style::for_stdout(self.no_color)));
    }

    fn approve(&self) -> anyhow::Result<bool> {
        crate::out!(
            "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
        );
        crate::output::flush();
        let mut answer = String::new();
        // A blocking read on the runtime's thread: nothing else runs while the operator decides.
        tokio::task::block_in_place(|| std::io::stdin().lock().read_line(&mut answer))?;
        Ok(answer.trim() == "yes")
    }

    fn note(&self, text: &str) {
        crate::eoutln!("{text}");
    }
}

/// Prints how the apply ended and returns the exit code: 0 done, 1 failed, 130 interrupted.
fn show(outcome: &ApplyOutcome, json: bool) -> u8 {
    let short = |commit: &str| commit[..12.min(commit.len())].to_string();
    match outcome {
        ApplyOutcome::NoChanges => {
            if !json {
                crate::outln!("No changes. The cluster already matches the requested state.");
            }
            0
        }
        ApplyOutcome::RecordFinished { commit, pushed, .. } => {
            match (commit, pushed) {
                (Some(commit), pushed) => crate::eoutln!(
                    "Recorded: committed {}{}",
                    short(commit),
                    pushed
                        .as_ref()
                        .map(|p| format!(" and pushed to {p}"))
                        .unwrap_or_default()
                ),
                (None, Some(pushed)) => crate::eoutln!("Recorded: pushed to {pushed}"),
                (None, None) => crate::eoutln!("Recorded: nothing new to commit"),
            }
            0
        }
        ApplyOutcome::Succeeded { timing, commit, pushed } => {
            if !json {
                crate::eoutln!("\n{}", timing.render());
                let recorded = match (commit, pushed) {
                    (Some(commit), Some(pushed)) => {
                        format!(" Recorded in commit {} (pushed to {pushed}).", short(commit))
                    }
                    (Some(commit), None) => format!(" Recorded in commit {}.", short(commit)),
                    (None, _) => String::new(),
                };
                crate::outln!("\nApply complete!{recorded}");
            }
            0
        }
        ApplyOutcome::Interrupted { step } => {
            let what = format!("apply interrupted at step {step}; state is written");
            let next = "Run `kfscale apply` to resume.";
            match json {
                true => Diagnostic::error(&what).and_then(next).emit(),
                false => crate::eoutln!("\nApply {}. {next}", what.trim_start_matches("apply ")),
            }
            130
        }
        ApplyOutcome::Failed { step, message } => {
            let what = format!("step {step} failed: {message}");
            let next = "State is written; after fixing the cause, `kfscale apply` resumes from this step.";
            match json {
                true => Diagnostic::error(&what).and_then(next).emit(),
                false => crate::eoutln!("\nError: {what}\n{next}"),
            }
            1
        }
        ApplyOutcome::LeaseLost { step, message } => {
            let what = format!("stopped before step {step}: {message}.");
            let next = "State is written and nothing is half-done; once no one else holds the lock (`kfscale status`), `kfscale apply` resumes from this step.";
            match json {
                true => Diagnostic::error(&what).and_then(next).emit(),
                false => crate::eoutln!("\nError: {what}\n{next}"),
            }
            1
        }
    }
}
