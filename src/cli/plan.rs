//! `kfscale plan`: observe (or read a snapshot), compute the whole desired state, show it.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{ArgGroup, Args};

use super::loaded_config::LoadedConfig;
use super::observe_live::observe_live;
use super::profile_choice::choose_profile;
use crate::config::Config;
use crate::plan::{Intent, Plan, plan};
use crate::planfile::write_plan_file;
use crate::render::{Style, render_plan};
use crate::snapshot::read_snapshot;

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
    /// Profile: kraft, legacy, or a profile file (default: kfscale.yaml's profile.base, else detected).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Config file (default: ./kfscale.yaml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write the plan to FILE, to apply exactly this plan later (`-out FILE` works too).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
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

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let loaded = LoadedConfig::load(args.config.as_deref())?;
    let (snapshot, profile, source) = match (&args.snapshot, &loaded) {
        (Some(path), _) => {
            let snapshot = read_snapshot(path)?;
            let config_ref = loaded.as_ref().map(|l| (&l.config, l.origin.as_str()));
            let profile = choose_profile(args.profile.as_deref(), config_ref, &snapshot.values.text)?;
            (snapshot, profile, path.display().to_string())
        }
        (None, Some(loaded)) => {
            let (snapshot, profile) = observe_live(loaded, args.profile.as_deref(), !args.json)?;
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
    let mut plan = plan(&snapshot, intent, &profile).with_context(|| format!("planning from {source}"))?;
    if let Some(loaded) = &loaded {
        plan.state = loaded.state_ref()?;
    }
    show(&plan, args)?;
    finish(&plan, args)
}

/// The config named by --config, or ./kfscale.yaml when it exists, as (config, origin).
pub fn load_config(flag: Option<&Path>) -> anyhow::Result<Option<(Config, String)>> {
    Ok(LoadedConfig::load(flag)?.map(|loaded| (loaded.config, loaded.origin)))
}

fn show(plan: &Plan, args: &PlanArgs) -> anyhow::Result<()> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(plan)?);
    } else {
        print!("{}", render_plan(plan, Style::for_stdout(args.no_color)));
    }
    Ok(())
}

fn finish(plan: &Plan, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if plan.has_failed_checks() {
        if let Some(out) = &args.out {
            eprintln!(
                "Error: a pre-check failed, so no plan file was written to {}; fix the failing check and plan again",
                out.display()
            );
        }
        return Ok(ExitCode::from(1));
    }
    if let Some(out) = &args.out {
        write_plan_file(out, plan)?;
        if !args.json {
            println!(
                "\nSaved the plan to {}. To apply exactly this plan: kfscale apply {}",
                out.display(),
                out.display()
            );
        }
    }
    Ok(ExitCode::from(if args.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    }))
}
