//! kfscale: plan and apply a Kloudfuse scale-out. ARCHITECTURE.md draws the layers.
//!
//! The pure core (snapshot, plan, balance, values, profile, the file formats) is its own crate,
//! `kfscale_core`, re-exported here under the same names. This crate is the edge around it:
//! `cli` parses, `connect` turns kfscale.yaml into clients, `observe` reads the systems into a
//! snapshot, `engine` applies a plan, `verify` checks the result, `files` reads and writes.
pub use kfscale_core::{balance, envelope, plan, planfile, profile, snapshot, state, values};

pub mod cli;
pub mod color;
pub mod config;
pub mod connect;
pub mod diagnostic;
pub mod engine;
pub mod files;
pub mod init;
pub mod logging;
pub mod observe;
pub mod output;
pub mod render;
pub mod review;
pub mod scrub;
pub mod stderr;
pub mod time;
pub mod verify;
