//! `kfscale plan` against a live cluster at customer scale (issue #18, item 2): 500 Ready nodes
//! of an EKS node group (moto) in the rig's real kube-apiserver with the chart installed on them,
//! a Kafka of 300 brokers and 150k partitions (RF 2) whose Pinot consumer groups commit offsets on
//! 100k of them, and a Pinot of 200 tables and 100k segments. The real binary plans as a child
//! process (wall time and peak memory from `wait4`), and the requests it sent are counted where
//! they arrive: by the fakes, and by proxies in front of the API server and moto.
//!
//! The same cluster is then planned with a fifth of the partitions and segments (same brokers,
//! tables, servers and nodes): the request counts must be the same (the integration test
//! `live_observe_requests` asserts it at small sizes on every run).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use kfscale_rig::RigEnv;

use super::child::{Sample, measure};
use super::live_fakes::{Counts, Fakes, Size, kafka_seed, pinot_seed};
use super::live_proxy::{EksProxy, KubeProxy, counts};
use super::live_world::{self, World, values_file};

pub const NODES: i32 = 500;

/// The size.
pub const LARGE: Size = Size {
    brokers: 300,
    partitions: 150_000,
    replication_factor: 2,
    tables: 200,
    segments: 100_000,
    realtime_servers: 100,
    offline_servers: 20,
};

/// The same brokers, tables and servers with a fifth of the partitions and segments.
pub const SMALL: Size = Size {
    partitions: LARGE.partitions / 5,
    segments: LARGE.segments / 5,
    ..LARGE
};

/// One world's figures.
pub struct Figures {
    pub sample: Sample,
    pub kafka: BTreeMap<String, u64>,
    pub pinot: BTreeMap<String, u64>,
    /// kfscale's own requests to the API server, and helm's (the pre-flight's dry run).
    pub kube: BTreeMap<String, u64>,
    pub helm_kube: BTreeMap<String, u64>,
    pub eks: BTreeMap<String, u64>,
}

pub fn total(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

/// Runs both worlds on the rig `KFSCALE_RIG_ENV` names: (the size, a fifth).
pub fn run(work: &Path, runs: usize) -> (Figures, Figures) {
    let rig = RigEnv::from_env().unwrap_or_else(|err| {
        panic!("the live part needs the rig: run `scripts/bench live`, which starts one ({err:#})")
    });
    crate::block_on(async {
        let started = std::time::Instant::now();
        let world = live_world::build(&rig, NODES, &LARGE, work).await;
        eprintln!(
            "live: {NODES} Ready nodes and the chart installed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        let kube = KubeProxy::start(&rig, work).await.expect("the Kubernetes proxy starts");
        let eks = EksProxy::start(&rig).await.expect("the EKS proxy starts");
        let proxies = Proxies { kube, eks };
        let large = plan_world(&rig, &world, &proxies, &LARGE, work, "large", runs);
        let small = plan_world(&rig, &world, &proxies, &SMALL, work, "small", runs);
        live_world::tear_down(&rig, &world).await;
        (large, small)
    })
}

struct Proxies {
    kube: KubeProxy,
    eks: EksProxy,
}

/// Serves `size`'s Kafka and Pinot, plans once counting every request, then `runs` times for the
/// wall time and peak memory.
fn plan_world(
    rig: &RigEnv,
    world: &World,
    proxies: &Proxies,
    size: &Size,
    work: &Path,
    name: &str,
    runs: usize,
) -> Figures {
    let started = std::time::Instant::now();
    let mut fakes = Fakes::start(
        &kafka_seed(size, &world.id, &world.cluster_id),
        &pinot_seed(size, &world.id),
        work,
        name,
    );
    eprintln!(
        "live {name}: {} partitions, {} segments served in {:.1} s",
        size.partitions,
        size.segments,
        started.elapsed().as_secs_f64()
    );
    // The installed file for the size; a fifth of the partitions is another customer file
    // (the release's values then differ from it, which the plan reports as drift).
    let values = if name == "large" {
        world.values.clone()
    } else {
        let path = work.join(format!("values-{name}.yaml"));
        std::fs::write(&path, values_file(NODES, size, &world.nodegroup)).expect("write the values file");
        path
    };
    let config = work.join(format!("kfscale-{name}.yaml"));
    std::fs::write(&config, kfscale_yaml(rig, world, proxies, &fakes, &values)).expect("write kfscale.yaml");
    let plan = || {
        let mut command = Command::new(super::KFSCALE);
        command
            .args(["plan", "--config"])
            .arg(&config)
            .args(["--add-nodes", "6", "--no-color"])
            .envs(rig.vars());
        command
    };
    let before = (fakes.counts(), counts(&proxies.kube), counts(&proxies.eks).0);
    let fakes_cpu = fakes.cpu_seconds();
    let started = std::time::Instant::now();
    let output = plan().output().expect("run kfscale plan");
    let wall = started.elapsed().as_secs_f64();
    let fakes_cpu = fakes.cpu_seconds() - fakes_cpu;
    let after = (fakes.counts(), counts(&proxies.kube), counts(&proxies.eks).0);
    assert!(
        output.status.success(),
        "kfscale plan ({name}) exited {:?}:\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let warnings: Vec<&str> = stdout.lines().filter(|l| l.contains("! warn")).collect();
    eprintln!("live {name}: the plan's warnings:\n{}", warnings.join("\n"));
    // Where the time went: kfscale's progress line per system, and the fakes' own CPU.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let progress: Vec<&str> = stderr.lines().filter(|l| l.contains("done in")).collect();
    eprintln!(
        "live {name}: counted plan {wall:.2} s, of which the fakes used {fakes_cpu:.2} s of CPU; {}",
        progress.join("; ")
    );
    let fake_counts: Counts = after.0.since(&before.0);
    let since = |after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
        after
            .iter()
            .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    let sample = measure(runs, plan);
    Figures {
        sample,
        kafka: fake_counts.kafka,
        pinot: fake_counts.pinot,
        kube: since(&after.1.0, &before.1.0),
        helm_kube: since(&after.1.1, &before.1.1),
        eks: since(&after.2, &before.2),
    }
}

/// kfscale.yaml of the world: Kafka through its bootstrap brokers with every broker pod's DNS name
/// mapped to loopback, Pinot's controller, EKS and Kubernetes through the counting proxies.
fn kfscale_yaml(rig: &RigEnv, world: &World, proxies: &Proxies, fakes: &Fakes, values: &Path) -> String {
    let brokers = fakes.addresses["kafka"]["brokers"]
        .as_object()
        .expect("the brokers' addresses");
    let bootstrap: Vec<String> = brokers
        .values()
        .take(3)
        .map(|a| format!("\"{}\"", a.as_str().unwrap_or_default()))
        .collect();
    let mut map = String::new();
    for ordinal in 0..brokers.len() {
        let set = "kafka-kraft-broker";
        let _ = write!(
            map,
            "{}\"{set}-{ordinal}.{set}-headless.{}.svc.cluster.local\": \"127.0.0.1\"",
            if ordinal == 0 { "" } else { ", " },
            world.id
        );
    }
    let get = |key: &str| rig.get(key).expect("a rig setting").to_string();
    format!(
        "kafka: {{bootstrap: [{bootstrap}], address_map: {{{map}}}, timeout_seconds: 30}}\n\
         pinot: {{url: \"{pinot}\", timeout_seconds: 30}}\n\
         cluster:\n  aws: {{region: {region}, cluster: {id}, nodegroup: {ng}, endpoint: \"{eks}\", max_nodes_per_group: 5000}}\n\
         kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
         helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
         values: {{file: {values}}}\n\
         profile: {{base: kraft}}\n",
        bootstrap = bootstrap.join(", "),
        pinot = fakes.addresses["pinot"]["api"].as_str().expect("Pinot's URL"),
        region = get("AWS_REGION"),
        id = world.id,
        ng = world.nodegroup,
        eks = proxies.eks.url(),
        kubeconfig = proxies.kube.kubeconfig().display(),
        chart = get("KFSCALE_RIG_CHART"),
        helm = get("KFSCALE_RIG_HELM"),
        values = values.display(),
    )
}
