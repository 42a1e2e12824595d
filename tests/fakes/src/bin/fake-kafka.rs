//! `fake-kafka`: the Kafka fake as a process for the rig. Prints one JSON line with its addresses
//! on stdout, then serves until SIGINT/SIGTERM. See tests/fakes/README.md ("Kafka").
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::seed::{Layout, PodHosts, Seed};
use kfscale_fakes::kafka::watcher::{self, WatchTarget};
use kfscale_fakes::scaffold::process;

#[derive(Parser, Debug)]
#[command(
    name = "fake-kafka",
    about = "A multi-broker Kafka fake on the real wire protocol (test equipment)"
)]
struct Args {
    /// The seed file (JSON): brokers, topics, groups, configs. Without it: --brokers live brokers.
    #[arg(long, env = "FAKE_KAFKA_SEED")]
    seed: Option<PathBuf>,
    /// Without a seed: how many brokers, with the layout's ids.
    #[arg(long, default_value_t = 3)]
    brokers: i32,
    /// Without a seed: kraft (ids from 100) or legacy (ids from 0).
    #[arg(long, default_value = "kraft")]
    layout: String,
    /// Overrides the seed's cluster id (what Metadata and DescribeCluster report), e.g. the id a test
    /// pinned in the chart's `kafka-kraft.kraft.clusterId`.
    #[arg(long)]
    cluster_id: Option<String>,
    /// Model seconds per real second (0: the model only moves on /_control/clock/advance).
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
    /// Control endpoint port on 127.0.0.1 (0: a free one).
    #[arg(long, default_value_t = 0)]
    control_port: u16,
    /// Follow this StatefulSet's pods: broker id_base+N lives while pod <name>-N is Ready.
    #[arg(long, requires = "watch_namespace")]
    watch_statefulset: Option<String>,
    #[arg(long)]
    watch_namespace: Option<String>,
    /// Broker id of ordinal 0 (default: 100 for kraft, 0 for legacy).
    #[arg(long)]
    watch_id_base: Option<i32>,
    /// Kubeconfig for the watch (default: KUBECONFIG or in-cluster).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Racks of brokers added by the watch from their node's topology.kubernetes.io/zone label.
    #[arg(long)]
    rack_from_node_zone: bool,
    /// Each watched broker advertises its pod's DNS name, as a chart's brokers do (clients map the
    /// names to 127.0.0.1 with a host-only `address_map`); without it, 127.0.0.1.
    #[arg(long, requires = "watch_statefulset")]
    advertise_pod_hosts: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => Seed::from_file(path)?,
        None => {
            let layout = match args.layout.as_str() {
                "kraft" => Layout::Kraft,
                "legacy" => Layout::Legacy,
                other => anyhow::bail!("--layout must be kraft or legacy, not {other}"),
            };
            Seed::with_brokers(layout, args.brokers)
        }
    };
    let mut seed = seed;
    if let Some(id) = &args.cluster_id {
        seed.cluster_id = id.clone();
    }
    anyhow::ensure!(args.clock_speed >= 0.0, "--clock-speed must not be negative");
    let layout = seed.layout;
    let id_base = args.watch_id_base.unwrap_or(layout.id_base());
    if let (true, Some(statefulset), Some(namespace)) =
        (args.advertise_pod_hosts, &args.watch_statefulset, &args.watch_namespace)
    {
        seed.settings.pod_hosts = Some(PodHosts {
            namespace: namespace.clone(),
            statefulset: statefulset.clone(),
            id_base,
            domain: "cluster.local".into(),
        });
    }
    let fake = FakeKafka::start_on(
        seed,
        ModelClock::new(args.clock_speed),
        SocketAddr::from(([127, 0, 0, 1], args.control_port)),
    )
    .await
    .context("starting the Kafka fake")?;
    // The address line first: the brokers of the seed, before the watch fences any of them, so the
    // rig always learns every seeded broker's (stable) address.
    let watch_client = match &args.watch_statefulset {
        Some(_) => Some(watcher::client(args.kubeconfig.as_deref()).await?),
        None => None,
    };
    println!("{}", fake.addresses());
    let watch = match (&args.watch_statefulset, &args.watch_namespace, watch_client) {
        (Some(statefulset), Some(namespace), Some(client)) => {
            let target = WatchTarget {
                namespace: namespace.clone(),
                statefulset: statefulset.clone(),
                id_base,
                rack_from_node_zone: args.rack_from_node_zone,
            };
            let shared = fake.shared();
            Some(tokio::spawn(async move {
                if let Err(error) = watcher::run(shared, client, target).await {
                    tracing::error!(%error, "the pod watch stopped");
                }
            }))
        }
        _ => None,
    };
    process::wait_for_signal().await;
    if let Some(watch) = watch {
        watch.abort();
    }
    drop(fake);
    Ok(())
}
