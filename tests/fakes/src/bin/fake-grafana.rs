//! `fake-grafana`: the Grafana alert-rule status fake as a process, for the rig. Prints its
//! addresses as one JSON line on stdout, then serves until SIGTERM/SIGINT.
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use kfscale_fakes::grafana::{GrafanaFake, Seed};
use kfscale_fakes::scaffold::process;

#[derive(Parser)]
#[command(about = "Fake of Grafana's alert-rule status API (/api/prometheus/grafana/api/v1/rules)")]
struct Args {
    #[command(flatten)]
    serve: process::ServeArgs,
    /// A file holding the bearer token the rules API demands (default: anonymous access).
    #[arg(long)]
    token_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    process::init_logs();
    let args = Args::parse();
    let seed = args.serve.seed("Grafana", Seed::example)?;
    let token = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let fake = GrafanaFake::start(&seed, args.serve.port, token).await?;
    process::announce_and_wait(&fake.addresses()).await;
    fake.stop().await;
    Ok(())
}
