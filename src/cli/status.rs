//! `kfscale status`: where an apply stands, from the state file (and who holds the lock).
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::loaded_config::LoadedConfig;
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
    if args.json {
        println!("{}", serde_json::to_string_pretty(&state)?);
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
            "  {mark}  {:<16} {}{}",
            step.name,
            step.message.as_deref().unwrap_or(""),
            if handles.is_empty() {
                String::new()
            } else {
                format!("  [{}]", handles.join(", "))
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
