//! What a step works with: the plan, the clients, its own record in the state (handles are saved
//! the moment they are recorded), waiting with progress and cancellation.
use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::handle::HandleKey;
use super::lock::LeaseWatch;
use super::report::events::Events;
use super::settings::ApplySettings;
use super::wait::cancel::Cancel;
use crate::connect::Systems;
use crate::files::StateStore;
use crate::plan::Plan;
use crate::state::{State, StateError, StepName, StepRecord};

/// How a step ends when it does not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Stopped at a safe point on request; state is consistent and `apply` resumes.
    #[error("interrupted")]
    Interrupted,
    /// The lock can no longer be counted on (taken, or renewals failing): stopped at a safe point
    /// before acting further; state is consistent and `apply` resumes once the lock is free.
    #[error("{0}")]
    LeaseLost(String),
    #[error("{0}")]
    Failed(String),
    /// A fault that may pass (a timeout, a 5xx, throttling, a system restarting): a wait keeps
    /// polling through it and the runner runs the step again, with capped exponential backoff and
    /// jitter, until `retry_for` has passed.
    #[error("{0}")]
    Retriable(String),
    #[error(transparent)]
    State(#[from] StateError),
}

impl StepError {
    pub fn failed(message: impl std::fmt::Display) -> StepError {
        StepError::Failed(message.to_string())
    }

    pub fn is_retriable(&self) -> bool {
        matches!(self, StepError::Retriable(_))
    }

    /// The same kind of error with its message rewritten (a step adding what it was doing).
    pub fn map_message(self, rewrite: impl FnOnce(String) -> String) -> StepError {
        match self {
            StepError::Failed(message) => StepError::Failed(rewrite(message)),
            StepError::Retriable(message) => StepError::Retriable(rewrite(message)),
            other => other,
        }
    }
}

/// Provider errors become step errors with their own message (which says what to do), retriable
/// when the provider says another try may succeed.
macro_rules! into_step_error {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for StepError {
            fn from(err: $error) -> Self {
                if err.is_retriable() {
                    StepError::Retriable(err.to_string())
                } else {
                    StepError::Failed(err.to_string())
                }
            }
        }
    )*};
}
into_step_error!(
    kfscale_kube::KubeError,
    kfscale_eks::EksError,
    kfscale_helm::HelmError,
    kfscale_git::GitError,
    kfscale_kafka::KafkaError,
    kfscale_pinot::PinotError,
    kfscale_gke::GkeError,
    kfscale_aks::AksError,
);

macro_rules! into_step_failure {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for StepError {
            fn from(err: $error) -> Self {
                StepError::Failed(err.to_string())
            }
        }
    )*};
}
into_step_failure!(crate::values::ValuesError, crate::plan::WouldShrink, anyhow::Error);

pub enum Outcome {
    /// The step changed something and verified it.
    Done(String),
    /// Already in the desired state: nothing was done.
    Skipped(String),
}

pub struct StepContext<'a> {
    pub plan: &'a Plan,
    pub run_id: &'a str,
    pub settings: &'a ApplySettings,
    pub systems: &'a Systems,
    pub events: &'a Events,
    pub cancel: &'a Cancel,
    /// Whether the lock is still this apply's: every wait checks it between polls.
    pub lease: LeaseWatch,
    pub step: StepName,
    pub(super) state: &'a mut State,
    pub(super) store: &'a StateStore,
    /// Time spent waiting on the systems (polls and the pauses between them): the rest of a
    /// step's time is kfscale's own.
    pub(super) waited: std::cell::Cell<Duration>,
    /// Time spent in external programs the step runs (helm): neither a wait on the systems nor
    /// kfscale's own work.
    pub(super) external: std::cell::Cell<Duration>,
    /// Set by `report` for the wait line that follows it: the wait keeps the reported figures
    /// instead of writing its text, and shows them (done and total, the step's own ETA).
    pub(super) reported: std::cell::Cell<Option<super::report::progress::Progress>>,
    /// Retriable errors ridden out inside waits so far.
    pub(super) retries: std::cell::Cell<u32>,
}

impl StepContext<'_> {
    fn record(&mut self) -> &mut StepRecord {
        let step = self.step;
        // The runner created a record for every step before running any (proof: runner::start_run).
        self.state
            .run
            .as_mut()
            .and_then(|run| run.step_mut(step))
            .expect("every step has a record")
    }

    pub fn handle<T: DeserializeOwned>(&mut self, key: &HandleKey<T>) -> Option<T> {
        self.record()
            .handles
            .get(key.name())
            .and_then(|value| serde_json::from_value(value.clone()).ok())
    }

    /// A handle another step of this run recorded: a later step acting on what an earlier one did.
    pub fn handle_of<T: DeserializeOwned>(&self, step: StepName, key: &HandleKey<T>) -> Option<T> {
        self.state
            .run
            .as_ref()
            .and_then(|run| run.step(step))
            .and_then(|record| record.handles.get(key.name()))
            .and_then(|value| serde_json::from_value(value.clone()).ok())
    }

    /// Records an async handle and writes the state before returning: a crash after this line
    /// resumes by polling the handle, never by acting again.
    pub fn record_handle<T: Serialize>(&mut self, key: &HandleKey<T>, value: &T) -> Result<(), StepError> {
        let name = key.name();
        let value = serde_json::to_value(value).map_err(|err| StepError::failed(format!("recording {name}: {err}")))?;
        self.record().handles.insert(name.to_string(), value);
        self.checkpoint()
    }

    /// Drops a handle whose operation ended without changing anything (it failed), and writes the
    /// state: the next apply observes and acts again instead of polling a dead handle forever.
    pub fn forget_handle<T>(&mut self, key: &HandleKey<T>) -> Result<(), StepError> {
        self.record().handles.remove(key.name());
        self.checkpoint()
    }

    /// Notes what the step saw (saved with the step's end).
    pub fn observe<T: Serialize>(&mut self, key: &str, value: &T) {
        if let Ok(value) = serde_json::to_value(value) {
            self.record().observed.insert(key.to_string(), value);
        }
    }

    pub fn checkpoint(&mut self) -> Result<(), StepError> {
        if let Some(run) = self.state.run.as_mut() {
            run.updated_at = crate::time::now_rfc3339();
        }
        self.store.save(self.state)?;
        Ok(())
    }

    pub fn info(&self, message: &str) {
        self.events.info(self.step.as_str(), message);
    }

    /// Saves the wait's latest figures for `kfscale status` (progress.json beside the state).
    pub fn report(&self, progress: super::report::progress::Progress) {
        self.reported.set(Some(progress.clone()));
        self.write_progress(progress);
    }

    fn write_progress(&self, progress: super::report::progress::Progress) {
        let progress = super::report::progress::Progress {
            run: self.run_id.to_string(),
            ..progress
        };
        super::report::progress::write(self.store.dir(), &progress);
    }

    /// Every wait leaves at least its text for `kfscale status`, unless the step reported figures.
    fn note_wait(&self, what: &str, progress: &str, elapsed: Duration) {
        let reported = self.reported.take();
        self.events
            .waiting(self.step.as_str(), what, progress, elapsed, reported.as_ref());
        if reported.is_none() {
            self.write_progress(super::report::progress::Progress::new(
                self.step.as_str(),
                what,
                progress,
            ));
        }
    }

    /// Shows a wait that the step drives itself (when it must act between polls).
    pub fn waiting(&self, what: &str, progress: &str, elapsed: Duration) {
        self.note_wait(what, progress, elapsed);
    }

    /// Sleeps one poll interval; `Interrupted` as soon as cancellation is requested.
    pub async fn pause(&self) -> Result<(), StepError> {
        if self.cancel.is_requested() {
            return Err(StepError::Interrupted);
        }
        let started = Instant::now();
        let slept = self.cancel.sleep(self.settings.poll_interval).await;
        self.waited.set(self.waited.get() + started.elapsed());
        if slept { Ok(()) } else { Err(StepError::Interrupted) }
    }

    /// Counts a retriable error the step rode out (`observed.retries`, shown by `status`) and
    /// logs it: retries are normal, but an operator should see them. Probes that ride out an error
    /// themselves (to keep a stall clock running) call it too.
    pub fn note_retry(&self, what: &str, message: &str) {
        self.retries.set(self.retries.get() + 1);
        self.events.retrying(self.step.as_str(), what, message);
    }

    /// How long this step has waited on the systems so far.
    pub fn waited(&self) -> Duration {
        self.waited.get()
    }

    /// How long this step has spent in external programs so far.
    pub fn external(&self) -> Duration {
        self.external.get()
    }

    /// Runs an external program's call (`helm upgrade`), counting its time as external.
    pub fn run_external<T>(&self, call: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = call();
        self.external.set(self.external.get() + started.elapsed());
        result
    }

    /// Adds `amount` to a millisecond figure in the step's observations: a resumed step's times
    /// add up over its attempts.
    pub fn add_millis(&mut self, key: &str, amount: Duration) {
        self.add(key, amount.as_millis() as u64);
    }

    /// Adds `amount` to a count in the step's observations; a count of nothing is not written.
    pub fn add_count(&mut self, key: &str, amount: u64) {
        if amount > 0 {
            self.add(key, amount);
        }
    }

    fn add(&mut self, key: &str, amount: u64) {
        self.record().add_to(key, amount);
    }

    /// Polls `probe` until it returns `Some`, showing `what` and the probe's progress text; fails
    /// after `timeout`; returns `Interrupted` as soon as cancellation is requested.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, timeout: Duration, probe: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(Option<T>, String), StepError>>,
    {
        let started = Instant::now();
        let result = self.poll_until(what, timeout, probe).await;
        self.waited.set(self.waited.get() + started.elapsed());
        result
    }

    async fn poll_until<T, F, Fut>(&self, what: &str, timeout: Duration, mut probe: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(Option<T>, String), StepError>>,
    {
        let started = Instant::now();
        let mut backoff = self.settings.backoff();
        loop {
            if self.cancel.is_requested() {
                return Err(StepError::Interrupted);
            }
            if let Some(lost) = self.lease.lost() {
                self.events.clear_wait();
                return Err(StepError::LeaseLost(lost));
            }
            // A retriable error is one more poll that saw nothing: the wait goes on (backing off)
            // until its own deadline, so one lost answer never fails a 30-minute wait.
            let (progress, pause) = match probe().await {
                Ok((Some(value), _)) => {
                    self.events.clear_wait();
                    return Ok(value);
                }
                Ok((None, progress)) => {
                    backoff.reset();
                    (progress, self.settings.poll_interval)
                }
                Err(StepError::Retriable(message)) => {
                    self.note_retry(what, &message);
                    let pause = backoff.pause_after_failure().max(self.settings.poll_interval);
                    (format!("retrying in {} ms after: {message}", pause.as_millis()), pause)
                }
                Err(other) => return Err(other),
            };
            let elapsed = started.elapsed();
            if elapsed > timeout {
                self.events.clear_wait();
                return Err(StepError::failed(format!(
                    "gave up waiting for {what} after {}s (last: {progress}); fix: find out why in the system named, then re-run `kfscale apply` to resume",
                    elapsed.as_secs()
                )));
            }
            self.note_wait(what, &progress, elapsed);
            if !self.cancel.sleep(pause).await {
                return Err(StepError::Interrupted);
            }
        }
    }
}
