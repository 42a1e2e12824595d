//! `fake-pinot`: the Pinot controller fake as a process, for the rig. Prints its addresses as one JSON
//! line on stdout, then serves until SIGTERM/SIGINT. With `--watch-namespace`, it follows the
//! `pinot-server-*` pods of that namespace (kubeconfig from KUBECONFIG) so new servers join when Ready.

use anyhow::Context;
use clap::Parser;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed};
use kfscale_fakes::scaffold::process;

#[derive(Parser)]
#[command(about = "Fake of the Apache Pinot controller REST API (tables, instances, rebalance)")]
struct Args {
    #[command(flatten)]
    serve: process::ServeArgs,
    /// Model seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
    /// Follow the server pods of this Kubernetes namespace.
    #[arg(long)]
    watch_namespace: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    process::init_logs();
    let args = Args::parse();
    let seed = args.serve.seed("Pinot", Seed::example)?;
    let fake = PinotFake::start(&seed, args.serve.port, ModelClock::new(args.clock_speed)).await?;
    let watcher = match &args.watch_namespace {
        Some(namespace) => {
            let client = kube::Client::try_default()
                .await
                .context("connecting to Kubernetes for --watch-namespace")?;
            Some(fake.watch_pods(client, namespace.clone()))
        }
        None => None,
    };
    process::announce_and_wait(&fake.addresses()).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    fake.stop().await;
    Ok(())
}
