//! `fake-aks`: the Azure Resource Manager fake for AKS agent pools as a process, for the rig. Prints
//! its addresses as one JSON line on stdout, then serves until SIGTERM/SIGINT.
use clap::Parser;
use std::path::PathBuf;

use kfscale_fakes::aks::{AksFake, Seed, TlsOptions};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::scaffold::process;

#[derive(Parser)]
#[command(about = "Fake of Azure Resource Manager for AKS agent pools (Microsoft.ContainerService)")]
struct Args {
    #[command(flatten)]
    serve: process::ServeArgs,
    /// Model seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
    /// Serve HTTPS too, on this port (0 = any free port), with --tls-cert and --tls-key.
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    tls_port: Option<u16>,
    /// PEM certificate chain for HTTPS (naming localhost).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    #[arg(long)]
    tls_key: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    process::init_logs();
    let args = Args::parse();
    let seed = args.serve.seed("AKS", Seed::example)?;
    let tls = match (args.tls_port, args.tls_cert, args.tls_key) {
        (Some(port), Some(cert), Some(key)) => Some(TlsOptions { port, cert, key }),
        _ => None,
    };
    let fake = AksFake::start_with(&seed, args.serve.port, tls, ModelClock::new(args.clock_speed)).await?;
    process::announce_and_wait(&fake.addresses()).await;
    fake.stop().await;
    Ok(())
}
