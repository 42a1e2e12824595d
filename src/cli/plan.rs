//! `kfscale plan`: observe (or read a snapshot), compute the whole desired state, show it.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::{ArgGroup, Args};

use crate::config::Config;
use crate::config::{LoadedConfig, planning_error};
use crate::diagnostic::{Diagnostic, Severity};
use crate::files::choose_profile;
use crate::files::read_snapshot;
use crate::files::write_plan_file;
use crate::observe::{helm_preflight, observe_live};
use crate::plan::{
    CheckStatus, ExpectedGrowth, GrowthFactor, HELM_PREFLIGHT, Intent, Plan, PlanOptions, PreCheck, plan_with,
};
use crate::planfile::encode_plan_file;
use crate::render::{Style, render_plan};
use crate::snapshot::Snapshot;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["add_nodes", "nodes"])))]
pub struct PlanArgs {
    /// Plan from a snapshot file (no network at all); without it, observe the cluster kfscale.yaml describes.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Nodes to add to the pool.
    #[arg(long, value_name = "M")]
    pub add_nodes: Option<u32>,
    /// Total node count after the scale-out.
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
    /// Size Kafka partitions for F times today's volume on top of the node ratio (1.5 = 50% more):
    /// ceil(partitions × (n+m)/n × F). Replaces kfscale.yaml's partition_growth.expected; its
    /// per-stream and per-topic settings still win for their topics.
    #[arg(long, value_name = "F", value_parser = GrowthFactor::parse)]
    pub expected_growth: Option<GrowthFactor>,
    /// Plan no Pinot rebalance although the runbook requires one: the only way past a Pinot that
    /// cannot be reached. The `pinot` pre-check warns instead of failing; recorded in the plan, the
    /// state and the record commit. Rebalance the metrics tables by hand afterwards.
    #[arg(long)]
    pub skip_pinot: bool,
    /// Profile: kraft, legacy, or a profile file (default: kfscale.yaml's profile.base, else detected).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
    /// Write the plan to FILE, to apply exactly this plan later (`-out FILE` works too).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --out: also push the saved plan for review (as `kfscale propose FILE`).
    #[arg(long, requires = "out")]
    pub propose: bool,
    /// Print the plan as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when nothing changes, 2 when the plan has changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// No colours even on a terminal.
    #[arg(long)]
    pub no_color: bool,
}

pub async fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.kube.load_config(args.config.as_deref())?;
    let (snapshot, profile, source) = match (&args.snapshot, &loaded) {
        (Some(path), _) => {
            let snapshot = read_snapshot(path)?;
            let config_ref = loaded.as_ref().map(|l| (&l.config, l.origin.as_str()));
            let profile = choose_profile(args.profile.as_deref(), config_ref, &snapshot.values.text)?;
            (snapshot, profile, path.display().to_string())
        }
        (None, Some(loaded)) => {
            let (snapshot, profile) = observe_live(loaded, args.profile.as_deref(), !args.json).await?;
            (snapshot, profile, "the live cluster".to_string())
        }
        (None, None) => bail!(
            "no kfscale.yaml here and no --config; fix: pass --config FILE (see examples/kfscale.yaml), or plan from a snapshot with --snapshot FILE"
        ),
    };
    let intent = match (args.add_nodes, args.nodes) {
        (Some(added), _) => Intent::AddNodes(added),
        (None, Some(total)) => Intent::Nodes(total),
        (None, None) => bail!("give --add-nodes M or --nodes N"),
    };
    let options = match &loaded {
        Some(loaded) => loaded.plan_options(args.expected_growth, args.skip_pinot),
        None => PlanOptions {
            expected_growth: ExpectedGrowth {
                flag: args.expected_growth,
                settings: Default::default(),
            },
            skip_pinot: args.skip_pinot,
            ..PlanOptions::default()
        },
    };
    let mut plan = plan_with(&snapshot, intent, &profile, &options).map_err(|err| {
        let config = loaded.as_ref().map(|loaded| loaded.origin.as_str());
        planning_error(err, config, Some(&format!("planning from {source}")))
    })?;
    if let Some(loaded) = &loaded {
        plan.state = loaded.state_ref()?;
    }
    match (&args.snapshot, &loaded) {
        (None, Some(loaded)) => plan.prechecks.push(live_helm_preflight(loaded, &plan, &snapshot)),
        _ => crate::eoutln!(
            "Note: the {HELM_PREFLIGHT} pre-check needs the cluster and was not run (planned from a snapshot); `kfscale apply` runs it before changing anything."
        ),
    }
    show(&plan, args)?;
    let code = finish(&plan, args)?;
    if args.propose && !plan.has_changes() {
        crate::eoutln!("No changes, so nothing to propose.");
    } else if let (Some(out), true) = (&args.out, args.propose && !plan.has_failed_checks()) {
        let Some(loaded) = &loaded else {
            bail!("--propose needs kfscale.yaml (its git: section names the remote); fix: pass --config FILE");
        };
        let proposed = super::propose::propose_file(loaded, out)?;
        if args.json {
            crate::eoutln!("{}", serde_json::to_string(&proposed)?);
        } else {
            crate::out!("\n{}", super::propose::describe(&proposed, out));
        }
    }
    Ok(code)
}

/// The Helm pre-flight against the live cluster, as a pre-check line (helm runs as a child: a
/// blocking wait, off the runtime's workers).
fn live_helm_preflight(loaded: &LoadedConfig, plan: &Plan, snapshot: &Snapshot) -> PreCheck {
    let context = loaded.context();
    let outcome = tokio::task::block_in_place(|| {
        helm_preflight::for_plan(&context, plan, &snapshot.values.path, &snapshot.values.text)
    });
    crate::plan::helm_preflight(&outcome)
}

/// The config named by --config, or ./kfscale.yaml when it exists, as (config, origin).
pub fn load_config(flag: Option<&Path>) -> anyhow::Result<Option<(Config, String)>> {
    Ok(LoadedConfig::load(flag)?.map(|loaded| (loaded.config, loaded.origin)))
}

fn show(plan: &Plan, args: &PlanArgs) -> anyhow::Result<()> {
    if args.json {
        // The plan document, byte for byte what `-out` writes: `show` and `apply` read either.
        crate::out!("{}", encode_plan_file(plan)?);
    } else {
        crate::out!("{}", render_plan(plan, Style::for_stdout(args.no_color)));
    }
    Ok(())
}

/// Under `--json`, the error line after the plan when a pre-check failed: each failed check with
/// its own fix.
fn failed_checks(plan: &Plan, out: Option<&Path>) -> Diagnostic {
    let failed: Vec<&PreCheck> = plan
        .prechecks
        .iter()
        .filter(|check| check.status == CheckStatus::Fail)
        .collect();
    let what: Vec<String> = failed.iter().map(|c| format!("{}: {}", c.id, c.message)).collect();
    let fixes: Vec<&str> = failed
        .iter()
        .map(|c| c.fix.as_str())
        .filter(|f| !f.is_empty())
        .collect();
    let diagnostic = Diagnostic {
        severity: Severity::Error,
        summary: format!("a pre-check failed: {}", what.join("; ")),
        detail: match fixes.is_empty() {
            true => "fix: resolve it, then plan again".into(),
            false => format!("fix: {}; then plan again", fixes.join("; ")),
        },
    };
    match out {
        Some(out) => diagnostic.and_then(&format!("No plan file was written to {}.", out.display())),
        None => diagnostic,
    }
}

/// What Terraform says after a plan that was not saved: an apply plans again, from the world as
/// it is then.
pub const NO_OUT_NOTE: &str = "\n─────────────────────────────────────────────────────────────────────────────\n\nNote: You didn't use the -out option to save this plan, so kfscale can't guarantee to take\nexactly these actions if you run \"kfscale apply\" now.\n";

fn finish(plan: &Plan, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if plan.has_failed_checks() {
        if args.json {
            failed_checks(plan, args.out.as_deref()).emit();
        } else if let Some(out) = &args.out {
            crate::eoutln!(
                "Error: a pre-check failed, so no plan file was written to {}; fix the failing check and plan again",
                out.display()
            );
        }
        return Ok(ExitCode::from(1));
    }
    if let Some(out) = &args.out {
        write_plan_file(out, plan)?;
        if !args.json {
            crate::outln!(
                "\nSaved the plan to {}. To apply exactly this plan: kfscale apply {}",
                out.display(),
                out.display()
            );
        }
    } else if !args.json && plan.has_changes() {
        crate::out!("{NO_OUT_NOTE}");
    }
    Ok(ExitCode::from(if args.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    }))
}
