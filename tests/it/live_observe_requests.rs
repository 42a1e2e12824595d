//! What a live observation asks each system, counted where the requests arrive: the Kafka fake
//! (per API), the Pinot fake (per endpoint), a proxy in front of the Kubernetes API server and one
//! in front of moto (per operation). One cluster (same brokers, Pinot tables and servers, nodes) is
//! observed twice by `kfscale snapshot`: once with its Kafka topics and Pinot tables as the chart
//! makes them, once with five times the partitions (and the consumer groups' committed offsets on
//! all of them) and more than five times the segments. The requests must be the same, API by API:
//! observation asks per broker, table or instance, never per partition or per segment (issue #18,
//! item 2; `benches/scale/live.rs` measures it at 300 brokers and 150k partitions).
use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::Seed as PinotSeed;
use kfscale_rig::RigEnv;

use crate::common::customer::{CustomerSpec, succeeded};
use crate::common::customer_proxies::customer_through_kube_proxy_with;
use crate::common::eks_proxy::EksProxy;
use crate::common::pinot::{PinotForCluster, pinot_for, seed_from_cluster};
use crate::common::{KafkaForCluster, kafka_for_edited_seed};

/// How much the second world grows its partitions (Kafka) and segments (Pinot).
const GROWTH: i32 = 5;

/// Requests one observation sent, per system, by operation.
#[derive(Debug, PartialEq)]
struct Requests {
    kafka: BTreeMap<String, u64>,
    pinot: BTreeMap<String, u64>,
    kube: BTreeMap<String, u64>,
    eks: BTreeMap<String, u64>,
}

/// What the snapshot saw: (partitions of the customer's topics, committed group offsets, Pinot
/// segments).
fn sizes(snapshot: &serde_json::Value) -> (usize, usize, u64) {
    let partitions = snapshot["kafka"]["topics"]
        .as_array()
        .map(|topics| {
            topics
                .iter()
                .filter(|t| !t["name"].as_str().unwrap_or_default().starts_with("__"))
                .map(|t| t["partitions"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    let committed = snapshot["kafka"]["consumer_groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| g["partitions"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    let segments = snapshot["pinot"]["tables"]
        .as_array()
        .map(|tables| {
            tables
                .iter()
                .map(|t| {
                    let s = &t["segments"];
                    s["good"].as_u64().unwrap_or(0)
                        + s["bad"].as_u64().unwrap_or(0)
                        + s["updating"].as_u64().unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0);
    (partitions, committed, segments)
}

fn by_op<'a>(ops: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for op in ops {
        *counts.entry(op.to_string()).or_default() += 1;
    }
    counts
}

fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(api, n)| (api.clone(), n - before.get(api).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The chart's Pinot tables with `growth` times the stream partitions and `completed` segments
/// committed per partition.
fn pinot_seed(base: &PinotSeed, growth: u32, completed: u32) -> PinotSeed {
    let mut seed = base.clone();
    for table in &mut seed.tables {
        table.partitions *= growth;
        table.completed_segments_per_partition = completed;
    }
    seed
}

#[tokio::test(flavor = "multi_thread")]
async fn observation_asks_per_broker_and_table_never_per_partition_or_segment() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let eks = EksProxy::start(&rig).await?;
    let spec = CustomerSpec {
        eks_endpoint: Some(eks.url()),
        // Kloudfuse's replication factor: partitions on two brokers each.
        kafka_replication_factor: 2,
        ..CustomerSpec::default()
    };
    let (customer, kube) = customer_through_kube_proxy_with(CustomerSpec {
        prefix: "obs-requests",
        ..spec
    })
    .await?;
    let namespace = customer.cluster.id.clone();
    let large_kafka = kafka_for_edited_seed(&rig, &namespace, ModelClock::new(0.0), |seed| {
        // The customer's topics grow; `__consumer_offsets` is Kafka's (`offsets.topic.num.partitions`),
        // and its partitions decide the groups' coordinators, which OffsetFetch is batched by.
        for topic in seed.topics.iter_mut().filter(|t| !t.name.starts_with("__")) {
            topic.partition_count = topic.partition_count.map(|n| n * GROWTH);
        }
        for topic in &mut seed.topics {
            topic.replication_factor = Some(2);
        }
    })
    .await?;
    let chart_pinot = seed_from_cluster(&rig, &namespace, None).await?;
    let small_pinot = pinot_for(&rig, &pinot_seed(&chart_pinot, 1, 1), 0.0).await?;
    let large_pinot = pinot_for(&rig, &pinot_seed(&chart_pinot, GROWTH as u32, 2), 0.0).await?;
    // kfscale.yaml as the customer's setup wrote it (through both proxies), with the small Kafka.
    let base_config = std::fs::read_to_string(&customer.config)?;
    let small_kafka_section = customer.kafka.config_section();
    ensure!(base_config.contains(&small_kafka_section), "{base_config}");

    let observe =
        |kafka: &KafkaForCluster, pinot: &PinotForCluster, name: &str| -> Result<(Requests, serde_json::Value)> {
            let config =
                base_config.replacen(&small_kafka_section, &kafka.config_section(), 1) + &pinot.config_section("");
            std::fs::write(&customer.config, config)?;
            let (kafka_before, pinot_before) = (kafka.fake.request_counts(), pinot.fake.requests().len());
            let (kube_before, eks_before) = (kube.requests().len(), eks.requests().len());
            let snapshot = customer.config.with_file_name(format!("{name}.json"));
            let snapshot_arg = snapshot.to_str().context("path")?;
            succeeded(
                customer.kfscale(&["snapshot", "--config", customer.config_arg()?, "-o", snapshot_arg]),
                name,
            )?;
            let kube_requests = kube.requests();
            let requests = Requests {
                kafka: delta(&kafka.fake.request_counts(), &kafka_before),
                pinot: by_op(
                    pinot.fake.requests()[pinot_before..]
                        .iter()
                        .map(|r| r.endpoint.as_str()),
                ),
                kube: by_op(kube_requests[kube_before..].iter().map(|r| r.op.as_str())),
                eks: by_op(eks.requests()[eks_before..].iter().map(|r| r.op.as_str())),
            };
            let snapshot: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&snapshot)?)?;
            Ok((requests, snapshot))
        };
    let (small, small_snapshot) = observe(&customer.kafka, &small_pinot, "small")?;
    let (large, large_snapshot) = observe(&large_kafka, &large_pinot, "large")?;
    eprintln!("small world: {:?}\n  requests {small:?}", sizes(&small_snapshot));
    eprintln!("large world: {:?}\n  requests {large:?}", sizes(&large_snapshot));

    // The two worlds differ where they must, and only there.
    let (small_partitions, small_committed, small_segments) = sizes(&small_snapshot);
    let (large_partitions, large_committed, large_segments) = sizes(&large_snapshot);
    ensure!(
        small_partitions > 0 && small_committed > 0 && small_segments > 0,
        "{:?}",
        sizes(&small_snapshot)
    );
    assert_eq!(large_partitions, small_partitions * GROWTH as usize);
    assert_eq!(large_committed, small_committed * GROWTH as usize);
    ensure!(
        large_segments >= small_segments * GROWTH as u64,
        "{small_segments} -> {large_segments}"
    );
    for key in [
        ("kafka", "brokers"),
        ("pinot", "tables"),
        ("pinot", "instances"),
        ("kubernetes", "nodes"),
    ] {
        assert_eq!(
            small_snapshot[key.0][key.1].as_array().map(Vec::len),
            large_snapshot[key.0][key.1].as_array().map(Vec::len),
            "{}.{}",
            key.0,
            key.1
        );
    }
    // Every system was asked, and asked the same, API by API.
    for (system, counts) in [
        ("kafka", &small.kafka),
        ("pinot", &small.pinot),
        ("kube", &small.kube),
        ("eks", &small.eks),
    ] {
        ensure!(!counts.is_empty(), "no {system} request was counted: {small:?}");
    }
    assert_eq!(small.kafka, large.kafka, "Kafka requests grew with the partitions");
    assert_eq!(small.pinot, large.pinot, "Pinot requests grew with the segments");
    assert_eq!(small.kube, large.kube, "Kubernetes requests changed");
    assert_eq!(small.eks, large.eks, "EKS requests changed");
    Ok(())
}
