//! The `main` every fake binary shares: logs on stderr (`RUST_LOG`), the seed read from `--seed` (or the
//! fake's example), the addresses printed as one JSON line on stdout for the rig, then serving until
//! SIGTERM or SIGINT.
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::de::DeserializeOwned;

/// The arguments every fake binary takes.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Seed file (JSON, see the fake's section of tests/fakes/README.md); without it, the fake's example.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

impl ServeArgs {
    /// The seed in `--seed`, or `example()` without one; `what` names the fake in errors.
    pub fn seed<T: DeserializeOwned>(&self, what: &str, example: impl FnOnce() -> T) -> anyhow::Result<T> {
        read_seed(what, self.seed.as_deref(), example)
    }
}

/// Logs to stderr, filtered by `RUST_LOG`.
pub fn init_logs() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
}

/// The seed in `path` (JSON), or `example()` without one; `what` names the fake in errors.
fn read_seed<T: DeserializeOwned>(what: &str, path: Option<&Path>, example: impl FnOnce() -> T) -> anyhow::Result<T> {
    let Some(path) = path else {
        return Ok(example());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a {what} fake seed", path.display()))
}

/// Prints the fake's addresses as the one line the rig reads, then waits for SIGTERM or SIGINT.
pub async fn announce_and_wait(addresses: &serde_json::Value) {
    println!("{addresses}");
    wait_for_signal().await;
}

/// Returns on SIGTERM or SIGINT.
pub async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
