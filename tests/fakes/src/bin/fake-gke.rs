//! `fake-gke`: the GKE container v1 fake as a process, for the rig. Prints its addresses as one JSON line
//! on stdout, then serves until SIGTERM/SIGINT.

use clap::Parser;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{GkeFake, Seed};
use kfscale_fakes::scaffold::process;

#[derive(Parser)]
#[command(about = "Fake of GKE's container.googleapis.com v1 node-pool API")]
struct Args {
    #[command(flatten)]
    serve: process::ServeArgs,
    /// Model seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    process::init_logs();
    let args = Args::parse();
    let seed = args.serve.seed("GKE", Seed::example)?;
    let fake = GkeFake::start(&seed, args.serve.port, ModelClock::new(args.clock_speed)).await?;
    process::announce_and_wait(&fake.addresses()).await;
    fake.stop().await;
    Ok(())
}
