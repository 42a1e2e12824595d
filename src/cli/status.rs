//! `kfscale status`: where an apply stands, from the state file: each step, the running step's
//! latest figures with an ETA from the systems' own numbers, and where the time went.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::loaded_config::LoadedConfig;
use crate::engine::progress;
use crate::engine::timing::Timing;
use crate::state::StepStatus;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Config file (default: ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The state as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let loaded = LoadedConfig::require(args.config.as_deref(), "status")?;
    let store = loaded.state_store();
    let Some(state) = store.load()? else {
        println!("No apply yet: {} has no state file.", store.dir().display());
        return Ok(ExitCode::SUCCESS);
    };
    // The running step's latest figures, when they belong to this run and it has not ended.
    let progress = progress::read(store.dir()).filter(|p| {
        state
            .run
            .as_ref()
            .is_some_and(|run| run.id == p.run && run.finished_at.is_none())
    });
    if args.json {
        let mut value = serde_json::to_value(&state)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("progress".into(), serde_json::to_value(&progress)?);
            object.insert(
                "timing".into(),
                serde_json::to_value(state.run.as_ref().map(Timing::of))?,
            );
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "cluster {} (lineage {}, serial {})",
        state.cluster, state.lineage, state.serial
    );
    let Some(run) = &state.run else {
        println!("No apply recorded.");
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "apply {}: {:?}, {} -> {} nodes, by {}, started {}, updated {}{}",
        run.id,
        run.status,
        run.plan.from_nodes,
        run.plan.to_nodes,
        run.operator,
        run.started_at,
        run.updated_at,
        run.finished_at
            .as_ref()
            .map(|t| format!(", finished {t}"))
            .unwrap_or_default()
    );
    for step in &run.steps {
        let mark = match step.status {
            StepStatus::Done => "✓ done   ",
            StepStatus::Skipped => "✓ skipped",
            StepStatus::Running => "… running",
            StepStatus::Pending => "  pending",
            StepStatus::Failed => "✗ FAILED ",
        };
        let handles: Vec<String> = step.handles.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "  {mark}  {:<18} {}{}",
            step.name,
            step.message.as_deref().unwrap_or(""),
            if handles.is_empty() {
                String::new()
            } else {
                format!("  [{}]", handles.join(", "))
            }
        );
        if let Some(progress) = progress.as_ref().filter(|p| p.step == step.name) {
            println!("               {}", progress.line());
        }
    }
    let timing = Timing::of(run);
    if !timing.steps.is_empty() {
        println!("{}", timing.render());
    }
    Ok(ExitCode::SUCCESS)
}
