//! `kfscale state list` and `kfscale state show STEP`: read-only views of the state file, spelled
//! as Terraform spells its own (`terraform state list`, `terraform state show ADDRESS`). The steps
//! of the recorded apply are kfscale's resources; `status` is the overview with the lock and the
//! timing. Nothing is changed and nothing is contacted: this works with the cluster unreachable.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::config::LoadedConfig;
use crate::state::{ApplyRun, State, StepRecord};

#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the steps of the recorded apply, one per line with its status (runbook order).
    List(StateListArgs),
    /// Show one step of the recorded apply: status, times, message, handles, what it observed.
    Show(StateShowArgs),
}

#[derive(Debug, Args)]
pub struct StateListArgs {
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml); its state.dir holds the state.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StateShowArgs {
    /// The step, as `state list` names it (node_pool, helm_upgrade, ...).
    pub step: String,
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml); its state.dir holds the state.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The step's record as JSON, as the state file holds it.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &StateArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        StateCommand::List(list) => {
            let state = read(list.config.as_ref(), "state list")?;
            if let Some(run) = &state.run {
                crate::out!("{}", list_text(run));
            }
        }
        StateCommand::Show(show) => {
            let state = read(show.config.as_ref(), "state show")?;
            let step = find_step(&state, &show.step)?;
            if show.json {
                crate::outln!("{}", serde_json::to_string_pretty(step)?);
            } else {
                crate::out!("{}", show_text(step));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read(config: Option<&PathBuf>, command: &str) -> anyhow::Result<State> {
    let loaded = LoadedConfig::require(config.map(PathBuf::as_path), command)?;
    let store = loaded.state_store();
    match store.load()? {
        Some(state) => Ok(state),
        None => bail!(
            "no state: {} has no state file (no apply has run from this state directory); fix: check state.dir in {}, or run `kfscale apply` first",
            store.state_path().display(),
            loaded.origin
        ),
    }
}

/// `step  status`, aligned, one per line.
pub fn list_text(run: &ApplyRun) -> String {
    run.steps
        .iter()
        .map(|step| format!("{:<20} {}\n", step.name.as_str(), status_word(step)))
        .collect()
}

/// The step named `name` in the recorded apply; an unknown name lists the ones there are.
pub fn find_step<'s>(state: &'s State, name: &str) -> anyhow::Result<&'s StepRecord> {
    let Some(run) = &state.run else {
        bail!("the state holds no apply yet; fix: run `kfscale apply` first");
    };
    match run.steps.iter().find(|step| step.name.as_str() == name) {
        Some(step) => Ok(step),
        None => {
            let names: Vec<&str> = run.steps.iter().map(|step| step.name.as_str()).collect();
            bail!(
                "no step `{name}` in the state of apply {}; fix: name one of: {}",
                run.id,
                names.join(", ")
            )
        }
    }
}

/// A step as `terraform state show` shows a resource: one `key = value` per line.
pub fn show_text(step: &StepRecord) -> String {
    let mut text = format!("# step {}\n", step.name.as_str());
    let mut line = |key: &str, value: &str| text.push_str(&format!("{key:<12} = {value}\n"));
    line("status", status_word(step));
    line("description", step.name.describe());
    for (key, value) in [
        ("started_at", &step.started_at),
        ("finished_at", &step.finished_at),
        ("message", &step.message),
    ] {
        if let Some(value) = value {
            line(key, value);
        }
    }
    for (title, map) in [("handles", &step.handles), ("observed", &step.observed)] {
        if map.is_empty() {
            continue;
        }
        text.push_str(&format!("{title} {{\n"));
        let width = map.keys().map(String::len).max().unwrap_or(0);
        for (key, value) in map {
            text.push_str(&format!("  {key:<width$} = {value}\n"));
        }
        text.push_str("}\n");
    }
    text
}

fn status_word(step: &StepRecord) -> &'static str {
    match step.status {
        crate::state::StepStatus::Pending => "pending",
        crate::state::StepStatus::Running => "running",
        crate::state::StepStatus::Done => "done",
        crate::state::StepStatus::Skipped => "skipped",
        crate::state::StepStatus::Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{StepName, StepStatus};

    fn step(name: StepName, status: StepStatus) -> StepRecord {
        StepRecord {
            status,
            ..StepRecord::pending(name)
        }
    }

    #[test]
    fn show_prints_handles_and_observed_as_key_value_lines() {
        let mut record = step(StepName::NodePool, StepStatus::Done);
        record.started_at = Some("2026-12-06T00:00:00Z".into());
        record.handles.insert("update_id".into(), "u-1".into());
        record.observed.insert("took_ms".into(), 1200.into());
        let text = show_text(&record);
        assert!(text.starts_with("# step node_pool\nstatus       = done\n"), "{text}");
        assert!(text.contains("started_at   = 2026-12-06T00:00:00Z\n"), "{text}");
        assert!(text.contains("handles {\n  update_id = \"u-1\"\n}\n"), "{text}");
        assert!(text.contains("observed {\n  took_ms = 1200\n}\n"), "{text}");
        assert!(!text.contains("finished_at"), "{text}");
    }
}
