//! Runs an apply's steps in order, checkpointing the state after each, and records the result.
use serde_json::json;

use super::cancel::Cancel;
use super::context::{Outcome, StepContext, StepError};
use super::events::Events;
use super::lock::HeldLock;
use super::settings::ApplySettings;
use super::steps::{STEPS, record, run_step};
use super::systems::Systems;
use super::timing::{EXTERNAL_MS, TOOK_MS, WAITED_MS};
use crate::plan::Plan;
use crate::state::{ApplyRun, RunStatus, STATE_FORMAT_VERSION, State, StateError, StateStore, StepRecord, StepStatus};
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
        steps: STEPS.iter().map(|(name, _)| StepRecord::pending(name)).collect(),
        alerting_before: None,
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
        let names: Vec<String> = run.steps.iter().map(|step| step.name.clone()).collect();
        self.store.save(state)?;
        for name in names {
            if state
                .run
                .as_ref()
                .and_then(|run| run.step(&name))
                .is_some_and(StepRecord::is_finished)
            {
                continue;
            }
            if self.cancel.is_requested() {
                return self.stop(state, &name, RunStatus::Interrupted, None);
            }
            if !self.lock.still_held() {
                let message = "the lock lease was taken by someone else (it expired while this apply was stuck?); state is written: re-run `kfscale apply` once the other holder is done".to_string();
                return self.stop(state, &name, RunStatus::Failed, Some(message));
            }
            let description = STEPS.iter().find(|(step, _)| *step == name).map_or("", |(_, d)| *d);
            self.begin(state, &name)?;
            self.events.step_started(&name, description);
            let step: &'static str = STEPS
                .iter()
                .find(|(step, _)| *step == name)
                .map_or("unknown", |(step, _)| *step);
            let result = {
                let mut ctx = StepContext {
                    plan: &plan,
                    run_id: &run_id,
                    settings: self.settings,
                    systems: self.systems,
                    events: self.events,
                    cancel: self.cancel,
                    step,
                    state,
                    store: self.store,
                    waited: std::cell::Cell::new(std::time::Duration::ZERO),
                    external: std::cell::Cell::new(std::time::Duration::ZERO),
                    reported: std::cell::Cell::new(None),
                };
                let began = std::time::Instant::now();
                let result = run_step(&name, &mut ctx).await;
                // Saved with the step's end (or its stop): `kfscale status` and the apply's
                // closing summary show where the time went.
                ctx.add_millis(TOOK_MS, began.elapsed());
                ctx.add_millis(WAITED_MS, ctx.waited());
                ctx.add_millis(EXTERNAL_MS, ctx.external());
                super::progress::clear(self.store.dir());
                result
            };
            match result {
                Ok(outcome) => self.finish(state, &name, outcome)?,
                Err(StepError::Interrupted) => return self.stop(state, &name, RunStatus::Interrupted, None),
                Err(err) => return self.stop(state, &name, RunStatus::Failed, Some(err.to_string())),
            }
        }
        self.record(state)
    }

    fn begin(&self, state: &mut State, name: &str) -> Result<(), StateError> {
        if let Some(step) = state.run.as_mut().and_then(|run| run.step_mut(name)) {
            step.status = StepStatus::Running;
            step.started_at.get_or_insert_with(now_rfc3339);
            step.message = None;
        }
        self.store.save(state)
    }

    fn finish(&self, state: &mut State, name: &str, outcome: Outcome) -> Result<(), StateError> {
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
        self.events.step_finished(name, label, &summary);
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
            if let Some(step) = run.step_mut(name) {
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
            _ => ApplyEnd::Interrupted { step: name.into() },
        })
    }

    /// Marks the run succeeded, writes the history file, and commits values, state and history.
    fn record(&self, state: &mut State) -> Result<ApplyEnd, StateError> {
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
        let files = vec![self.systems.values_path.clone(), self.store.state_path(), history];
        self.events
            .step_started("record", "commit the values file and the state to git");
        let began = std::time::Instant::now();
        let recorded = record::commit_and_push(self.systems.git.as_ref(), &run, &files);
        let record_ms = began.elapsed().as_millis() as u64;
        match recorded {
            Ok(recorded) => {
                let summary = match (&recorded.commit, &recorded.pushed) {
                    (Some(commit), Some(pushed)) => {
                        format!("committed {} and pushed to {pushed}", &commit[..12.min(commit.len())])
                    }
                    (Some(commit), None) => format!("committed {}", &commit[..12.min(commit.len())]),
                    (None, _) => "nothing new to commit".into(),
                };
                self.events.step_finished("record", "done", &summary);
                Ok(ApplyEnd::Succeeded {
                    commit: recorded.commit,
                    pushed: recorded.pushed,
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
