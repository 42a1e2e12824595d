//! kfscale: plan and apply a Kloudfuse scale-out.
pub mod atomic_file;
pub mod balance;
pub mod cli;
pub mod config;
pub mod engine;
pub mod logging;
pub mod observe;
pub mod plan;
pub mod planfile;
pub mod profile;
pub mod render;
pub mod snapshot;
pub mod state;
pub mod time;
pub mod values;
pub mod verify;
