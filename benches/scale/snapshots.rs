//! Large snapshots for the planner benchmarks, generated (deterministic, seeded) from the bundled
//! EKS example: `nodes` nodes, as many KRaft brokers, the Kloudfuse topics grown to `partitions`
//! partitions of replication factor `rf` with sizes from 100 MB to 50 GB, and a values file that
//! says so (node count, broker count, topic partitions), so the plan is the one a customer of
//! that size would get. Too big to commit (900k partitions is about 100 MB of JSON).
use kfscale::snapshot::{
    KafkaBroker, KafkaPartition, KafkaTopic, Node, PersistentVolumeClaim, Snapshot, parse_snapshot,
};
use kfscale::values::{Document, ScalarEdit, ValuePath, apply_edits};

use super::sizes::skewed_size;

const EXAMPLE: &str = include_str!("../../examples/snapshots/eks-kraft-6-nodes.json");
/// The values file's topic list (`kafkaTopics`), in its order.
const TOPICS: &[&str] = &[
    "logs_ingest_topic",
    "kf_logs_topic",
    "kf_logs_metric_topic",
    "kf_metrics_topic",
    "kf_metrics_rollup_topic",
    "kf_traces_topic",
    "kf_traces_errors_topic",
    "kf_traces_metric_topic",
    "kf_events_topic",
];
const BROKER_ID_BASE: i32 = 100;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub nodes: u32,
    pub partitions: u32,
    pub rf: usize,
    pub seed: u64,
}

pub fn big_snapshot(shape: Shape) -> Snapshot {
    let mut snapshot = parse_snapshot("example", EXAMPLE).expect("the bundled example parses");
    let mut rng = fastrand::Rng::with_seed(shape.seed);
    let brokers: Vec<i32> = (0..shape.nodes as i32).map(|i| BROKER_ID_BASE + i).collect();
    let per_topic = shape.partitions / TOPICS.len() as u32;
    let template_node = snapshot.kubernetes.nodes[0].clone();
    snapshot.kubernetes.nodes = (0..shape.nodes)
        .map(|i| Node {
            name: format!("ip-10-{}-{}-{}.ec2.internal", i / 65536, (i / 256) % 256, i % 256),
            ..template_node.clone()
        })
        .collect();
    if let kfscale::snapshot::NodePool::Eks(group) = &mut snapshot.node_pool {
        group.desired_size = shape.nodes;
        group.max_size = shape.nodes;
    }
    let template_pvc = snapshot.kubernetes.pvcs[0].clone();
    snapshot
        .kubernetes
        .pvcs
        .retain(|pvc| !pvc.name.starts_with("data-kafka-kraft-broker-"));
    snapshot
        .kubernetes
        .pvcs
        .extend((0..shape.nodes).map(|i| PersistentVolumeClaim {
            name: format!("data-kafka-kraft-broker-{i}"),
            ..template_pvc.clone()
        }));
    for workload in &mut snapshot.kubernetes.workloads {
        if workload.name == "kafka-kraft-broker" {
            workload.replicas = shape.nodes;
            workload.ready_replicas = shape.nodes;
            workload.updated_replicas = shape.nodes;
            workload.pods_per_node = snapshot
                .kubernetes
                .nodes
                .iter()
                .map(|node| (node.name.clone(), 1))
                .collect();
        }
    }
    let template_broker = snapshot.kafka.brokers[0].clone();
    snapshot.kafka.brokers = brokers
        .iter()
        .map(|&id| KafkaBroker {
            id,
            host: format!(
                "kafka-kraft-broker-{}.kafka-kraft-broker-headless.kfuse.svc.cluster.local",
                id - BROKER_ID_BASE
            ),
            pod: None,
            ..template_broker.clone()
        })
        .collect();
    let internal: Vec<KafkaTopic> = snapshot.kafka.topics.iter().filter(|t| t.internal).cloned().collect();
    snapshot.kafka.topics = TOPICS
        .iter()
        .enumerate()
        .map(|(t, name)| KafkaTopic {
            name: (*name).to_string(),
            internal: false,
            partitions: (0..per_topic as usize)
                .map(|p| {
                    let first = (t * 7 + p) % brokers.len();
                    let replicas: Vec<i32> = (0..shape.rf).map(|r| brokers[(first + r) % brokers.len()]).collect();
                    KafkaPartition {
                        partition: p as i32,
                        leader: replicas[0],
                        isr: replicas.clone(),
                        replicas,
                        size_bytes: Some(skewed_size(&mut rng)),
                    }
                })
                .collect(),
        })
        .chain(internal)
        .collect();
    for group in &mut snapshot.kafka.consumer_groups {
        group.partitions.clear();
    }
    let text = edited_values(&snapshot.values.text, shape.nodes, per_topic, shape.rf);
    let document = Document::parse(&snapshot.values.path, &text).expect("edited values parse");
    let mut user_values = kfscale::values::json::to_json(&document);
    kfscale::values::secrets::redact_json(&mut user_values);
    snapshot.helm.user_values = user_values;
    snapshot.values.sha256 = kfscale::snapshot::sha256_hex(text.as_bytes());
    snapshot.values.text = text;
    snapshot
}

/// The example's values with the node count, the broker count and every topic's partitions and
/// replication factor of this shape.
fn edited_values(text: &str, nodes: u32, per_topic: u32, rf: usize) -> String {
    let document = Document::parse("values", text).expect("the example's values parse");
    let edit = |path: &str, value: String| ScalarEdit {
        path: ValuePath::parse(path).expect("a valid path"),
        new_value: value,
    };
    let mut edits = vec![
        edit("global.numNodes", nodes.to_string()),
        edit("kafka-kraft.broker.replicaCount", nodes.to_string()),
    ];
    for i in 0..TOPICS.len() {
        edits.push(edit(&format!("kafkaTopics[{i}].partitions"), per_topic.to_string()));
        edits.push(edit(&format!("kafkaTopics[{i}].replicationFactor"), rf.to_string()));
    }
    apply_edits(&document, text, &edits).expect("the example's values take the edits")
}
