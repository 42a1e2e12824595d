//! `fake-grafana`: the Grafana alert-rule status fake as a process, for the rig. Prints its
//! addresses as one JSON line on stdout, then serves until SIGTERM/SIGINT.
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use kfscale_fakes::grafana::{GrafanaFake, Seed};

#[derive(Parser)]
#[command(about = "Fake of Grafana's alert-rule status API (/api/prometheus/grafana/api/v1/rules)")]
struct Args {
    /// Seed file (JSON, see README "Grafana"); without it, Kloudfuse-like rules.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A file holding the bearer token the rules API demands (default: anonymous access).
    #[arg(long)]
    token_file: Option<PathBuf>,
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
            serde_json::from_str(&text).with_context(|| format!("{} is not a Grafana fake seed", path.display()))?
        }
        None => Seed::example(),
    };
    let token = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let fake = GrafanaFake::start(&seed, args.port, token).await?;
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
