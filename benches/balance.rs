//! Benchmark of `kfscale kafka-balance` (run: `cargo bench --bench balance`).
//!
//! 1. A synthetic 200 -> 300 broker scale-out with 1,000,000 replicas (392 topics, RF 1-3, sizes),
//!    placed on the old brokers the way Kafka creates topics, written as Kafka's JSON file.
//!    Measured (median of runs): parse + re-serialize only, the full kafka-balance path in
//!    process (parse, balance, serialize), the balance alone, and the real binary as a child
//!    process beside a child that only parses and re-serializes (wall time and peak RSS from
//!    `wait4`).
//! 2. The baseline: `kafka-reassign-partitions --generate`, i.e. Kafka's
//!    `AdminUtils.assignReplicasToBrokers` rack-unaware placement (random start index and replica
//!    shift from `java.util.Random`), re-implemented here, on the same inputs: replicas moved by
//!    kfscale vs by `--generate` for 3->4, 3->6, 6->9, 4->6 and the big 200->300.
// A benchmark's report is its stdout; clippy.toml's rule is for the kfscale binary (src/output.rs).
#![allow(clippy::disallowed_macros)]
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kfscale::balance::report::render_summary;
use kfscale::balance::tool_json::{brokers_with_racks, parse_assignment, write_reassignment};
use kfscale::balance::{BalanceRequest, Partition, balance};
use serde::Serialize;

const RUNS: usize = 7;
const CHILD_MODE: &str = "KFSCALE_BENCH_CHILD";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Ok(mode) = std::env::var(CHILD_MODE) {
        child(&mode, &args[1]);
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument (e.g. `baseline`) runs one part only.
    let only = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned();
    if only.as_deref().is_none_or(|o| o == "big") {
        big_benchmark();
    }
    if only.as_deref().is_none_or(|o| o == "baseline") {
        baseline_table();
    }
}

// --- data ----------------------------------------------------------------------------------------

/// `java.util.Random`, to draw Kafka's start index and shift exactly as the JVM would.
struct JavaRandom(u64);

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    fn new(seed: u64) -> Self {
        JavaRandom((seed ^ Self::MULTIPLIER) & Self::MASK)
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.0 = (self.0.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.0 >> (48 - bits)) as i64 as i32
    }

    fn next_int(&mut self, bound: i32) -> i32 {
        if bound & (bound - 1) == 0 {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let value = bits % bound;
            if bits.wrapping_sub(value).wrapping_add(bound - 1) >= 0 {
                return value;
            }
        }
    }
}

/// Kafka's `AdminUtils.assignReplicasToBrokersRackUnaware` (server-common/.../AdminUtils.java):
/// first replicas round-robin from a random start, followers at an increasing shift.
fn kafka_assignment(brokers: &[i32], partitions: usize, rf: usize, random: &mut JavaRandom) -> Vec<Vec<i32>> {
    let n = brokers.len();
    let start = random.next_int(n as i32) as usize;
    let mut shift = random.next_int(n as i32) as usize;
    (0..partitions)
        .map(|p| {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            let first = (p + start) % n;
            let mut replicas = vec![brokers[first]];
            for j in 0..rf - 1 {
                let offset = 1 + (shift + j) % (n - 1);
                replicas.push(brokers[(first + offset) % n]);
            }
            replicas
        })
        .collect()
}

/// Topics as (count, partitions, RF).
type TopicMix = [(usize, usize, usize)];

/// The big mix: 392 topics, 496,000 partitions, 1,000,000 replicas.
const BIG_MIX: &TopicMix = &[(20, 6000, 3), (60, 2400, 2), (200, 600, 2), (112, 1000, 1)];

/// A smaller mix for the small shapes: 24 topics, RF 1-3.
const SMALL_MIX: &TopicMix = &[(6, 12, 3), (6, 24, 2), (6, 60, 1), (3, 48, 3), (3, 30, 2)];

fn cluster(old: &[i32], mix: &TopicMix, sized: bool, seed: u64) -> Vec<Partition> {
    let mut random = JavaRandom::new(seed);
    let mut size_random = JavaRandom::new(seed ^ 0xABCD);
    let mut partitions = Vec::new();
    let mut topic = 0;
    for &(count, per_topic, rf) in mix {
        for _ in 0..count {
            let name = format!("kf_topic_{topic:04}");
            topic += 1;
            for (p, replicas) in kafka_assignment(old, per_topic, rf, &mut random)
                .into_iter()
                .enumerate()
            {
                // Log-uniform from 1 KiB to 64 GiB.
                let exponent = 10.0 + 26.0 * f64::from(size_random.next(24)) / f64::from(1 << 24);
                partitions.push(Partition {
                    topic: name.clone(),
                    partition: p as i32,
                    replicas,
                    replication_factor: rf,
                    size_bytes: sized.then(|| 2f64.powf(exponent) as u64),
                });
            }
        }
    }
    partitions
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    partitions: Vec<FilePartition<'a>>,
}

#[derive(Serialize)]
struct FilePartition<'a> {
    topic: &'a str,
    partition: i32,
    replicas: &'a [i32],
    #[serde(skip_serializing_if = "Option::is_none")]
    size_bytes: Option<u64>,
}

fn to_json(partitions: &[Partition]) -> Vec<u8> {
    let file = FileOut {
        version: 1,
        partitions: partitions
            .iter()
            .map(|p| FilePartition {
                topic: &p.topic,
                partition: p.partition,
                replicas: &p.replicas,
                size_bytes: p.size_bytes,
            })
            .collect(),
    };
    serde_json::to_vec(&file).expect("serializable")
}

fn replicas_of(partitions: &[Partition]) -> usize {
    partitions.iter().map(|p| p.replicas.len()).sum()
}

// --- the big benchmark ---------------------------------------------------------------------------

fn big_benchmark() {
    let all: Vec<i32> = (1001..=1300).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("current.json");
    // A child writes the input: the peak RSS that wait4 reports for a child can include the
    // peak of the process that spawned it (vfork shares its memory until exec), so this process
    // stays small until the child measurements are done.
    let status = Command::new(std::env::current_exe().expect("bench binary"))
        .env(CHILD_MODE, "generate")
        .arg(&path)
        .status()
        .expect("spawn the generator");
    assert!(status.success(), "generator failed");
    let file_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let brokers_arg = all.iter().map(i32::to_string).collect::<Vec<_>>().join(",");

    let kafka_balance_child = median_child(|| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
        command
            .args(["kafka-balance", "--assignment"])
            .arg(&path)
            .args(["--brokers", &brokers_arg]);
        command
    });
    let parse_child = median_child(|| {
        let mut command = Command::new(std::env::current_exe().expect("bench binary"));
        command.env(CHILD_MODE, "parse").arg(&path);
        command
    });

    let parse_serialize = median(|| {
        let text = std::fs::read_to_string(&path).expect("read");
        let parsed = parse_assignment(&text).expect("parse");
        let out = to_json(&parsed);
        std::hint::black_box(out.len());
    });
    let request = BalanceRequest {
        partitions: parse_assignment(&std::fs::read_to_string(&path).expect("read")).expect("parse"),
        brokers: brokers_with_racks(&all, &[]).expect("brokers"),
    };
    let balance_only = median(|| {
        std::hint::black_box(balance(&request).expect("balance").replicas_moved);
    });
    let full_path = median(|| {
        let text = std::fs::read_to_string(&path).expect("read");
        let partitions = parse_assignment(&text).expect("parse");
        let request = BalanceRequest {
            partitions,
            brokers: brokers_with_racks(&all, &[]).expect("brokers"),
        };
        let result = balance(&request).expect("balance");
        let mut out = Vec::new();
        write_reassignment(&result, &mut out).expect("render");
        std::hint::black_box((out.len(), render_summary(&result).len()));
    });
    let result = balance(&request).expect("balance");
    println!(
        "\n## 200 -> 300 brokers, {} partitions, {} replicas, input {:.1} MiB\n",
        request.partitions.len(),
        replicas_of(&request.partitions),
        file_size as f64 / (1 << 20) as f64
    );

    let racks: Vec<String> = all.iter().map(|b| format!("{b}=az-{}", b % 3)).collect();
    let racked = BalanceRequest {
        partitions: request.partitions.clone(),
        brokers: brokers_with_racks(&all, &racks).expect("racks"),
    };
    let racked_result = balance(&racked).expect("balance with racks");
    let racked_time = median(|| {
        std::hint::black_box(balance(&racked).expect("balance").replicas_moved);
    });

    println!("| measurement                              | wall time | CPU time | peak RSS |");
    println!("|------------------------------------------|-----------|----------|----------|");
    let row = |name: &str, sample: Sample| {
        let rss = if sample.peak_rss_kib > 0 {
            format!("{} MiB", sample.peak_rss_kib / 1024)
        } else {
            String::new()
        };
        println!(
            "| {name:<40} | {:>9} | {:>8} | {rss:>8} |",
            ms(sample.wall),
            ms(sample.cpu)
        );
    };
    row("parse + re-serialize (in process)", parse_serialize);
    row("kafka-balance path (in process)", full_path);
    row("balance alone", balance_only);
    row("balance alone, 3 racks", racked_time);
    row("child: parse + re-serialize", parse_child);
    row("child: `kfscale kafka-balance`", kafka_balance_child);
    println!(
        "\nCPU time: balance alone / parse + re-serialize = {:.2}, kafka-balance child / parse child = {:.2}",
        balance_only.cpu.as_secs_f64() / parse_serialize.cpu.as_secs_f64(),
        kafka_balance_child.cpu.as_secs_f64() / parse_child.cpu.as_secs_f64()
    );
    let total_bytes: u64 = request
        .partitions
        .iter()
        .map(|p| p.size_bytes.unwrap_or(0) * p.replicas.len() as u64)
        .sum();
    println!(
        "no racks: moved {} replicas (lower bound {}, count optimum {}), {} leaders changed, {} reorder-only, bytes {} of {}",
        result.replicas_moved,
        result.lower_bound,
        result.count_optimum,
        result.leaders_changed,
        result.reorder_only,
        kfscale::values::quantity::human_bytes(result.bytes_moved),
        kfscale::values::quantity::human_bytes(total_bytes)
    );
    println!(
        "3 racks:  moved {} replicas (lower bound {}, count optimum {}), {} partitions rack-fixed, balanced {}",
        racked_result.replicas_moved,
        racked_result.lower_bound,
        racked_result.count_optimum,
        racked_result.rack_fixes,
        racked_result.replicas_balanced && racked_result.leaders_balanced
    );
}

/// Child modes: `generate` writes the big input; `parse` parses and re-serializes it (the cost
/// of merely reading the input).
fn child(mode: &str, path: &str) {
    match mode {
        "generate" => {
            let old: Vec<i32> = (1001..=1200).collect();
            let partitions = cluster(&old, BIG_MIX, true, 42);
            std::fs::write(path, to_json(&partitions)).expect("write input");
        }
        "parse" => {
            let text = std::fs::read_to_string(path).expect("read");
            let parsed = parse_assignment(&text).expect("parse");
            let out = to_json(&parsed);
            std::io::stdout().write_all(&out).expect("write");
        }
        other => panic!("unknown child mode {other}"),
    }
}

/// Median wall and CPU time of some runs, and the peak RSS (children only).
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

fn median_of(mut samples: Vec<Sample>) -> Sample {
    let peak_rss_kib = samples.iter().map(|s| s.peak_rss_kib).max().unwrap_or(0);
    samples.sort_by_key(|s| s.wall);
    let wall = samples[samples.len() / 2].wall;
    samples.sort_by_key(|s| s.cpu);
    Sample {
        wall,
        cpu: samples[samples.len() / 2].cpu,
        peak_rss_kib,
    }
}

/// User plus system time of this thread (CPU time is what another engineer's compile on the
/// same two cores disturbs least).
fn thread_cpu() -> Duration {
    // SAFETY: rusage is plain old data that getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    cpu_of(&usage)
}

fn cpu_of(usage: &libc::rusage) -> Duration {
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

fn median(mut run: impl FnMut()) -> Sample {
    let samples = (0..RUNS)
        .map(|_| {
            let (start, cpu) = (Instant::now(), thread_cpu());
            run();
            Sample {
                wall: start.elapsed(),
                cpu: thread_cpu() - cpu,
                peak_rss_kib: 0,
            }
        })
        .collect();
    median_of(samples)
}

/// Median wall and CPU time and the peak RSS of a child process, from `wait4`.
// `wait4` reaps each child itself (std's `wait` cannot report its rusage).
#[allow(clippy::zombie_processes)]
fn median_child(make: impl Fn() -> Command) -> Sample {
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let child = make()
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            let (status, usage) = wait_with_rusage(child.id());
            let wall = start.elapsed();
            assert_eq!(status, 0, "child failed");
            Sample {
                wall,
                cpu: cpu_of(&usage),
                peak_rss_kib: usage.ru_maxrss as u64,
            }
        })
        .collect();
    median_of(samples)
}

/// Waits for one child and returns its exit status and resource usage.
fn wait_with_rusage(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for the child we spawned and still own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid as libc::pid_t, "wait4");
    (libc::WEXITSTATUS(status), usage)
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

// --- the --generate baseline ---------------------------------------------------------------------

/// Replicas on a broker that did not hold them.
fn moves(before: &[Partition], after: &BTreeMap<(&str, i32), Vec<i32>>) -> usize {
    before
        .iter()
        .map(|p| {
            after[&(p.topic.as_str(), p.partition)]
                .iter()
                .filter(|b| !p.replicas.contains(b))
                .count()
        })
        .sum()
}

/// `--generate` on every topic: AdminUtils placement over the target brokers, ignoring the
/// current assignment.
fn generate<'a>(partitions: &'a [Partition], target: &[i32], seed: u64) -> BTreeMap<(&'a str, i32), Vec<i32>> {
    let mut random = JavaRandom::new(seed);
    let mut by_topic: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in partitions {
        let entry = by_topic.entry(&p.topic).or_insert((0, p.replicas.len()));
        entry.0 += 1;
    }
    let mut proposal = BTreeMap::new();
    for (topic, (count, rf)) in by_topic {
        for (p, replicas) in kafka_assignment(target, count, rf, &mut random).into_iter().enumerate() {
            proposal.insert((topic, p as i32), replicas);
        }
    }
    proposal
}

fn baseline_table() {
    println!("\n## Replicas moved: kfscale vs kafka-reassign-partitions --generate\n");
    println!(
        "| shape      | replicas | lower bound    | kfscale moved  | --generate moved (5 seeds) | kfscale / --generate |"
    );
    println!(
        "|------------|----------|----------------|----------------|----------------------------|----------------------|"
    );
    let shapes: [(usize, usize, &TopicMix); 5] = [
        (3, 4, SMALL_MIX),
        (3, 6, SMALL_MIX),
        (6, 9, SMALL_MIX),
        (4, 6, SMALL_MIX),
        (200, 300, BIG_MIX),
    ];
    for (old_count, new_count, mix) in shapes {
        let old: Vec<i32> = (1..=old_count as i32).collect();
        let target: Vec<i32> = (1..=new_count as i32).collect();
        let partitions = cluster(&old, mix, false, 7);
        let request = BalanceRequest {
            partitions: partitions.clone(),
            brokers: brokers_with_racks(&target, &[]).expect("brokers"),
        };
        let result = balance(&request).expect("balance");
        let seeds = 5;
        let generated: usize = (0..seeds)
            .map(|seed| moves(&partitions, &generate(&partitions, &target, 1000 + seed)))
            .sum::<usize>()
            / seeds as usize;
        let replicas = replicas_of(&partitions);
        let share = |moved: usize| format!("{moved} ({:.0}%)", 100.0 * moved as f64 / replicas as f64);
        println!(
            "| {:>3} -> {:<4}| {:>8} | {:>14} | {:>14} | {:>26} | {:>20.2} |",
            old_count,
            new_count,
            replicas,
            share(result.lower_bound),
            share(result.replicas_moved),
            share(generated),
            result.replicas_moved as f64 / generated as f64
        );
    }
}
