//! `kfscale apply [PLANFILE]`: executes exactly a saved plan (refusing a stale one), or plans, shows
//! and asks; resumes an interrupted apply; holds the lock while it runs.
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::loaded_config::LoadedConfig;
use super::observe_live::observe_live;
use crate::engine::cancel::Cancel;
use crate::engine::events::Events;
use crate::engine::lock::{self, LockRequest, operator_identity};
use crate::engine::runner::{ApplyEnd, Runner, start_run};
use crate::engine::settings::ApplySettings;
use crate::engine::staleness::{stale_reasons, state_reasons};
use crate::engine::steps::record;
use crate::engine::systems::{GitTarget, Systems};
use crate::engine::timing::Timing;
use crate::plan::{Intent, Plan, plan};
use crate::planfile::read_plan_file;
use crate::render::{Style, render_plan};
use crate::snapshot::digest;
use crate::state::{RunStatus, State};

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
    /// Apply without asking (`-auto-approve` works too).
    #[arg(long)]
    pub auto_approve: bool,
    /// Config file (default: ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile: kraft, legacy, or a profile file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// One JSON event per line on stdout, for CI.
    #[arg(long)]
    pub json: bool,
    /// No colours even on a terminal.
    #[arg(long)]
    pub no_color: bool,
}

pub fn run(args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let loaded = LoadedConfig::require(args.config.as_deref(), "apply")?;
    let store = loaded.state_store();
    let state = store.load()?;
    let events = Events::new(args.json);
    if let Some(code) = finish_pending_record(&loaded, state.as_ref())? {
        return Ok(code);
    }
    // The saved plan, read once and before anything is contacted: a damaged file is refused here.
    let saved = args.plan_file.as_deref().map(read_plan_file).transpose()?;
    let unfinished = state
        .as_ref()
        .and_then(|s| s.run.as_ref())
        .is_some_and(|run| run.status != RunStatus::Succeeded);
    if let (Some(file), Some(plan), false) = (&args.plan_file, &saved, unfinished) {
        refuse_unfit(file, plan, state.as_ref())?;
    }
    let previous_run = state.as_ref().and_then(|s| s.run.as_ref()).map(|run| run.id.clone());
    refuse_if_locked(&loaded, previous_run.clone())?;

    let planning = std::time::Instant::now();
    let (state, planning_ms) = match state {
        Some(state) if unfinished => {
            announce_resume(args, saved.as_ref(), &state)?;
            (state, None)
        }
        state => match new_run(args, saved, &loaded, state)? {
            Some(state) => (state, Some(planning.elapsed().as_millis() as u64)),
            None => return Ok(ExitCode::SUCCESS),
        },
    };
    if let Some(took_ms) = planning_ms {
        events.emit("planned", serde_json::json!({ "took_ms": took_ms }));
    }
    execute(args, &loaded, state, &events, previous_run, planning_ms)
}

/// A plan made against another state is refused before anything is contacted (an unfinished
/// apply's own plan is checked when it resumes).
fn refuse_unfit(file: &std::path::Path, plan: &Plan, state: Option<&State>) -> anyhow::Result<()> {
    let reasons = state_reasons(plan, state);
    if !reasons.is_empty() {
        bail!(
            "the saved plan {} does not fit this state: {}; nothing was changed. fix: make a new plan with `kfscale plan -out FILE` using this kfscale.yaml",
            file.display(),
            reasons.join("; ")
        );
    }
    Ok(())
}

/// Before planning: another operator's live lease refuses this apply at once, naming the holder.
fn refuse_if_locked(loaded: &LoadedConfig, previous_run: Option<String>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let kube = loaded.context().kube().await?;
        let request = LockRequest {
            id: previous_run.clone().unwrap_or_default(),
            holder: operator_identity(),
            operation: String::new(),
            duration: Duration::ZERO,
            reclaim: previous_run.into_iter().collect(),
        };
        lock::check_free(&kube, &request).await?;
        Ok(())
    })
}

/// A successful apply killed between its last step and its commit or push: finish the record
/// rather than planning anew (the plan would say "No changes" and the record would be lost).
fn finish_pending_record(loaded: &LoadedConfig, state: Option<&State>) -> anyhow::Result<Option<ExitCode>> {
    let Some(run) = state
        .and_then(|s| s.run.as_ref())
        .filter(|run| run.status == RunStatus::Succeeded)
    else {
        return Ok(None);
    };
    let context = loaded.context();
    let store = loaded.state_store();
    let Some(git) = GitTarget::from_config(&context) else {
        return Ok(None);
    };
    if !record::pending(&git, &store.state_path())? {
        return Ok(None);
    }
    eprintln!(
        "Apply {} succeeded but its record did not reach git: recording it now",
        run.id
    );
    let mut files = vec![store.state_path(), store.write_history(run)?];
    if let Some(values) = &context.config.values {
        files.insert(0, context.resolve(&values.file));
    }
    // A one-shot finish, without the apply's retries: the operator is at the terminal.
    let commit = record::commit(&git, run, &files)?;
    let pushed = record::push(&git)?;
    match (commit, pushed) {
        (Some(commit), pushed) => eprintln!(
            "Recorded: committed {}{}",
            &commit[..12.min(commit.len())],
            pushed.map(|p| format!(" and pushed to {p}")).unwrap_or_default()
        ),
        (None, Some(pushed)) => eprintln!("Recorded: pushed to {pushed}"),
        (None, None) => eprintln!("Recorded: nothing new to commit"),
    }
    Ok(Some(ExitCode::SUCCESS))
}

/// An unfinished apply is resumed, never replaced: a different plan file is refused.
fn announce_resume(args: &ApplyArgs, saved: Option<&Plan>, state: &State) -> anyhow::Result<()> {
    let Some(run) = &state.run else {
        return Ok(());
    };
    if saved.is_some_and(|plan| digest(plan) != run.plan_checksum) {
        bail!(
            "apply {} (of another plan, by {}, {}) is unfinished; fix: run `kfscale apply` without a plan file to resume it first",
            run.id,
            run.operator,
            run.started_at
        );
    }
    let stopped = run
        .steps
        .iter()
        .find(|s| !s.is_finished())
        .map_or("record", |s| s.name.as_str());
    if !args.json {
        eprintln!(
            "Resuming apply {} (by {}, started {}, {:?} at step {stopped})",
            run.id, run.operator, run.started_at, run.status
        );
    }
    Ok(())
}

/// Plans (or reads and checks the plan file), asks, and returns the state with a new run; None
/// when there is nothing to do.
fn new_run(
    args: &ApplyArgs,
    saved: Option<Plan>,
    loaded: &LoadedConfig,
    state: Option<State>,
) -> anyhow::Result<Option<State>> {
    let (snapshot, profile) = observe_live(loaded, args.profile.as_deref(), !args.json)?;
    let plan: Plan = match (saved, &args.plan_file) {
        (Some(plan), Some(file)) => {
            let reasons = stale_reasons(&plan, &snapshot.fingerprints(), state.as_ref());
            if !reasons.is_empty() {
                bail!(
                    "the saved plan {} is stale: {}; nothing was changed. fix: make a new plan with `kfscale plan -out FILE`",
                    file.display(),
                    reasons.join("; ")
                );
            }
            plan
        }
        _ => {
            let intent = match (args.add_nodes, args.nodes) {
                (Some(added), _) => Intent::AddNodes(added),
                (None, Some(total)) => Intent::Nodes(total),
                (None, None) => bail!("give a plan file, or --nodes N / --add-nodes M"),
            };
            let mut plan = plan(&snapshot, intent, &profile).context("planning from the live cluster")?;
            plan.state = state.as_ref().map(|s| crate::plan::StateRef {
                lineage: s.lineage.clone(),
                serial: s.serial,
            });
            if !args.json {
                print!("{}", render_plan(&plan, Style::for_stdout(args.no_color)));
            }
            plan
        }
    };
    if plan.has_failed_checks() {
        bail!("a pre-check failed (see the plan); nothing was changed. fix: resolve it and plan again");
    }
    if !plan.has_changes() {
        if !args.json {
            println!("No changes. The cluster already matches the requested state.");
        }
        return Ok(None);
    }
    if args.plan_file.is_none() && !args.auto_approve && !approved()? {
        bail!("apply cancelled; nothing was changed");
    }
    let id = format!("apply-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    Ok(Some(start_run(state, &plan, &digest(&plan), &id, &operator_identity())))
}

/// Before the first step: the Grafana rules firing now, so the checklist can tell an alert the
/// change caused from one that fired already. A Grafana configured but not answering stops the apply
/// here, before anything changed.
async fn record_alerting_before(state: &mut State, systems: &Systems) -> anyhow::Result<()> {
    let (Some(grafana), Some(run)) = (&systems.grafana, state.run.as_mut()) else {
        return Ok(());
    };
    let untouched = run
        .steps
        .iter()
        .all(|step| step.status == crate::state::StepStatus::Pending);
    if run.alerting_before.is_some() || !untouched {
        return Ok(());
    }
    let groups = grafana.rule_groups().await.context(
        "reading the Grafana alert rules before the apply (nothing was changed); fix: make grafana.url reachable, or remove the grafana: section to apply without the alerting check",
    )?;
    run.alerting_before = Some(crate::verify::baseline(&groups, crate::time::now_rfc3339()));
    Ok(())
}

fn approved() -> anyhow::Result<bool> {
    print!("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

fn execute(
    args: &ApplyArgs,
    loaded: &LoadedConfig,
    mut state: State,
    events: &Events,
    previous_run: Option<String>,
    planning_ms: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let cancel = Cancel::default();
        cancel.listen_for_signals();
        let settings = ApplySettings::from_env().with_config(&loaded.config, &loaded.origin)?;
        let store = loaded.state_store();
        let context = loaded.context();
        let run = state.run.as_ref().context("no apply run")?;
        let systems = Systems::connect(&context, &run.plan).await?;
        let request = LockRequest {
            id: run.id.clone(),
            holder: operator_identity(),
            operation: format!("apply {} -> {} nodes", run.plan.from_nodes, run.plan.to_nodes),
            duration: settings.lock_duration,
            reclaim: previous_run.into_iter().collect(),
        };
        let held = lock::acquire(&systems.kube, store.dir(), request).await?;
        if let Err(err) = record_alerting_before(&mut state, &systems).await {
            held.release().await?;
            return Err(err);
        }
        let runner = Runner { store: &store, systems: &systems, settings: &settings, events, cancel: &cancel, lock: &held };
        let end = runner.execute(&mut state).await;
        held.release().await?;
        let code = match end? {
            ApplyEnd::Succeeded { commit, pushed, record_ms } => {
                let mut timing = state.run.as_ref().map(Timing::of).unwrap_or_default();
                timing.planning_ms = planning_ms;
                timing.record_ms = Some(record_ms);
                events.emit("apply_finished", serde_json::json!({ "timing": timing }));
                if !args.json {
                    eprintln!("\n{}", timing.render());
                    let recorded = match (commit, pushed) {
                        (Some(commit), Some(pushed)) => format!(" Recorded in commit {} (pushed to {pushed}).", &commit[..12.min(commit.len())]),
                        (Some(commit), None) => format!(" Recorded in commit {}.", &commit[..12.min(commit.len())]),
                        (None, _) => String::new(),
                    };
                    println!("\nApply complete!{recorded}");
                }
                0
            }
            ApplyEnd::Interrupted { step } => {
                eprintln!("\nApply interrupted at step {step}; state is written. Run `kfscale apply` to resume.");
                130
            }
            ApplyEnd::Failed { step, message } => {
                eprintln!("\nError: step {step} failed: {message}\nState is written; after fixing the cause, `kfscale apply` resumes from this step.");
                1
            }
        };
        Ok(ExitCode::from(code))
    })
}
