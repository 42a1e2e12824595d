//! Broker ids from the live cluster, on the rig (issue #16): three brokers numbered from 100 (pods
//! kafka-broker-0..2 advertising their DNS names) grow to six; the plan names the new brokers
//! 103-105 from the live mapping, the apply moves partitions onto them, and the Kafka fake ends with
//! every replica on a broker that exists (no broker 0-5 was ever targeted).
use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::common::customer::{CustomerSpec, customer_cluster};

#[tokio::test(flavor = "multi_thread")]
async fn three_brokers_from_100_grow_onto_103_to_105() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "broker-ids",
        nodes: 3,
        zones: Some(&["us-east-1a"]),
        kafka_speed: 50.0,
        kafka_brokers: 3,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        // Topics keep their 12 partitions: the new brokers get their share by moves only.
        profile_extra: "kafka: {partition_factor: 1.0}",
        values_edits: &[
            ("broker:\n    replicaCount: 6", "broker:\n    replicaCount: 3"),
            ("numNodes: 6", "numNodes: 3"),
        ],
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;

    // The plan reads the ids from the live brokers.
    let output = customer.kfscale(&["plan", "--config", config, "--nodes", "6", "--json"]);
    ensure!(
        output.status.success(),
        "plan failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout)?;
    let plan = &document["plan"];
    let ids = |value: &Value| -> Vec<i64> {
        value
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    assert_eq!(ids(&plan["kafka"]["brokers_before"]), vec![100, 101, 102]);
    assert_eq!(ids(&plan["kafka"]["brokers_after"]), (100..106).collect::<Vec<_>>());
    let check = plan["prechecks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "broker-ids"))
        .context("broker-ids pre-check")?;
    assert_eq!(check["status"], "pass", "{check}");
    assert_eq!(
        check["message"],
        "broker ids are 100 + ordinal of kafka-kraft-broker (live 100..102): new brokers 103..105"
    );
    let planned_targets: BTreeSet<i64> = plan["kafka"]["reassignment"]["changes"]
        .as_array()
        .context("changes")?
        .iter()
        .flat_map(|c| ids(&c["new_replicas"]))
        .collect();
    assert_eq!(
        planned_targets,
        BTreeSet::from([103, 104, 105]),
        "moves go to the new brokers only"
    );

    // The apply moves partitions onto 103..105.
    let output = customer.kfscale(&["apply", "--config", config, "--nodes", "6", "--auto-approve"]);
    ensure!(
        output.status.success(),
        "apply failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let per_broker = customer.assert_kafka_balanced(12, 6).await?;
    assert_eq!(
        per_broker,
        (100..106).map(|id| (id, 18)).collect::<BTreeMap<i32, usize>>(),
        "108 replicas over brokers 100..105"
    );
    let sent = customer.kafka.reassignments_sent();
    assert_eq!(sent.len(), 54, "half the replicas moved, each once: {sent:?}");
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");

    // The fake never saw a broker outside the live mapping: every broker it registered is one
    // a pod runs, and every replica is on one of them.
    customer.kafka.fake.with_cluster(|cluster| -> Result<()> {
        let registered: BTreeSet<i32> = cluster.brokers.keys().copied().collect();
        ensure!(registered == (100..106).collect(), "{registered:?}");
        for broker in cluster.brokers.values() {
            let ordinal = broker.id - 100;
            ensure!(
                broker.host.starts_with(&format!("kafka-kraft-broker-{ordinal}.")),
                "broker {} advertises {}",
                broker.id,
                broker.host
            );
        }
        Ok(())
    })?;
    Ok(())
}
