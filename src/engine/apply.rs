//! The apply workflow, which `kfscale apply` hands over to (as Terraform's command hands an
//! operation to its backend): finish an unpushed record, or resume an unfinished apply, or plan
//! (or take a saved plan, refusing a stale one), ask, then run the steps under the lock and record
//! the result. The command only parses its arguments and shows what this returns.
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};

use super::lock::{self, HeldLock, LockRequest, operator_identity};
use super::preflight::ensure_the_upgrade_can_succeed;
use super::record;
use super::report::events::Events;
use super::report::timing::Timing;
use super::runner::{ApplyEnd, Runner, start_run};
use super::settings::ApplySettings;
use super::staleness::{resume_reasons, settings_reasons, stale_reasons, state_reasons};
use super::wait::cancel::Cancel;
use crate::config::{LoadedConfig, planning_error};
use crate::connect::{GitTarget, Systems};
use crate::files::read_plan_file;
use crate::observe::{observe_live, observe_live_as};
use crate::plan::{GrowthFactor, Intent, Plan, StateRef, plan_with};
use crate::review::{ApplyStart, Cleared, check_before_apply};
use crate::snapshot::digest;
use crate::state::{ApplyRun, ReviewRecord, RunStatus, State, StepStatus};

/// What the operator asked for.
pub struct ApplyRequest<'a> {
    pub loaded: &'a LoadedConfig,
    /// A plan saved with `plan -out`: applied exactly, refused when stale.
    pub plan_file: Option<&'a Path>,
    /// Without a plan file: the change to plan now.
    pub intent: Option<Intent>,
    /// Without a plan file: `--expected-growth`, as `plan` takes it.
    pub expected_growth: Option<GrowthFactor>,
    /// Without a plan file: `--skip-pinot`, as `plan` takes it.
    pub skip_pinot: bool,
    pub profile_flag: Option<&'a str>,
    pub auto_approve: bool,
    /// Machine-readable output: nothing but the JSON events on stdout.
    pub json: bool,
    /// Emergency override of `review.required`: apply a plan reviewers did not merge (loud, and
    /// recorded with the operator's identity).
    pub no_review: bool,
    /// How long to wait for a lock someone else holds (`-lock-timeout`); zero refuses at once.
    pub lock_timeout: std::time::Duration,
}

/// The person at the terminal: sees the plan, answers the prompt, reads notes on stderr.
pub trait Operator {
    fn show_plan(&self, plan: &Plan);
    /// "Only 'yes' will be accepted."
    fn approve(&self) -> anyhow::Result<bool>;
    fn note(&self, text: &str);
}

/// How an apply ended.
pub enum ApplyOutcome {
    /// The cluster already matches the plan.
    NoChanges,
    /// An earlier, successful apply's record reached git now.
    RecordFinished {
        run_id: String,
        commit: Option<String>,
        pushed: Option<String>,
    },
    Succeeded {
        timing: Timing,
        commit: Option<String>,
        pushed: Option<String>,
    },
    Interrupted {
        step: String,
    },
    Failed {
        step: String,
        message: String,
    },
    /// Stopped at a safe point: the lock could no longer be counted on. State is written.
    LeaseLost {
        step: String,
        message: String,
    },
}

pub async fn apply(
    request: &ApplyRequest<'_>,
    operator: &dyn Operator,
    events: &Events,
) -> anyhow::Result<ApplyOutcome> {
    let loaded = request.loaded;
    let store = loaded.state_store();
    // The saved plan, read once and before anything is contacted: a damaged file is refused here.
    let saved = request.plan_file.map(read_plan_file).transpose()?;
    let settings = ApplySettings::from_env().with_config(&loaded.config, &loaded.origin)?;
    // The lock comes first, as Terraform's does: everything below (the state, the plan, the prompt,
    // which may wait for hours, and the steps) happens under it. A look at the state before it only
    // names the lock: an unfinished run's id (so a lease its killed process left is taken over) or
    // a new one, and the earlier runs this state directory may reclaim.
    let peeked = store.load()?;
    let resumable = peeked.as_ref().and_then(unfinished_run).map(|run| run.id.clone());
    let id = resumable.clone().unwrap_or_else(new_run_id);
    // The customer repo first, before any cluster is contacted: a clone that cannot take the
    // record, or a plan reviewers did not merge, is refused at once. The check runs again under
    // the lock (below), where its answer is the one that counts.
    if let (Some(file), Some(plan), None) = (request.plan_file, &saved, &resumable) {
        // A plan made against another state is refused before the cluster is contacted too.
        refuse_unfit(file, plan, peeked.as_ref(), loaded)?;
    }
    let early = clear_repo(request, saved.as_ref(), resumable.is_none())?;
    announce_review(request, early.review.as_ref(), operator);
    let kube = loaded.context().kube().await?;
    let lock_request = LockRequest {
        id: id.clone(),
        holder: operator_identity(),
        operation: operation(request, resumable.as_deref()),
        duration: settings.lock_duration,
        reclaim: peeked
            .as_ref()
            .and_then(|s| s.run.as_ref())
            .map(|run| run.id.clone())
            .into_iter()
            .collect(),
        wait: request.lock_timeout,
    };
    let held = lock::acquire(&kube, store.dir(), lock_request).await?;
    let locked = Locked {
        request,
        operator,
        events,
        settings: &settings,
        held: &held,
        id,
    };
    let outcome = locked.run(saved, peeked.as_ref().map(StateRef::of)).await;
    let released = held.release().await;
    let outcome = outcome?;
    released?;
    Ok(outcome)
}

/// The customer repo's checks before an apply (see `review::check_before_apply`). git runs as
/// child processes: a blocking wait, off the runtime's workers.
fn clear_repo(request: &ApplyRequest<'_>, saved: Option<&Plan>, new_run: bool) -> anyhow::Result<Cleared> {
    let shown_plan = request.plan_file.map(|file| file.display().to_string());
    tokio::task::block_in_place(|| {
        check_before_apply(
            &request.loaded.context(),
            &ApplyStart {
                new_run,
                plan: saved.zip(shown_plan.as_deref()),
                no_review: request.no_review,
                operator: &operator_identity(),
            },
        )
    })
}

/// An apply that has not succeeded: `apply` resumes it.
fn unfinished_run(state: &State) -> Option<&ApplyRun> {
    state.run.as_ref().filter(|run| run.status != RunStatus::Succeeded)
}

fn new_run_id() -> String {
    format!("apply-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// What the lock says this apply is doing, for the operator it refuses.
fn operation(request: &ApplyRequest<'_>, resuming: Option<&str>) -> String {
    match (resuming, request.plan_file, request.intent) {
        (Some(run), _, _) => format!("resuming {run}"),
        (None, Some(file), _) => format!("apply {}", file.display()),
        (None, None, Some(Intent::AddNodes(added))) => format!("apply --add-nodes {added}"),
        (None, None, Some(Intent::Nodes(total))) => format!("apply --nodes {total}"),
        (None, None, None) => "apply".into(),
    }
}

/// The apply once the lock is held.
struct Locked<'a> {
    request: &'a ApplyRequest<'a>,
    operator: &'a dyn Operator,
    events: &'a Events,
    settings: &'a ApplySettings,
    held: &'a HeldLock,
    /// The lock's id: the run's id (a resumed run keeps its own).
    id: String,
}

impl Locked<'_> {
    async fn run(&self, saved: Option<Plan>, peeked: Option<StateRef>) -> anyhow::Result<ApplyOutcome> {
        let loaded = self.request.loaded;
        let store = loaded.state_store();
        // Read again, now under the lock: an apply that ended while this one was taking the lock
        // changed what this one would resume or plan against.
        let state = store.load()?;
        refuse_if_moved(peeked.as_ref(), state.as_ref(), "while kfscale was taking the lock")?;
        if let Some(outcome) = finish_pending_record(loaded, state.as_ref(), self.operator)? {
            return Ok(outcome);
        }
        let unfinished = state.as_ref().and_then(unfinished_run).is_some();
        if let (Some(file), Some(plan), false) = (self.request.plan_file, &saved, unfinished) {
            refuse_unfit(file, plan, state.as_ref(), loaded)?;
        }
        // The customer repo: the clone can take the record and, with review.required, the plan is
        // one reviewers merged. (git runs as child processes: a blocking wait, off the runtime's
        // workers.)
        let cleared = clear_repo(self.request, saved.as_ref(), !unfinished)?;
        let before = state.as_ref().map(StateRef::of);

        let planning = Instant::now();
        let (state, planning_ms) = match state {
            Some(state) if unfinished => {
                announce_resume(self.request, saved.as_ref(), &state, self.operator)?;
                recheck_world(self.request.loaded, &state, self.request.json).await?;
                (state, None)
            }
            state => match new_run(self.request, saved, state, cleared, self.operator, &self.id).await? {
                Some(state) => (state, Some(planning.elapsed().as_millis() as u64)),
                None => return Ok(ApplyOutcome::NoChanges),
            },
        };
        // The prompt may have waited for hours: whatever wrote the state meanwhile did so without
        // the lock (an older kfscale, a hand edit, a restored backup). Refuse rather than overwrite it.
        refuse_if_moved(before.as_ref(), store.load()?.as_ref(), "while this apply was planning")?;
        if let Some(took_ms) = planning_ms {
            self.events.emit("planned", serde_json::json!({ "took_ms": took_ms }));
        }
        execute(loaded, state, self.events, self.settings, self.held, planning_ms).await
    }
}

/// Refuses when the state file is no longer the one read earlier (another lineage, another serial,
/// created or deleted): someone else changed it, and acting on the old picture would overwrite them.
fn refuse_if_moved(read: Option<&StateRef>, now: Option<&State>, when: &str) -> anyhow::Result<()> {
    let now = now.map(StateRef::of);
    if read == now.as_ref() {
        return Ok(());
    }
    let show = |r: Option<&StateRef>| {
        r.map_or("no state".to_string(), |r| {
            format!("lineage {} serial {}", r.lineage, r.serial)
        })
    };
    bail!(
        "the state file changed {when} (it was {}, it is {}); nothing was changed. fix: run the command again to act on the state as it is now",
        show(read),
        show(now.as_ref())
    )
}

/// A plan made against another state is refused before anything is contacted (an unfinished
/// apply's own plan is checked when it resumes).
fn refuse_unfit(file: &Path, plan: &Plan, state: Option<&State>, loaded: &LoadedConfig) -> anyhow::Result<()> {
    let reasons = state_reasons(plan, state);
    if !reasons.is_empty() {
        bail!(
            "the saved plan {} does not fit this state: {}; nothing was changed. fix: make a new plan with `kfscale plan -out FILE` using this kfscale.yaml",
            file.display(),
            reasons.join("; ")
        );
    }
    let reasons = settings_reasons(plan, &loaded.config);
    if !reasons.is_empty() {
        bail!(
            "the saved plan {} is stale: {} changed since the plan was made ({}); nothing was changed. fix: make a new plan with `kfscale plan -out FILE`, or put the setting back",
            file.display(),
            loaded.origin,
            reasons.join("; ")
        );
    }
    Ok(())
}

/// A successful apply killed between its last step and its commit or push: finish the record
/// rather than planning anew (the plan would say "No changes" and the record would be lost).
fn finish_pending_record(
    loaded: &LoadedConfig,
    state: Option<&State>,
    operator: &dyn Operator,
) -> anyhow::Result<Option<ApplyOutcome>> {
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
    operator.note(&format!(
        "Apply {} succeeded but its record did not reach git: recording it now",
        run.id
    ));
    let history = store.write_history(run)?;
    let rollback = store.kafka_rollback(&run.id);
    let files = match &context.config.values {
        Some(values) => record::files(
            run,
            context.resolve(&values.file),
            store.state_path(),
            history,
            rollback,
        ),
        None => [store.state_path(), history].into_iter().chain(rollback).collect(),
    };
    // A one-shot finish, without the apply's retries: the operator is at the terminal.
    let commit = record::commit(&git, run, &files)?;
    let pushed = record::push(&git)?;
    Ok(Some(ApplyOutcome::RecordFinished {
        run_id: run.id.clone(),
        commit,
        pushed,
    }))
}

/// An unfinished apply is resumed, never replaced: a different plan file is refused.
fn announce_resume(
    request: &ApplyRequest<'_>,
    saved: Option<&Plan>,
    state: &State,
    operator: &dyn Operator,
) -> anyhow::Result<()> {
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
    if !request.json {
        operator.note(&format!(
            "Resuming apply {} (by {}, started {}, {:?} at step {stopped})",
            run.id, run.operator, run.started_at, run.status
        ));
    }
    Ok(())
}

/// A resumed run re-checks the world: every system whose first step has not started must look as
/// it did when the plan was made, or the rest of the plan would act on a picture that is no longer
/// true (a colleague resized the pool, edited the values file, upgraded the release).
async fn recheck_world(loaded: &LoadedConfig, state: &State, json: bool) -> anyhow::Result<()> {
    let Some(run) = &state.run else {
        return Ok(());
    };
    let snapshot = observe_live_as(loaded, &run.plan.profile, !json).await?;
    let reasons = resume_reasons(run, &snapshot.fingerprints());
    if !reasons.is_empty() {
        bail!(
            "apply {} cannot resume as planned: {}; nothing was changed. fix: undo that change and run `kfscale apply` again; if the change is meant to stay, move {} aside and run `kfscale plan` again (the new plan starts from the cluster as it is, and what this apply already did shows as done)",
            run.id,
            reasons.join("; "),
            loaded.state_store().state_path().display()
        );
    }
    Ok(())
}

/// Plans (or reads and checks the plan file), asks, and returns the state with a new run; None
/// when there is nothing to do.
async fn new_run(
    request: &ApplyRequest<'_>,
    saved: Option<Plan>,
    state: Option<State>,
    cleared: Cleared,
    operator: &dyn Operator,
    id: &str,
) -> anyhow::Result<Option<State>> {
    let (snapshot, profile) = observe_live(request.loaded, request.profile_flag, !request.json).await?;
    let plan: Plan = match (saved, request.plan_file) {
        (Some(plan), Some(file)) => {
            let reasons = stale_reasons(
                &plan,
                &snapshot.fingerprints(),
                state.as_ref(),
                cleared.planned_values_sha256.as_deref(),
            );
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
            let intent = request
                .intent
                .context("give a plan file, or --nodes N / --add-nodes M")?;
            let options = request.loaded.plan_options(request.expected_growth, request.skip_pinot);
            let mut plan = plan_with(&snapshot, intent, &profile, &options).map_err(|err| {
                planning_error(
                    err,
                    Some(&request.loaded.origin),
                    Some("planning from the live cluster"),
                )
            })?;
            plan.state = state.as_ref().map(|s| StateRef {
                lineage: s.lineage.clone(),
                serial: s.serial,
            });
            if !request.json {
                operator.show_plan(&plan);
            }
            plan
        }
    };
    if plan.has_failed_checks() {
        bail!("a pre-check failed (see the plan); nothing was changed. fix: resolve it and plan again");
    }
    if !plan.has_changes() {
        return Ok(None);
    }
    if plan.pinot.skipped {
        operator.note(&format!(
            "\n!!! PINOT REBALANCE SKIPPED !!!\n!!! This apply was planned with --skip-pinot: {} will not be rebalanced onto the new servers.\n!!! This is recorded in the state and in the record commit message; rebalance them by hand afterwards.\n",
            plan.profile.pinot.manual_rebalance_tables.join(", ")
        ));
    }
    if request.plan_file.is_none() && !request.auto_approve && !operator.approve()? {
        bail!("apply cancelled; nothing was changed");
    }
    let mut state = start_run(state, &plan, &digest(&plan), id, &operator_identity());
    if let Some(run) = state.run.as_mut() {
        run.review = cleared.review;
    }
    Ok(Some(state))
}
/// How the plan was cleared: a reviewed merge quietly, a skipped review as loudly as possible.
fn announce_review(request: &ApplyRequest<'_>, review: Option<&ReviewRecord>, operator: &dyn Operator) {
    let origin = &request.loaded.origin;
    match review {
        Some(ReviewRecord::Skipped { operator: who, .. }) => operator.note(&format!(
            "\n!!! REVIEW SKIPPED !!!\n!!! review.required is set in {origin}, and {who} is applying with --no-review.\n!!! This is recorded in the state and in the record commit message.\n"
        )),
        Some(ReviewRecord::Merged {
            branch, merged_commit, ..
        }) if !request.json => operator.note(&format!(
            "Review: the plan was merged into {branch} in {}.",
            &merged_commit[..12.min(merged_commit.len())]
        )),
        None if request.no_review && !request.loaded.config.review.required => operator.note(&format!(
            "Note: --no-review changes nothing: review.required is not set in {origin}."
        )),
        _ => {}
    }
}

/// Before the first step: the Grafana rules firing now, so the checklist can tell an alert the
/// change caused from one that fired already. A Grafana configured but not answering stops the apply
/// here, before anything changed.
async fn record_alerting_before(state: &mut State, systems: &Systems) -> anyhow::Result<()> {
    let (Some(grafana), Some(run)) = (&systems.grafana, state.run.as_mut()) else {
        return Ok(());
    };
    let untouched = run.steps.iter().all(|step| step.status == StepStatus::Pending);
    if run.alerting_before.is_some() || !untouched {
        return Ok(());
    }
    let groups = grafana.rule_groups().await.context(
        "reading the Grafana alert rules before the apply (nothing was changed); fix: make grafana.url reachable, or remove the grafana: section to apply without the alerting check",
    )?;
    run.alerting_before = Some(crate::verify::baseline(&groups, crate::time::now_rfc3339()));
    Ok(())
}

async fn execute(
    loaded: &LoadedConfig,
    mut state: State,
    events: &Events,
    settings: &ApplySettings,
    held: &HeldLock,
    planning_ms: Option<u64>,
) -> anyhow::Result<ApplyOutcome> {
    let cancel = Cancel::default();
    cancel.listen_for_signals();
    let store = loaded.state_store();
    let context = loaded.context();
    let run = state.run.as_ref().context("no apply run")?;
    let systems = Systems::connect(&context, &run.plan).await?;
    // Every apply path (new, from a plan file, resumed) comes through here before its first step.
    ensure_the_upgrade_can_succeed(run, &systems, events).await?;
    record_alerting_before(&mut state, &systems).await?;
    let runner = Runner {
        store: &store,
        systems: &systems,
        settings,
        events,
        cancel: &cancel,
        lock: held,
    };
    let end = runner.execute(&mut state).await;
    Ok(match end? {
        ApplyEnd::Succeeded {
            commit,
            pushed,
            record_ms,
        } => {
            let mut timing = state.run.as_ref().map(Timing::of).unwrap_or_default();
            timing.planning_ms = planning_ms;
            timing.record_ms = Some(record_ms);
            events.emit("apply_finished", serde_json::json!({ "timing": timing }));
            ApplyOutcome::Succeeded { timing, commit, pushed }
        }
        ApplyEnd::Interrupted { step } => ApplyOutcome::Interrupted { step },
        ApplyEnd::Failed { step, message } => ApplyOutcome::Failed { step, message },
        ApplyEnd::LeaseLost { step, message } => ApplyOutcome::LeaseLost { step, message },
    })
}
