//! `kfscale status`: where an apply stands, from the state file: each step, the running step's
//! latest figures with an ETA from the systems' own numbers, and where the time went.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::LoadedConfig;
use crate::engine::report::progress;
use crate::engine::report::timing::Timing;
use crate::state::StepStatus;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
    /// The state as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.kube.require_config(args.config.as_deref(), "status")?;
    let store = loaded.state_store();
    let state = store.load()?;
    let lock = lock_status(&loaded).await;
    let Some(state) = state else {
        if args.json {
            crate::outln!("{}", serde_json::json!({ "state": null, "lock": lock }));
        } else {
            crate::outln!("No apply yet: {} has no state file.", store.dir().display());
            crate::outln!("{}", lock_line(&lock));
        }
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
            object.insert("lock".into(), lock.clone());
            object.insert(
                "timing".into(),
                serde_json::to_value(state.run.as_ref().map(Timing::of))?,
            );
        }
        crate::outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!(
        "cluster {} (lineage {}, serial {})",
        state.cluster,
        state.lineage,
        state.serial
    );
    crate::outln!("{}", lock_line(&lock));
    let Some(run) = &state.run else {
        crate::outln!("No apply recorded.");
        return Ok(ExitCode::SUCCESS);
    };
    crate::outln!(
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
        crate::outln!(
            "  {mark}  {:<18} {}{}",
            step.name,
            step.message.as_deref().unwrap_or(""),
            if handles.is_empty() {
                String::new()
            } else {
                format!("  [{}]", handles.join(", "))
            }
        );
        if let Some(progress) = progress.as_ref().filter(|p| p.step == step.name.as_str()) {
            crate::outln!("               {}", progress.line());
        }
    }
    let timing = Timing::of(run);
    if !timing.steps.is_empty() {
        crate::outln!("{}", timing.render());
    }
    Ok(ExitCode::SUCCESS)
}

/// The cluster's lock lease, read best-effort (status works without the cluster: then it says
/// why the lock was not checked).
async fn lock_status(loaded: &LoadedConfig) -> serde_json::Value {
    let read = async {
        let kube = loaded.context().kube().await.map_err(|err| err.to_string())?;
        crate::engine::lock::describe(&kube)
            .await
            .map_err(|err| err.to_string())
    };
    match tokio::time::timeout(LOCK_READ_TIMEOUT, read).await {
        Ok(Ok(None)) => serde_json::json!({ "checked": true, "held": false }),
        Ok(Ok(Some((holder, operation, since, id, expired)))) => serde_json::json!({
            "checked": true, "held": true, "holder": holder, "operation": operation,
            "since": since, "id": id, "expired": expired,
        }),
        Ok(Err(err)) => serde_json::json!({ "checked": false, "error": err }),
        Err(_) => serde_json::json!({ "checked": false, "error": "the cluster did not answer within 5 s" }),
    }
}

const LOCK_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn lock_line(lock: &serde_json::Value) -> String {
    let text = |key: &str| lock[key].as_str().unwrap_or("?").to_string();
    match (lock["checked"].as_bool(), lock["held"].as_bool()) {
        (Some(true), Some(false)) => "lock: free".into(),
        (Some(true), Some(true)) => format!(
            "lock: held by {} ({} since {}, lock id {}){}",
            text("holder"),
            text("operation"),
            text("since"),
            text("id"),
            if lock["expired"].as_bool() == Some(true) {
                "; its lease has expired (the holder stopped renewing it): the next apply takes it over"
            } else {
                ""
            }
        ),
        _ => format!("lock: not checked ({})", text("error")),
    }
}
