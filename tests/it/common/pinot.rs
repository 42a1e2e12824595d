//! A Pinot fake for a test's own cluster: the chart's Pinot at 6 nodes (instance names of its pods
//! in the cluster's namespace) with the six Kloudfuse REALTIME tables.
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed, Timing};
use kfscale_pinot::{Pinot, TableType, Target};
use kfscale_rig::RigEnv;
use serde_json::{Value, json};

pub const TABLES: [&str; 6] = [
    "kf_events",
    "kf_logs",
    "kf_metrics",
    "kf_metrics_rollup",
    "kf_traces",
    "kf_traces_errors",
];
/// The test chart at 6 nodes: pinot.server.realtime/offline 6 each, controller, broker and minion 3.
pub const REALTIME_SERVERS: usize = 6;
pub const OFFLINE_SERVERS: usize = 6;
pub const PARTITIONS: u32 = 12;

/// The chart's Pinot at 6 nodes in `namespace`, with `timing` (the fake's defaults when None).
pub fn seed(namespace: &str, timing: Option<Timing>) -> Result<Seed> {
    let counts = PinotCounts {
        realtime: REALTIME_SERVERS,
        offline: OFFLINE_SERVERS,
        others: 3,
    };
    seed_with(namespace, counts, timing)
}

/// Pod counts of the chart's Pinot StatefulSets.
#[derive(Debug, Clone, Copy)]
pub struct PinotCounts {
    pub realtime: usize,
    pub offline: usize,
    /// Controllers, brokers and minions each (a quorum: 3 at any size).
    pub others: usize,
}

/// The chart's Pinot as installed in `namespace` (the StatefulSets' replica counts), for a cluster
/// of another size than 6 nodes.
pub async fn seed_from_cluster(rig: &RigEnv, namespace: &str, timing: Option<Timing>) -> Result<Seed> {
    let sets: kube::Api<k8s_openapi::api::apps::v1::StatefulSet> =
        kube::Api::namespaced(rig.kube_client().await?, namespace);
    let mut replicas = BTreeMap::new();
    for set in sets.list(&Default::default()).await? {
        let name = set.metadata.name.clone().unwrap_or_default();
        replicas.insert(name, set.spec.and_then(|s| s.replicas).unwrap_or(0) as usize);
    }
    let count = |name: &str| {
        replicas
            .get(name)
            .copied()
            .with_context(|| format!("no StatefulSet {name} in {namespace}"))
    };
    let counts = PinotCounts {
        realtime: count("pinot-server-realtime")?,
        offline: count("pinot-server-offline")?,
        others: count("pinot-controller")?,
    };
    seed_with(namespace, counts, timing)
}

fn seed_with(namespace: &str, counts: PinotCounts, timing: Option<Timing>) -> Result<Seed> {
    let pods =
        |set: &str, count: usize| -> Vec<Value> { (0..count).map(|i| json!({"pod": format!("{set}-{i}")})).collect() };
    let mut servers = pods("pinot-server-realtime", counts.realtime);
    servers.extend(pods("pinot-server-offline", counts.offline));
    let tables: Vec<Value> = TABLES
        .iter()
        .map(|name| {
            json!({"name": name, "type": "REALTIME", "replication": 1, "partitions": PARTITIONS,
                   "completedSegmentsPerPartition": 1})
        })
        .collect();
    let mut seed: Seed = serde_json::from_value(json!({
        "namespace": namespace,
        "controllers": pods("pinot-controller", counts.others),
        "brokers": pods("pinot-broker", counts.others),
        "servers": servers,
        "minions": pods("pinot-minion", counts.others),
        "tables": tables,
    }))?;
    if let Some(timing) = timing {
        seed.timing = timing;
    }
    Ok(seed)
}

pub struct PinotForCluster {
    pub fake: PinotFake,
    watch: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for PinotForCluster {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

/// A fake of `seed` with a running clock (`speed` model seconds per second) whose servers follow
/// the pinot-server pods of the seed's namespace: a new pod that turns Ready registers with its
/// tenant tag.
pub async fn pinot_for(rig: &RigEnv, seed: &Seed, speed: f64) -> Result<PinotForCluster> {
    let fake = PinotFake::start(seed, 0, ModelClock::new(speed)).await?;
    let watch = fake.watch_pods(rig.kube_client().await?, seed.namespace.clone());
    Ok(PinotForCluster { fake, watch })
}

impl PinotForCluster {
    /// The `pinot:` section of a kfscale.yaml that reaches this fake, plus `more` keys.
    pub fn config_section(&self, more: &str) -> String {
        format!(
            "pinot: {{url: \"{}\", timeout_seconds: 5{more}}}\n",
            self.fake.api_url()
        )
    }

    /// A client of the fake (kfscale's own provider) for assertions.
    pub async fn client(&self) -> Result<Pinot> {
        Ok(Pinot::connect(Target::Url(self.fake.api_url()), Duration::from_secs(10)).await?)
    }

    /// The fake's count of one mutation (`rebalance`, `cancelRebalance`).
    pub fn mutations(&self, endpoint: &str) -> u64 {
        self.fake.mutations().get(endpoint).copied().unwrap_or(0)
    }

    /// Requests received since the `from`th, by endpoint id.
    pub fn requests_since(&self, from: usize) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for request in &self.fake.requests()[from..] {
            *counts.entry(request.endpoint.clone()).or_default() += 1;
        }
        counts
    }

    /// (GOOD, not GOOD) segments of a REALTIME table, and the servers serving it.
    pub async fn table(&self, raw: &str) -> Result<(u32, u32, usize)> {
        let client = self.client().await?;
        let counts = client.segments_status(raw, TableType::Realtime).await?;
        let servers = client
            .external_view(raw)
            .await
            .context("external view")?
            .serving_instances(TableType::Realtime)
            .len();
        Ok((counts.good, counts.bad + counts.updating + counts.other, servers))
    }
}
