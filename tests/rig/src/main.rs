//! `kfscale-rig`: the rig's daemon (node provisioner, pod runner, volume provisioner) and small
//! commands the sandbox script uses. Started by `tests/rig/start.sh`; reads the rig's env file.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand};
use kfscale_rig::nodes::Provisioner;
use kfscale_rig::nodes::aks::AksSource;
use kfscale_rig::nodes::eks::EksSource;
use kfscale_rig::nodes::gke::GkeSource;
use kfscale_rig::nodes::source::PoolSource;
use kfscale_rig::pods::Runner;
use kfscale_rig::volumes::Volumes;
use kfscale_rig::{RigEnv, eks, wait};

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The rig's env file (written by start.sh).
    #[arg(long, env = "KFSCALE_RIG_ENV", global = true)]
    env_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Node provisioner, pod runner and volume provisioner together, until stopped.
    Run {
        #[command(flatten)]
        timing: Timing,
        #[command(flatten)]
        clouds: Clouds,
    },
    /// Only the node provisioner.
    Nodes {
        #[command(flatten)]
        timing: Timing,
        #[command(flatten)]
        clouds: Clouds,
    },
    /// Only the pod runner.
    Pods(Timing),
    /// Creates an EKS node group in moto (and its cluster), or resizes it when it exists.
    Nodegroup {
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        nodegroup: String,
        #[arg(long)]
        desired: i32,
        #[arg(long, default_value = "m5.2xlarge")]
        instance_type: String,
        /// Zones of a new group, comma-separated (e.g. us-east-1a for a single-AZ install); default
        /// the region's a, b and c.
        #[arg(long, value_delimiter = ',')]
        zones: Vec<String>,
    },
    /// Waits until exactly COUNT nodes match SELECTOR and are Ready.
    WaitNodes {
        #[arg(long)]
        selector: String,
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
}

#[derive(clap::Args)]
struct Timing {
    /// How long a new node stays NotReady (its boot time).
    #[arg(long, env = "KFSCALE_RIG_NODE_BOOT_DELAY_MS", default_value_t = 1000)]
    node_boot_delay_ms: u64,
    /// How long a bound pod stays Pending before it starts.
    #[arg(long, env = "KFSCALE_RIG_POD_START_DELAY_MS", default_value_t = 300)]
    pod_start_delay_ms: u64,
    /// How often the node provisioner reads the cloud node pools.
    #[arg(long, env = "KFSCALE_RIG_POLL_MS", default_value_t = 500)]
    poll_ms: u64,
}

/// The node-pool APIs besides EKS (moto, always mirrored) that the node provisioner mirrors.
#[derive(clap::Args)]
struct Clouds {
    /// The GKE fake's control URL (`http://127.0.0.1:PORT/_control`); default: the env file's
    /// KFSCALE_RIG_GKE_CONTROL. Without either, no GKE pool is mirrored.
    #[arg(long, env = "KFSCALE_RIG_GKE_CONTROL")]
    gke_control: Option<String>,
    /// The AKS fake's control URL; default: the env file's KFSCALE_RIG_AKS_CONTROL. Without either,
    /// no AKS agent pool is mirrored.
    #[arg(long, env = "KFSCALE_RIG_AKS_CONTROL")]
    aks_control: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,kube_runtime=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("kfscale-rig: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kfscale-rig: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let rig = match &cli.env_file {
        Some(path) => RigEnv::load(path)?,
        None => RigEnv::from_env()?,
    };
    let client = rig.kube_client().await?;
    match cli.command {
        Command::Run { timing: t, clouds } => {
            tokio::join!(
                provisioner(&rig, client.clone(), &t, &clouds).await?.run(),
                runner(client.clone(), &t).run(),
                Volumes::new(client).run(),
            );
        }
        Command::Nodes { timing: t, clouds } => provisioner(&rig, client, &t, &clouds).await?.run().await,
        Command::Pods(t) => runner(client, &t).run().await,
        Command::Nodegroup {
            cluster,
            nodegroup,
            desired,
            instance_type,
            zones,
        } => {
            let eks_client = rig.eks_client().await?;
            let exists = eks_client
                .describe_nodegroup()
                .cluster_name(&cluster)
                .nodegroup_name(&nodegroup)
                .send()
                .await
                .is_ok();
            if exists {
                eks::resize(&eks_client, &cluster, &nodegroup, desired).await?;
            } else {
                let mut group = eks::NodeGroup::new(&cluster, &nodegroup, desired);
                group.instance_type = &instance_type;
                if !zones.is_empty() {
                    group.zones = Some(zones);
                }
                eks::create(&eks_client, &group).await?;
            }
        }
        Command::WaitNodes {
            selector,
            count,
            timeout_s,
        } => {
            wait::ready_nodes(&client, &selector, count, Duration::from_secs(timeout_s)).await?;
        }
    }
    Ok(())
}

async fn provisioner(rig: &RigEnv, client: kube::Client, t: &Timing, clouds: &Clouds) -> Result<Provisioner> {
    let eks = EksSource::new(rig.eks_client().await?, rig.get("AWS_REGION")?);
    let mut sources: Vec<Box<dyn PoolSource>> = vec![Box::new(eks)];
    let gke_control = clouds
        .gke_control
        .as_deref()
        .or_else(|| rig.get("KFSCALE_RIG_GKE_CONTROL").ok());
    match gke_control {
        Some(url) => {
            tracing::info!("mirroring GKE pools of {url}");
            sources.push(Box::new(GkeSource::new(url)?));
        }
        None => tracing::info!("no KFSCALE_RIG_GKE_CONTROL: GKE pools are not mirrored"),
    }
    let aks_control = clouds
        .aks_control
        .as_deref()
        .or_else(|| rig.get("KFSCALE_RIG_AKS_CONTROL").ok());
    match aks_control {
        Some(url) => {
            tracing::info!("mirroring AKS agent pools of {url}");
            sources.push(Box::new(AksSource::new(url)?));
        }
        None => tracing::info!("no KFSCALE_RIG_AKS_CONTROL: AKS agent pools are not mirrored"),
    }
    Ok(Provisioner::new(
        client,
        sources,
        Duration::from_millis(t.node_boot_delay_ms),
        Duration::from_millis(t.poll_ms),
    ))
}

fn runner(client: kube::Client, t: &Timing) -> Runner {
    Runner::new(client, Duration::from_millis(t.pod_start_delay_ms))
}
