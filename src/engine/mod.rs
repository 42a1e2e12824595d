//! The apply engine: executes a plan as ordered steps, each `observe -> done? -> in flight? ->
//! act -> wait -> verify -> checkpoint`, under a lock, with the state written after every step.
pub mod backoff;
pub mod cancel;
pub mod context;
pub mod events;
pub mod lock;
pub mod progress;
pub mod runner;
pub mod settings;
pub mod staleness;
pub mod steps;
pub mod systems;
pub mod timing;
