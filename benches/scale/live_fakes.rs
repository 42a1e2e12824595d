//! The Kafka and Pinot of the `live` part: their seeds at a given size, and a child process of
//! this binary serving both (`serve-fakes`), so their memory is never counted in the measured
//! plan's peak (a vfork'd child's peak RSS may include its parent's). The child prints one JSON
//! line with its addresses; each line the parent writes on its stdin is answered with one JSON
//! line of the requests each fake received so far (Kafka by API, Pinot by endpoint); it exits when
//! its stdin closes.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use serde_json::{Value, json};

use super::child::self_command;

/// The chart's Kafka topics (tests/charts/values/kraft.yaml, Kloudfuse's) and, for six of them,
/// the Pinot REALTIME consumer group committing offsets on every partition.
pub const TOPICS: [(&str, Option<&str>); 9] = [
    ("logs_ingest_topic", None),
    ("kf_logs_topic", Some("kf_logs_REALTIME")),
    ("kf_logs_metric_topic", None),
    ("kf_metrics_topic", Some("kf_metrics_REALTIME")),
    ("kf_metrics_rollup_topic", Some("kf_metrics_rollup_REALTIME")),
    ("kf_traces_topic", Some("kf_traces_REALTIME")),
    ("kf_traces_errors_topic", Some("kf_traces_errors_REALTIME")),
    ("kf_traces_metric_topic", None),
    ("kf_events_topic", Some("kf_events_REALTIME")),
];

/// One world's size.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub brokers: u32,
    pub partitions: u32,
    pub replication_factor: u32,
    pub tables: u32,
    pub segments: u32,
    pub realtime_servers: u32,
    pub offline_servers: u32,
}

impl Size {
    /// Partitions of topic `index`: an even share, the remainder on the first ones.
    pub fn topic_partitions(&self, index: usize) -> u32 {
        let count = TOPICS.len() as u32;
        self.partitions / count + u32::from((index as u32) < self.partitions % count)
    }

    /// Stream partitions of each Pinot table, and completed segments per partition (one more is
    /// CONSUMING): tables x partitions x (completed + 1) = segments.
    fn table_layout(&self) -> (u32, u32) {
        let per_table = self.segments / self.tables;
        // 25 segments per stream partition: 24 committed, 1 consuming.
        let partitions = (per_table / 25).max(1);
        (partitions, (per_table / partitions).max(1) - 1)
    }
}

/// The Kafka fake's seed: `size.brokers` brokers from id 100 advertising the broker pods of
/// `namespace`, the chart's topics, `__consumer_offsets`, and the Pinot consumer groups.
pub fn kafka_seed(size: &Size, namespace: &str, cluster_id: &str) -> Value {
    let mut topics: Vec<Value> = TOPICS
        .iter()
        .enumerate()
        .map(|(index, (name, _))| {
            json!({"name": name, "partition_count": size.topic_partitions(index),
                   "replication_factor": size.replication_factor, "size_bytes": 2_147_483_648_u64,
                   "log_end_offset": 1_000_000, "produce_per_sec": 500})
        })
        .collect();
    topics.push(json!({"name": "__consumer_offsets", "partition_count": 50,
                       "replication_factor": size.replication_factor, "size_bytes": 1_048_576}));
    let groups: Vec<Value> = TOPICS
        .iter()
        .filter_map(|(topic, group)| Some(json!({"group_id": (*group)?, "offsets": [{"topic": topic, "lag": 2000}]})))
        .collect();
    json!({
        "cluster_id": cluster_id,
        "layout": "kraft",
        "settings": {"num_partitions": 12, "default_replication_factor": size.replication_factor,
                     "disk_bytes": 4_398_046_511_104_u64,
                     "pod_hosts": {"namespace": namespace, "statefulset": "kafka-kraft-broker", "id_base": 100}},
        "brokers": (0..size.brokers).map(|i| json!({"id": 100 + i})).collect::<Vec<_>>(),
        "topics": topics,
        "groups": groups,
    })
}

/// The Pinot fake's seed: the chart's Pinot pods in `namespace` and `size.tables` REALTIME tables
/// (Kloudfuse's six and more) holding `size.segments` segments between them.
pub fn pinot_seed(size: &Size, namespace: &str) -> Value {
    let pods =
        |set: &str, count: u32| -> Vec<Value> { (0..count).map(|i| json!({"pod": format!("{set}-{i}")})).collect() };
    let mut servers = pods("pinot-server-realtime", size.realtime_servers);
    servers.extend(pods("pinot-server-offline", size.offline_servers));
    let (partitions, completed) = size.table_layout();
    let names = TOPICS
        .iter()
        .filter_map(|(_, group)| group.map(|g| g.trim_end_matches("_REALTIME").to_string()))
        .chain((0..).map(|i| format!("kf_custom_{i:03}")));
    let tables: Vec<Value> = names
        .take(size.tables as usize)
        .map(|name| {
            json!({"name": name, "type": "REALTIME", "replication": 1, "partitions": partitions,
                   "completedSegmentsPerPartition": completed})
        })
        .collect();
    json!({
        "namespace": namespace,
        "controllers": pods("pinot-controller", 3),
        "brokers": pods("pinot-broker", 3),
        "servers": servers,
        "minions": pods("pinot-minion", 3),
        "tables": tables,
    })
}

/// The fakes' child process, serving the seeds written to `work`.
pub struct Fakes {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The child's addresses line: `kafka.brokers` (id -> host:port), `pinot.api`.
    pub addresses: Value,
}

/// Requests the fakes received, per system and operation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counts {
    pub kafka: BTreeMap<String, u64>,
    pub pinot: BTreeMap<String, u64>,
}

impl Counts {
    /// What arrived between `before` and `self`.
    pub fn since(&self, before: &Counts) -> Counts {
        let delta = |after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>| {
            after
                .iter()
                .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        Counts {
            kafka: delta(&self.kafka, &before.kafka),
            pinot: delta(&self.pinot, &before.pinot),
        }
    }
}

impl Fakes {
    pub fn start(kafka: &Value, pinot: &Value, work: &Path, name: &str) -> Fakes {
        let (kafka_path, pinot_path) = (
            work.join(format!("{name}-kafka.json")),
            work.join(format!("{name}-pinot.json")),
        );
        std::fs::write(&kafka_path, kafka.to_string()).expect("write the Kafka seed");
        std::fs::write(&pinot_path, pinot.to_string()).expect("write the Pinot seed");
        let mut child = self_command("serve-fakes")
            .arg(&kafka_path)
            .arg(&pinot_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the fakes' child");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("the child's stdout"));
        let addresses = read_line(&mut stdout).expect("the fakes' addresses line");
        Fakes {
            child,
            stdin,
            stdout,
            addresses,
        }
    }

    /// Requests received so far.
    pub fn counts(&mut self) -> Counts {
        let stdin = self.stdin.as_mut().expect("the child's stdin");
        writeln!(stdin, "counts")
            .and_then(|()| stdin.flush())
            .expect("ask the fakes");
        let line = read_line(&mut self.stdout).expect("the fakes' counts line");
        Counts {
            kafka: serde_json::from_value(line["kafka"].clone()).expect("Kafka counts"),
            pinot: serde_json::from_value(line["pinot"].clone()).expect("Pinot counts"),
        }
    }
}

impl Fakes {
    /// CPU seconds the fakes' process has used so far (`/proc/PID/stat` utime + stime): the share
    /// of a plan's wall time that is the fakes' work, which a real cluster spreads over its brokers
    /// and controllers.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        (ticks(11) + ticks(12)) / per_second
    }
}

impl Drop for Fakes {
    fn drop(&mut self) {
        // A closed stdin ends the child.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn read_line(reader: &mut impl BufRead) -> Option<Value> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    serde_json::from_str(&line).ok()
}

/// The child's side: serves both fakes until stdin closes.
pub fn serve(kafka_seed: &Path, pinot_seed: &Path) {
    crate::block_on(async {
        let kafka_text = std::fs::read_to_string(kafka_seed).expect("the Kafka seed");
        let seed = kfscale_fakes::kafka::seed::Seed::from_json(&kafka_text).expect("a valid Kafka seed");
        // Frozen clocks: every observation sees the same world.
        let clock = kfscale_fakes::clock::ModelClock::new(0.0);
        let kafka = kfscale_fakes::kafka::FakeKafka::start(seed, clock.clone())
            .await
            .expect("the Kafka fake starts");
        let pinot_text = std::fs::read_to_string(pinot_seed).expect("the Pinot seed");
        let seed: kfscale_fakes::pinot::Seed = serde_json::from_str(&pinot_text).expect("a valid Pinot seed");
        let pinot = kfscale_fakes::pinot::PinotFake::start(&seed, 0, clock)
            .await
            .expect("the Pinot fake starts");
        let brokers: BTreeMap<String, String> = kafka
            .broker_addrs()
            .into_iter()
            .map(|(id, addr)| (id.to_string(), addr.to_string()))
            .collect();
        println!(
            "{}",
            json!({"kafka": {"brokers": brokers}, "pinot": {"api": pinot.api_url()}})
        );
        // Each line asks for the counts; the loop ends when stdin closes.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                if line.is_err() || tx.send(()).is_err() {
                    break;
                }
            }
        });
        while rx.recv().await.is_some() {
            let mut pinot_counts: BTreeMap<String, u64> = BTreeMap::new();
            for request in pinot.requests() {
                *pinot_counts.entry(request.endpoint).or_default() += 1;
            }
            println!("{}", json!({"kafka": kafka.request_counts(), "pinot": pinot_counts}));
        }
    });
}
