//! Shared by the live tests: a Kafka fake that plays the test cluster's brokers (broker 100+N while
//! pod kafka-kraft-broker-N is Ready, advertised under that pod's DNS name as the chart's brokers
//! are), under the cluster id the chart's Secret holds.
#![allow(dead_code)]

pub mod customer;
pub mod customer_proxies;
pub mod eks_proxy;
pub mod fake_faults;
pub mod fault_proxy;
pub mod faults;
pub mod git_http;
pub mod kube_proxy;
pub mod leftovers;
pub mod pinot;
pub mod pty;
pub mod review;

use std::path::Path;

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::Secret;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::seed::{PodHosts, Seed};
use kfscale_fakes::kafka::watcher::{self, WatchTarget};
use kfscale_rig::RigEnv;

const KRAFT_SEED: &str = "tests/fakes/seeds/kafka-kraft.json";

pub struct KafkaForCluster {
    pub fake: FakeKafka,
    /// The pod DNS names the brokers advertise.
    pub pods: PodHosts,
    watch: tokio::task::JoinHandle<()>,
}

/// Pod ordinals a test's clients can reach (a host-only `address_map` entry each).
const REACHABLE_ORDINALS: i32 = 32;

/// Advertised pod host -> 127.0.0.1 for the first [`REACHABLE_ORDINALS`] pods: the fake's brokers
/// listen on loopback, on the port they advertise.
pub fn address_map(pods: &PodHosts) -> std::collections::BTreeMap<String, String> {
    (0..REACHABLE_ORDINALS)
        .map(|ordinal| (pods.pod_host(ordinal), "127.0.0.1".to_string()))
        .collect()
}

/// A direct admin client of `fake` whose brokers advertise `pods` host names.
pub fn admin_of(fake: &FakeKafka, pods: &PodHosts) -> Result<kfscale_kafka::KafkaAdmin> {
    let bootstrap = fake
        .broker_addrs()
        .values()
        .take(3)
        .map(|a| kfscale_kafka::BrokerAddress::new(a.ip().to_string(), a.port()))
        .collect();
    let connector = std::sync::Arc::new(kfscale_kafka::DirectTcp::new(
        address_map(pods),
        std::time::Duration::from_secs(10),
    ));
    Ok(kfscale_kafka::KafkaAdmin::new(kfscale_kafka::AdminOptions::new(
        bootstrap, connector,
    ))?)
}

/// The `kafka:` section of a kfscale.yaml that reaches `fake` directly, its advertised pod hosts
/// mapped to loopback.
pub fn kafka_section_for(fake: &FakeKafka, pods: &PodHosts) -> String {
    let bootstrap: Vec<String> = fake
        .broker_addrs()
        .values()
        .take(3)
        .map(|a| format!("\"{a}\""))
        .collect();
    let map: Vec<String> = address_map(pods)
        .iter()
        .map(|(from, to)| format!("\"{from}\": \"{to}\""))
        .collect();
    format!(
        "kafka: {{bootstrap: [{}], address_map: {{{}}}, timeout_seconds: 10}}\n",
        bootstrap.join(", "),
        map.join(", ")
    )
}

impl Drop for KafkaForCluster {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

impl KafkaForCluster {
    /// How often each partition (`topic-partition`) was sent in an AlterPartitionReassignments the
    /// fake processed: a resumed apply must send each one once.
    pub fn reassignments_sent(&self) -> std::collections::BTreeMap<String, u64> {
        let shared = self.fake.shared();
        let mutations = shared.mutations.lock().unwrap_or_else(|p| p.into_inner());
        let mut sent = std::collections::BTreeMap::new();
        for entry in mutations
            .log()
            .iter()
            .filter(|e| e.api == "AlterPartitionReassignments" && e.processed)
        {
            if let Some(partitions) = entry.request["partitions"].as_object() {
                for key in partitions.keys() {
                    *sent.entry(key.clone()).or_default() += 1;
                }
            }
        }
        sent
    }

    /// The `kafka:` section of a kfscale.yaml that reaches this fake directly.
    pub fn config_section(&self) -> String {
        kafka_section_for(&self.fake, &self.pods)
    }

    /// A direct admin client of the fake, for checks.
    pub fn admin(&self) -> Result<kfscale_kafka::KafkaAdmin> {
        admin_of(&self.fake, &self.pods)
    }
}

/// Starts the fake with the chart's topics and follows the broker pods of `namespace`; its model
/// clock is frozen, so two observations see the same world.
pub async fn kafka_for(rig: &RigEnv, namespace: &str) -> Result<KafkaForCluster> {
    kafka_for_with_clock(rig, namespace, ModelClock::new(0.0)).await
}

/// As [`kafka_for`], on `clock` (a running clock lets replicas copy and offsets move).
pub async fn kafka_for_with_clock(rig: &RigEnv, namespace: &str, clock: ModelClock) -> Result<KafkaForCluster> {
    kafka_for_seeded(rig, namespace, clock, 0, 0).await
}

/// As [`kafka_for_with_clock`], the topics placed on the seed's first `brokers` brokers (ids from
/// 100; 0: all six) with `replication_factor` replicas each (0: the seed's).
pub async fn kafka_for_seeded(
    rig: &RigEnv,
    namespace: &str,
    clock: ModelClock,
    brokers: usize,
    replication_factor: i16,
) -> Result<KafkaForCluster> {
    kafka_for_edited_seed(rig, namespace, clock, |seed| {
        if brokers > 0 {
            seed.brokers.truncate(brokers);
        }
        if replication_factor > 0 {
            for topic in &mut seed.topics {
                topic.replication_factor = Some(replication_factor);
            }
        }
    })
    .await
}

/// As [`kafka_for_with_clock`], the chart's seed changed by `edit` first (more partitions, other
/// brokers) before the cluster id and the pod hosts are set.
pub async fn kafka_for_edited_seed(
    rig: &RigEnv,
    namespace: &str,
    clock: ModelClock,
    edit: impl FnOnce(&mut Seed),
) -> Result<KafkaForCluster> {
    let client = rig.kube_client().await?;
    let id = chart_cluster_id(&client, namespace).await?;
    let mut seed = Seed::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(KRAFT_SEED))?;
    edit(&mut seed);
    seed.cluster_id = id;
    let pods = PodHosts {
        namespace: namespace.to_string(),
        statefulset: "kafka-kraft-broker".into(),
        id_base: 100,
        domain: "cluster.local".into(),
    };
    seed.settings.pod_hosts = Some(pods.clone());
    let fake = FakeKafka::start(seed, clock).await?;
    let target = WatchTarget {
        namespace: namespace.to_string(),
        statefulset: "kafka-kraft-broker".into(),
        id_base: 100,
        rack_from_node_zone: false,
    };
    let shared = fake.shared();
    let watch = tokio::spawn(async move {
        let _ = watcher::run(shared, client, target).await;
    });
    Ok(KafkaForCluster { fake, pods, watch })
}

/// The KRaft cluster id the chart generated at install (Secret `kafka-kraft-kraft-cluster-id`).
pub async fn chart_cluster_id(client: &kube::Client, namespace: &str) -> Result<String> {
    let secret = kube::Api::<Secret>::namespaced(client.clone(), namespace)
        .get("kafka-kraft-kraft-cluster-id")
        .await
        .context("the chart's cluster-id Secret")?;
    let id = secret
        .data
        .and_then(|d| d.get("kraft-cluster-id").cloned())
        .context("the chart's cluster-id Secret has no kraft-cluster-id")?;
    Ok(String::from_utf8(id.0)?)
}

/// Asserts the planner is pure: the plan from `snapshot` and the live plan (both with
/// `plan_args`) are the same bytes, but for the checks only a live cluster can run (the Helm
/// pre-flight, which must have passed). The rig's world may move between two observations (a pod
/// turning Ready late under load); then the fingerprints differ, and the snapshot is taken again
/// (up to 3 times). The same fingerprints with different bytes fail at once. Returns the live
/// plan's JSON text (the `plan` of the document `plan --json` prints).
pub async fn assert_planner_pure(
    kfscale: impl Fn(&[&str]) -> std::process::Output,
    config: &str,
    snapshot: &Path,
    plan_args: &[&str],
) -> Result<String> {
    let snapshot_arg = snapshot.to_str().context("snapshot path")?;
    let run = |args: &[&str]| -> Result<String> {
        let output = kfscale(args);
        anyhow::ensure!(
            output.status.success(),
            "kfscale {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8(output.stdout)?)
    };
    let with = |base: &[&'static str], extra: &[&str]| -> Vec<String> {
        base.iter()
            .map(|s| s.to_string())
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    for attempt in 1..=3 {
        if attempt > 1 {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            run(&["snapshot", "--config", config, "-o", snapshot_arg])?;
        }
        let from_file_args = with(
            &["plan", "--json", "--snapshot"],
            &[&[snapshot_arg, "--config", config], plan_args].concat(),
        );
        let live_args = with(&["plan", "--json", "--config"], &[&[config], plan_args].concat());
        let from_file = plan_text(&run(&from_file_args.iter().map(String::as_str).collect::<Vec<_>>())?)?;
        let live = plan_text(&run(&live_args.iter().map(String::as_str).collect::<Vec<_>>())?)?;
        let fingerprints = |text: &str| -> Result<serde_json::Value> {
            Ok(serde_json::from_str::<serde_json::Value>(text)?["fingerprints"].clone())
        };
        if fingerprints(&from_file)? != fingerprints(&live)? && attempt < 3 {
            continue;
        }
        let (from_file, live) = (pretty(&from_file)?, pretty(&without_live_only_checks(&live)?)?);
        let diff = similar::TextDiff::from_lines(&from_file, &live)
            .unified_diff()
            .context_radius(3)
            .to_string();
        anyhow::ensure!(
            diff.is_empty(),
            "the planner is pure: the same world gives the same bytes, but (attempt {attempt}):\n{diff}"
        );
        return Ok(live);
    }
    unreachable!("the third attempt returns or fails")
}

/// The plan inside the plan document `plan --json` prints.
pub fn plan_of(stdout: &[u8]) -> Result<serde_json::Value> {
    let document: serde_json::Value = serde_json::from_slice(stdout)?;
    anyhow::ensure!(document["kind"] == "kfscale-plan", "not a plan document: {document}");
    Ok(document["plan"].clone())
}

/// The plan inside the plan document `plan --json` printed, as JSON text.
pub fn plan_text(stdout: &str) -> Result<String> {
    Ok(plan_of(stdout.as_bytes())?.to_string())
}

/// The live plan's JSON without the `helm-preflight` pre-check, which must be there and passed.
pub fn without_live_only_checks(live: &str) -> Result<String> {
    let mut plan: serde_json::Value = serde_json::from_str(live)?;
    let checks = plan["prechecks"].as_array_mut().context("no prechecks")?;
    let preflight = checks
        .iter()
        .position(|check| check["id"] == "helm-preflight")
        .context("the live plan has no helm-preflight pre-check")?;
    let check = checks.remove(preflight);
    anyhow::ensure!(check["status"] == "pass", "the Helm pre-flight did not pass: {check}");
    Ok(plan.to_string())
}

/// JSON text re-printed one way, so two plans compare line by line.
pub fn pretty(text: &str) -> Result<String> {
    Ok(serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(text)?)? + "\n")
}
