//! Per-system fingerprints of a snapshot. Each covers only the facts a plan depends on (not
//! consumer offsets, partition sizes or leaders, which move every second), so an apply can tell
//! "the world the plan was made for has changed" from ordinary traffic.
use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Snapshot;

/// System name -> hex SHA-256. Systems: node_pool, kubernetes, helm, values, kafka, pinot.
pub type Fingerprints = BTreeMap<String, String>;

impl Snapshot {
    pub fn fingerprints(&self) -> Fingerprints {
        let mut out = Fingerprints::new();
        out.insert("node_pool".into(), digest(&self.node_pool));
        out.insert("kubernetes".into(), digest(&self.kubernetes_facts()));
        out.insert(
            "helm".into(),
            digest(&(
                &self.helm.chart,
                &self.helm.chart_version,
                self.helm.revision,
                &self.helm.status,
            )),
        );
        out.insert("values".into(), self.values.sha256.clone());
        out.insert("kafka".into(), digest(&self.kafka_facts()));
        out.insert("pinot".into(), digest(&self.pinot_facts()));
        out
    }

    fn kubernetes_facts(&self) -> impl Serialize + '_ {
        let k = &self.kubernetes;
        let nodes: Vec<_> = k.nodes.iter().map(|n| (&n.name, &n.pool, &n.zone)).collect();
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
    // Serializing plain data (no maps with non-string keys, no failing Serialize impls) cannot fail.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    sha256_hex(&bytes)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
