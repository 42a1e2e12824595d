//! `fake-pinot`: the Pinot controller fake as a process, for the rig. Prints its addresses as one JSON
//! line on stdout, then serves until SIGTERM/SIGINT. With `--watch-namespace`, it follows the
//! `pinot-server-*` pods of that namespace (kubeconfig from KUBECONFIG) so new servers join when Ready.
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed};

#[derive(Parser)]
#[command(about = "Fake of the Apache Pinot controller REST API (tables, instances, rebalance)")]
struct Args {
    /// Seed file (JSON, see README "Pinot"); without it, a small Kloudfuse-like cluster.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Model seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
    /// Follow the server pods of this Kubernetes namespace.
    #[arg(long)]
    watch_namespace: Option<String>,
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
            serde_json::from_str(&text).with_context(|| format!("{} is not a Pinot fake seed", path.display()))?
        }
        None => Seed::example(),
    };
    let fake = PinotFake::start(&seed, args.port, ModelClock::new(args.clock_speed)).await?;
    let watcher = match &args.watch_namespace {
        Some(namespace) => {
            let client = kube::Client::try_default()
                .await
                .context("connecting to Kubernetes for --watch-namespace")?;
            Some(fake.watch_pods(client, namespace.clone()))
        }
        None => None,
    };
    println!("{}", fake.addresses());
    wait_for_signal().await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
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
