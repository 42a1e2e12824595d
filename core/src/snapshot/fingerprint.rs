//! Per-system fingerprints of a snapshot. Each covers only the facts a plan depends on (not
//! consumer offsets, partition sizes or leaders, which move every second), so an apply can tell
//! "the world the plan was made for has changed" from ordinary traffic.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Snapshot;

/// One hex SHA-256 per observed system. (Fields in name order: the JSON keeps the order the plan
/// files of earlier versions have.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fingerprints {
    pub helm: String,
    pub kafka: String,
    pub kubernetes: String,
    pub node_pool: String,
    pub pinot: String,
    pub values: String,
}

impl Fingerprints {
    /// (system, fingerprint) for each system, in name order.
    pub fn systems(&self) -> [(&'static str, &str); 6] {
        [
            ("helm", &self.helm),
            ("kafka", &self.kafka),
            ("kubernetes", &self.kubernetes),
            ("node_pool", &self.node_pool),
            ("pinot", &self.pinot),
            ("values", &self.values),
        ]
    }

    /// The systems whose fingerprint differs in `now`.
    pub fn changed_in(&self, now: &Fingerprints) -> Vec<&'static str> {
        self.systems()
            .into_iter()
            .zip(now.systems())
            .filter(|((_, then), (_, now))| then != now)
            .map(|((system, _), _)| system)
            .collect()
    }
}

impl Snapshot {
    pub fn fingerprints(&self) -> Fingerprints {
        Fingerprints {
            helm: digest(&(
                &self.helm.chart,
                &self.helm.chart_version,
                self.helm.revision,
                &self.helm.status,
            )),
            kafka: digest(&self.kafka_facts()),
            kubernetes: digest(&self.kubernetes_facts()),
            node_pool: digest(&self.node_pool),
            pinot: digest(&self.pinot_facts()),
            values: self.values.sha256.clone(),
        }
    }

    fn kubernetes_facts(&self) -> impl Serialize + '_ {
        let k = &self.kubernetes;
        // Only the pool's own nodes: another pool growing or shrinking (an autoscaled application
        // pool) changes nothing the plan depends on, and must not make a reviewed plan stale.
        let pool = self.node_pool.pool_name();
        let nodes: Vec<_> = k
            .nodes
            .iter()
            .filter(|n| n.pool.as_deref() == Some(pool.as_str()))
            .map(|n| (&n.name, &n.pool, &n.zone))
            .collect();
        let workloads: Vec<_> = k.workloads.iter().map(|w| (w.kind, &w.name, w.replicas)).collect();
        (
            &k.namespace,
            nodes,
            workloads,
            &k.kfuse_version,
            &k.kraft_cluster_id_secret,
        )
    }

    fn kafka_facts(&self) -> impl Serialize + '_ {
        let kafka = &self.kafka;
        let brokers: Vec<_> = kafka.brokers.iter().map(|b| (b.id, &b.rack)).collect();
        let topics: Vec<_> = kafka
            .topics
            .iter()
            .map(|t| {
                (
                    &t.name,
                    t.partitions
                        .iter()
                        .map(|p| (p.partition, &p.replicas))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        (&kafka.cluster_id, brokers, topics, &kafka.reassignments)
    }

    fn pinot_facts(&self) -> impl Serialize + '_ {
        let pinot = &self.pinot;
        let tables: Vec<_> = pinot
            .tables
            .iter()
            .map(|t| (&t.name, &t.table_type, &t.server_tag, t.replication))
            .collect();
        let instances: Vec<_> = pinot
            .instances
            .iter()
            .map(|i| (&i.name, &i.instance_type, &i.tags, i.enabled))
            .collect();
        (tables, instances)
    }
}

pub fn digest<T: Serialize + ?Sized>(value: &T) -> String {
    // Streamed into the hash: the JSON of a big cluster's partitions is never held in memory.
    // Serializing plain data (no maps with non-string keys, no failing Serialize impls) cannot fail.
    let mut hasher = HashWriter(Sha256::new());
    let _ = serde_json::to_writer(&mut hasher, value);
    hex::encode(hasher.0.finalize())
}

struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use crate::snapshot::parse_snapshot;

    #[test]
    fn another_pools_nodes_do_not_move_the_kubernetes_fingerprint() {
        let text = include_str!("../../../examples/snapshots/eks-kraft-6-nodes.json");
        let snapshot = parse_snapshot("eks-kraft-6-nodes.json", text).unwrap();
        let before = snapshot.fingerprints().kubernetes;
        let mut other_pool = snapshot.clone();
        let mut node = other_pool.kubernetes.nodes[0].clone();
        node.name = "ip-10-9-9-9.ec2.internal".into();
        node.pool = Some("apps".into());
        other_pool.kubernetes.nodes.push(node.clone());
        assert_eq!(other_pool.fingerprints().kubernetes, before);
        let mut same_pool = snapshot.clone();
        node.pool = snapshot.kubernetes.nodes[0].pool.clone();
        same_pool.kubernetes.nodes.push(node);
        assert_ne!(same_pool.fingerprints().kubernetes, before);
    }
}
