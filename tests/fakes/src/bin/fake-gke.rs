//! `fake-gke`: the GKE container v1 fake as a process, for the rig. Prints its addresses as one JSON line
//! on stdout, then serves until SIGTERM/SIGINT.
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{GkeFake, Seed};

#[derive(Parser)]
#[command(about = "Fake of GKE's container.googleapis.com v1 node-pool API")]
struct Args {
    /// Seed file (JSON, see README "GKE"); without it, one regional cluster `kfuse` with pool `kfuse-pool`.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Model seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not a GKE fake seed", path.display()))?
        }
        None => Seed::example(),
    };
    let fake = GkeFake::start(&seed, args.port, ModelClock::new(args.clock_speed)).await?;
    println!("{}", fake.addresses());
    wait_for_signal().await;
    fake.stop().await;
    Ok(())
}

async fn wait_for_signal() {
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
