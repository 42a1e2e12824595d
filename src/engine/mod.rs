//! The apply engine: executes a plan as ordered steps, each `observe -> done? -> in flight? ->
//! act -> wait -> verify -> checkpoint`, under a lock, with the state written after every step.
//! `apply` is the workflow a command hands over to (lock, state, approval, run, record).
pub mod apply;
pub mod context;
pub mod handle;
pub mod lock;
pub mod preflight;
pub mod record;
pub mod report;
pub mod runner;
pub mod settings;
pub mod staleness;
pub mod steps;
pub mod wait;
pub mod workload_health;

/// Whether `run` elected the preferred leaders (its `kafka_leaders` step is done): then `verify`
/// holds the leaders to the apply's promise (within one of each other per broker).
pub fn leaders_elected(run: &crate::state::ApplyRun) -> bool {
    run.step(crate::state::StepName::KafkaLeaders)
        .is_some_and(|step| step.status == crate::state::StepStatus::Done)
}
