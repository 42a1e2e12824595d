//! kfscale's performance at customer scale (run: `scripts/bench`, or `cargo bench --bench scale
//! [-- PART...]`). Each figure is printed as one `name value` line on stdout (what scripts/bench
//! collects); commentary goes to stderr. Parts:
//!
//! * `growth`: `kfscale plan --add-nodes 1000` and `10000` on the bundled example (wall time):
//!   the planner must grow linearly with the nodes.
//! * `memory`: `kfscale plan` from a generated snapshot of 1,200 nodes and 900k partitions: peak
//!   memory against the snapshot's size (goal: at most 4x).
//! * `makespan` (or one shape: `makespan_60_90`, `makespan_200_300`): the `kafka_reassignment` step against the Kafka fake on its model clock, 60 -> 90
//!   brokers (30k partitions of RF 2) and 200 -> 300 (150k): copy time against its lower bound
//!   (goal: at most 1.10).
//! * `live`: `kfscale plan` against a live cluster on the rig (`KFSCALE_RIG_ENV`; scripts/bench
//!   starts one): 500 nodes, Kafka 300 brokers / 150k partitions, Pinot 200 tables / 100k segments,
//!   then the same with a fifth of the partitions and segments: wall time, peak memory and the
//!   requests per system of both (goal: under 5 s, under 1 GB, the same requests).
//!
//! Whole commands run as child processes of this binary, measured with `wait4`.
// A benchmark's report is its stdout; clippy.toml's rule is for the kfscale binary (src/output.rs).
#![allow(clippy::disallowed_macros)]
use std::path::{Path, PathBuf};

mod child;
mod live;
mod live_fakes;
mod live_proxy;
mod live_world;
mod makespan;
mod sizes;
mod snapshots;

use child::{measure, self_command};
use snapshots::{Shape, big_snapshot};

pub const CHILD_MODE: &str = "KFSCALE_BENCH_CHILD";
const KFSCALE: &str = env!("CARGO_BIN_EXE_kfscale");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshots/eks-kraft-6-nodes.json");

/// The snapshot of item 4 of the performance issue: 1,200 nodes, 900k partitions.
const MEMORY_SHAPE: Shape = Shape {
    nodes: 1200,
    partitions: 900_000,
    rf: 2,
    seed: 1200,
};

fn main() {
    if let Ok(mode) = std::env::var(CHILD_MODE) {
        child_mode(&mode);
        return;
    }
    // `cargo bench` passes `--bench`; other arguments name the parts to run (default: all).
    let parts: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    let work = tempdir();
    if wanted("growth") {
        growth(&work);
    }
    if wanted("memory") {
        memory(&work);
    }
    for scenario in MAKESPAN {
        // `makespan` runs both shapes, `makespan_60_90` one.
        if wanted("makespan") || wanted(&format!("makespan_{}", scenario.name)) {
            makespan_figures(scenario, &work);
        }
    }
    if wanted("live") {
        live_figures(&work);
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn live_figures(work: &Path) {
    let (large, small) = live::run(work, 3);
    for (prefix, figures) in [("live_plan", &large), ("live_plan_small", &small)] {
        eprintln!(
            "{prefix}: Kafka {:?}\n  Pinot {:?}\n  Kubernetes {:?} (helm's pre-flight: {:?})\n  EKS {:?}",
            figures.kafka, figures.pinot, figures.kube, figures.helm_kube, figures.eks
        );
        figure(
            &format!("{prefix}_seconds"),
            format!("{:.2}", figures.sample.wall.as_secs_f64()),
        );
        figure(
            &format!("{prefix}_peak_mb"),
            format!("{:.0}", figures.sample.peak_rss_bytes as f64 / 1e6),
        );
        figure(&format!("{prefix}_requests_kafka"), live::total(&figures.kafka));
        figure(&format!("{prefix}_requests_pinot"), live::total(&figures.pinot));
        figure(&format!("{prefix}_requests_kube"), live::total(&figures.kube));
        figure(&format!("{prefix}_requests_kube_helm"), live::total(&figures.helm_kube));
        figure(&format!("{prefix}_requests_eks"), live::total(&figures.eks));
    }
    let same =
        large.kafka == small.kafka && large.pinot == small.pinot && large.kube == small.kube && large.eks == small.eks;
    figure("live_plan_requests_same_at_a_fifth", same);
}

/// Runs `future` on a runtime of the machine's two cores (every part that talks to a fake or
/// the rig).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Figures are `name value` lines, flushed at once (scripts/bench reads them as they come).
fn figure(name: &str, value: impl std::fmt::Display) {
    println!("{name} {value}");
}

/// A kfscale.yaml whose EKS node group may hold the bench's 10,000s of nodes: plan refuses a node
/// group past EKS's default quota of 450 nodes (the pre-check a customer needs), which would stop
/// a bench about the planner's growth.
fn large_node_group_config(work: &Path) -> PathBuf {
    let config = work.join("kfscale-large-node-group.yaml");
    std::fs::write(
        &config,
        "cluster:\n  aws:\n    cluster: kfuse\n    nodegroup: kfuse\n    max_nodes_per_group: 20000\n",
    )
    .expect("write the config");
    config
}

fn growth(work: &Path) {
    let config = large_node_group_config(work);
    let plan = |added: u32| {
        measure(5, || {
            let mut command = std::process::Command::new(KFSCALE);
            command.arg("plan").arg("-c").arg(&config);
            command
                .args(["--snapshot", EXAMPLE, "--add-nodes"])
                .arg(added.to_string());
            command
        })
    };
    let (small, large) = (plan(1000), plan(10_000));
    figure(
        "plan_add_nodes_1000_seconds",
        format!("{:.3}", small.wall.as_secs_f64()),
    );
    figure(
        "plan_add_nodes_10000_seconds",
        format!("{:.3}", large.wall.as_secs_f64()),
    );
    figure(
        "plan_add_nodes_growth_ratio",
        format!("{:.1}", large.wall.as_secs_f64() / small.wall.as_secs_f64()),
    );
}

fn memory(work: &Path) {
    let path = work.join("snapshot-1200-nodes.json");
    // A child writes it: this process stays small while the plan's peak is measured.
    let shape = MEMORY_SHAPE;
    let status = self_command("write-snapshot")
        .arg(&path)
        .args([shape.nodes, shape.partitions, shape.rf as u32].map(|n| n.to_string()))
        .status()
        .expect("start the generator");
    assert!(status.success(), "the snapshot generator failed");
    let size = std::fs::metadata(&path).expect("the generated snapshot").len();
    let config = large_node_group_config(work);
    let sample = measure(3, || {
        let mut command = std::process::Command::new(KFSCALE);
        command.arg("plan").arg("-c").arg(&config);
        command.args(["--add-nodes", "300", "--snapshot"]).arg(&path);
        command
    });
    eprintln!(
        "memory: snapshot of {} nodes, {} partitions (RF {}): {} bytes; plan --add-nodes 300 took {:.2} s",
        MEMORY_SHAPE.nodes,
        MEMORY_SHAPE.partitions,
        MEMORY_SHAPE.rf,
        size,
        sample.wall.as_secs_f64()
    );
    figure("plan_snapshot_mb", format!("{:.1}", size as f64 / 1e6));
    figure("plan_snapshot_seconds", format!("{:.2}", sample.wall.as_secs_f64()));
    figure(
        "plan_snapshot_peak_mb",
        format!("{:.0}", sample.peak_rss_bytes as f64 / 1e6),
    );
    figure(
        "plan_snapshot_memory_ratio",
        format!("{:.2}", sample.peak_rss_bytes as f64 / size as f64),
    );
}

const MAKESPAN: &[makespan::Scenario] = &[
    makespan::Scenario {
        name: "60_90",
        old_brokers: 60,
        new_brokers: 30,
        partitions: 30_000,
    },
    makespan::Scenario {
        name: "200_300",
        old_brokers: 200,
        new_brokers: 100,
        partitions: 150_000,
    },
];

fn makespan_figures(scenario: &makespan::Scenario, work: &Path) {
    let dir = work.join(format!("makespan-{}", scenario.name));
    std::fs::create_dir_all(&dir).expect("a work directory");
    let figures = makespan::run(scenario, &dir);
    let name = scenario.name;
    eprintln!(
        "makespan {name}: {} moves in {} waves over {} polls; copy {:.0} s, bound {:.0} s ({:.1} s real)",
        figures.moves,
        figures.waves,
        figures.polls,
        figures.achieved.as_secs_f64(),
        figures.bound.as_secs_f64(),
        figures.real.as_secs_f64()
    );
    figure(
        &format!("copy_seconds_{name}"),
        format!("{:.0}", figures.achieved.as_secs_f64()),
    );
    figure(
        &format!("copy_bound_seconds_{name}"),
        format!("{:.0}", figures.bound.as_secs_f64()),
    );
    figure(&format!("makespan_ratio_{name}"), format!("{:.3}", figures.ratio()));
    figure(
        &format!("makespan_bench_seconds_{name}"),
        format!("{:.1}", figures.real.as_secs_f64()),
    );
}

fn child_mode(mode: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> u32 { args.get(i).and_then(|a| a.parse().ok()).expect("a number argument") };
    match mode {
        // PATH NODES PARTITIONS RF (also by hand: KFSCALE_BENCH_CHILD=write-snapshot <bench> ...).
        "write-snapshot" => {
            let snapshot = big_snapshot(Shape {
                nodes: number(1),
                partitions: number(2),
                rf: number(3) as usize,
                seed: u64::from(number(1)),
            });
            // Compact (`kfscale snapshot` indents): the harder case for a ratio to the file's size,
            // and the size of the snapshot the performance issue measured (about 106 MB).
            let text = serde_json::to_string(&snapshot).expect("a snapshot serializes") + "\n";
            std::fs::write(&args[0], text).expect("write the snapshot");
        }
        // KAFKA_SEED PINOT_SEED: the live part's fakes (benches/scale/live_fakes.rs).
        "serve-fakes" => live_fakes::serve(Path::new(&args[0]), Path::new(&args[1])),
        other => panic!("unknown child mode {other}"),
    }
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kfscale-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
