//! Runs an apply's steps in order, checkpointing the state after each, and records the result.
use serde_json::json;

use super::context::{Outcome, StepContext, StepError};
use super::lock::{HeldLock, LeaseWatch};
use super::record;
use super::report::events::Events;
use super::report::timing::{EXTERNAL_MS, RETRIES, TOOK_MS, WAITED_MS};
use super::settings::ApplySettings;
use super::steps::run_step;
use super::wait::cancel::Cancel;
use crate::connect::Systems;
use crate::files::StateStore;
use crate::plan::Plan;
use crate::state::{ApplyRun, RunStatus, STATE_FORMAT_VERSION, State, StateError, StepName, StepRecord, StepStatus};
use crate::time::now_rfc3339;

pub enum ApplyEnd {
    Succeeded {
        commit: Option<String>,
        pushed: Option<String>,
        /// How long the commit and push took.
        record_ms: u64,
    },
    Interrupted {
        step: String,
    },
    Failed {
        step: String,
        message: String,
    },
    LeaseLost {
        step: String,
        message: String,
    },
}

/// A fresh run of `plan` in `state` (a new state when this is the cluster's first apply).
pub fn start_run(state: Option<State>, plan: &Plan, plan_checksum: &str, id: &str, operator: &str) -> State {
    let mut state = state.unwrap_or_else(|| State {
        format_version: STATE_FORMAT_VERSION,
        lineage: uuid::Uuid::new_v4().to_string(),
        serial: 0,
        cluster: plan.node_pool.pool.clone(),
        run: None,
    });
    let now = now_rfc3339();
    state.run = Some(ApplyRun {
        id: id.to_string(),
        operator: operator.to_string(),
        plan_checksum: plan_checksum.to_string(),
        plan: plan.clone(),
        started_at: now.clone(),
        updated_at: now,
        finished_at: None,
        status: RunStatus::Running,
        steps: StepName::ALL.into_iter().map(StepRecord::pending).collect(),
        alerting_before: None,
        review: None,
    });
    state
}

pub struct Runner<'a> {
    pub store: &'a StateStore,
    pub systems: &'a Systems,
    pub settings: &'a ApplySettings,
    pub events: &'a Events,
    pub cancel: &'a Cancel,
    pub lock: &'a HeldLock,
}

impl Runner<'_> {
    pub async fn execute(&self, state: &mut State) -> Result<ApplyEnd, StateError> {
        let Some(run) = state.run.as_mut() else {
            return Ok(ApplyEnd::Failed {
                step: String::new(),
                message: "no apply to run".into(),
            });
        };
        run.status = RunStatus::Running;
        let plan = run.plan.clone();
        let run_id = run.id.clone();
        let names: Vec<StepName> = run.steps.iter().map(|step| step.name).collect();
        self.store.save(state)?;
        for name in names {
            if state
                .run
                .as_ref()
                .and_then(|run| run.step(name))
                .is_some_and(StepRecord::is_finished)
            {
                continue;
            }
            if self.cancel.is_requested() {
                return self.stop(state, name.as_str(), RunStatus::Interrupted, None);
            }
            if let Some(lost) = self.lock.watch().lost() {
                return self.stop(state, name.as_str(), RunStatus::LeaseLost, Some(lost));
            }
            self.begin(state, name)?;
            self.events.step_started(name.as_str(), name.describe());
            let result = self.run_with_retries(state, name, &plan, &run_id).await;
            match result {
                Ok(outcome) => self.finish(state, name, outcome)?,
                Err(StepError::Interrupted) => return self.stop(state, name.as_str(), RunStatus::Interrupted, None),
                Err(StepError::LeaseLost(lost)) => {
                    return self.stop(state, name.as_str(), RunStatus::LeaseLost, Some(lost));
                }
                Err(err) => return self.stop(state, name.as_str(), RunStatus::Failed, Some(err.to_string())),
            }
        }
        self.record(state).await
    }

    /// The record's commit, then its push, retried like a step while the remote's failure may
    /// pass (a push of the same commit is idempotent).
    async fn commit_and_push(
        &self,
        run: &ApplyRun,
        files: &[std::path::PathBuf],
    ) -> anyhow::Result<(Option<String>, Option<String>)> {
        let Some(git) = self.systems.git.as_ref() else {
            return Ok((None, None));
        };
        let commit = record::commit(git, run, files)?;
        let mut budget = self.settings.retry_budget();
        loop {
            let err = match record::push(git) {
                Ok(pushed) => return Ok((commit, pushed)),
                Err(err) => err,
            };
            let pause = match budget.next_pause() {
                Some(pause) if err.is_retriable() => pause,
                _ => return Err(err.into()),
            };
            self.events.retrying(
                "record",
                &format!(
                    "git push (try {}, next in {} ms)",
                    budget.failures() + 1,
                    pause.as_millis()
                ),
                &err.to_string(),
            );
            if !self.cancel.sleep(pause).await {
                return Err(err.into());
            }
        }
    }

    /// Runs one step; a retriable error runs it again (it checks before it acts and resumes from
    /// its recorded handles, exactly as a re-run of `apply` would) after a capped, jittered,
    /// growing pause, until `retry_for` has passed since the first error.
    async fn run_with_retries(
        &self,
        state: &mut State,
        step: StepName,
        plan: &crate::plan::Plan,
        run_id: &str,
    ) -> Result<Outcome, StepError> {
        let mut budget = self.settings.retry_budget();
        loop {
            let message = match self.run_once(state, step, plan, run_id).await {
                Err(StepError::Retriable(message)) => message,
                other => return other,
            };
            let Some(pause) = budget.next_pause() else {
                return Err(StepError::Failed(format!(
                    "{message} (gave up after {} tries over {} s; apply.retry_minutes sets how long kfscale keeps trying)",
                    budget.failures(),
                    budget.since_first_failure().as_secs()
                )));
            };
            if let Some(record) = state.run.as_mut().and_then(|run| run.step_mut(step)) {
                record.add_to(RETRIES, 1);
                record.message = Some(format!("retrying in {} ms after: {message}", pause.as_millis()));
            }
            self.store.save(state).map_err(StepError::State)?;
            self.events.retrying(
                step.as_str(),
                &format!(
                    "step {step} (try {}, next in {} ms)",
                    budget.failures() + 1,
                    pause.as_millis()
                ),
                &message,
            );
            if !self.cancel.sleep(pause).await {
                return Err(StepError::Interrupted);
            }
        }
    }

    /// One attempt at a step (see [`run_step_once`]).
    async fn run_once(
        &self,
        state: &mut State,
        step: StepName,
        plan: &crate::plan::Plan,
        run_id: &str,
    ) -> Result<Outcome, StepError> {
        let env = StepEnv {
            store: self.store,
            systems: self.systems,
            settings: self.settings,
            events: self.events,
            cancel: self.cancel,
            lease: self.lock.watch(),
        };
        run_step_once(&env, state, step, plan, run_id).await
    }

    fn begin(&self, state: &mut State, name: StepName) -> Result<(), StateError> {
        if let Some(step) = state.run.as_mut().and_then(|run| run.step_mut(name)) {
            step.status = StepStatus::Running;
            step.started_at.get_or_insert_with(now_rfc3339);
            step.message = None;
        }
        self.store.save(state)
    }

    fn finish(&self, state: &mut State, name: StepName, outcome: Outcome) -> Result<(), StateError> {
        let (status, summary, label) = match outcome {
            Outcome::Done(summary) => (StepStatus::Done, summary, "done"),
            Outcome::Skipped(summary) => (StepStatus::Skipped, summary, "already done"),
        };
        if let Some(step) = state.run.as_mut().and_then(|run| run.step_mut(name)) {
            step.status = status;
            step.finished_at = Some(now_rfc3339());
            step.message = Some(summary.clone());
        }
        self.store.save(state)?;
        self.events.step_finished(name.as_str(), label, &summary);
        Ok(())
    }

    fn stop(
        &self,
        state: &mut State,
        name: &str,
        status: RunStatus,
        message: Option<String>,
    ) -> Result<ApplyEnd, StateError> {
        self.events.clear_wait();
        if let Some(run) = state.run.as_mut() {
            run.status = status;
            run.updated_at = now_rfc3339();
            // `name` may be "record", which is no step: it has no record to mark.
            if let Some(step) = run.steps.iter_mut().find(|step| step.name.as_str() == name) {
                if status == RunStatus::Failed {
                    step.status = StepStatus::Failed;
                }
                step.message = message.clone();
            }
        }
        self.store.save(state)?;
        self.events.emit(
            "apply_stopped",
            json!({ "step": name, "status": status, "message": message }),
        );
        Ok(match (status, message) {
            (RunStatus::Failed, Some(message)) => ApplyEnd::Failed {
                step: name.into(),
                message,
            },
            (RunStatus::LeaseLost, message) => ApplyEnd::LeaseLost {
                step: name.into(),
                message: message.unwrap_or_default(),
            },
            _ => ApplyEnd::Interrupted { step: name.into() },
        })
    }

    /// Marks the run succeeded, writes the history file, and commits values, state and history.
    async fn record(&self, state: &mut State) -> Result<ApplyEnd, StateError> {
        let Some(run) = state.run.as_mut() else {
            return Ok(ApplyEnd::Failed {
                step: "record".into(),
                message: "no run".into(),
            });
        };
        run.status = RunStatus::Succeeded;
        run.finished_at = Some(now_rfc3339());
        run.updated_at = now_rfc3339();
        self.store.save(state)?;
        let Some(run) = state.run.clone() else {
            return Ok(ApplyEnd::Failed {
                step: "record".into(),
                message: "no run".into(),
            });
        };
        let history = self.store.write_history(&run)?;
        let rollback = self.store.kafka_rollback(&run.id);
        let files = record::files(
            &run,
            self.systems.values_path.clone(),
            self.store.state_path(),
            history,
            rollback,
        );
        self.events
            .step_started("record", "commit the values file and the state to git");
        let began = std::time::Instant::now();
        let recorded = self.commit_and_push(&run, &files).await;
        let record_ms = began.elapsed().as_millis() as u64;
        match recorded {
            Ok((commit, pushed)) => {
                let summary = match (&commit, &pushed) {
                    (Some(commit), Some(pushed)) => {
                        format!("committed {} and pushed to {pushed}", &commit[..12.min(commit.len())])
                    }
                    (Some(commit), None) => format!("committed {}", &commit[..12.min(commit.len())]),
                    (None, _) => "nothing new to commit".into(),
                };
                self.events.step_finished("record", "done", &summary);
                Ok(ApplyEnd::Succeeded {
                    commit,
                    pushed,
                    record_ms,
                })
            }
            Err(err) => {
                let message =
                    format!("{err:#}; the cluster change is complete: re-run `kfscale apply` to retry the commit");
                if let Some(run) = state.run.as_mut() {
                    run.status = RunStatus::Failed;
                }
                self.store.save(state)?;
                Ok(ApplyEnd::Failed {
                    step: "record".into(),
                    message,
                })
            }
        }
    }
}

/// What running a step needs besides the state: the runner's parts (or a benchmark's, which
/// drives one step against fakes without the lock and the record around it).
pub struct StepEnv<'a> {
    pub store: &'a StateStore,
    pub systems: &'a Systems,
    pub settings: &'a ApplySettings,
    pub events: &'a Events,
    pub cancel: &'a Cancel,
    /// Whether the lock is still this process's: every wait checks it.
    pub lease: LeaseWatch,
}

/// One attempt at a step of `state`'s run, with its timing and the retriable errors its waits
/// rode out added to the step's record.
pub async fn run_step_once(
    env: &StepEnv<'_>,
    state: &mut State,
    step: StepName,
    plan: &crate::plan::Plan,
    run_id: &str,
) -> Result<Outcome, StepError> {
    let mut ctx = StepContext {
        plan,
        run_id,
        settings: env.settings,
        systems: env.systems,
        events: env.events,
        cancel: env.cancel,
        lease: env.lease.clone(),
        step,
        state,
        store: env.store,
        waited: std::cell::Cell::new(std::time::Duration::ZERO),
        external: std::cell::Cell::new(std::time::Duration::ZERO),
        reported: std::cell::Cell::new(None),
        retries: std::cell::Cell::new(0),
    };
    let began = std::time::Instant::now();
    let result = run_step(step, &mut ctx).await;
    // Saved with the step's end (or its stop): `kfscale status` and the apply's closing
    // summary show where the time went.
    ctx.add_millis(TOOK_MS, began.elapsed());
    ctx.add_millis(WAITED_MS, ctx.waited());
    ctx.add_millis(EXTERNAL_MS, ctx.external());
    ctx.add_count(RETRIES, u64::from(ctx.retries.get()));
    super::report::progress::clear(env.store.dir());
    result
}
