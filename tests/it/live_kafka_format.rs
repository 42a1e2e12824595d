//! The Kafka fake takes its KRaft cluster id the way brokers do: from the `KAFKA_KRAFT_CLUSTER_ID`
//! the chart gives the broker pods (from a Secret the chart generates at install), when the first
//! broker comes up. That is the sandbox's order (`scripts/sandbox up` starts the rig's Kafka fake,
//! then installs the chart), and what lets its first `kfscale apply` pass the `kraft-cluster-id`
//! pre-check (issue #16 item 11). The other live tests start their fake after the install, under the
//! Secret's id, so they never exercise this.
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::seed::Seed;
use kfscale_fakes::kafka::watcher::{self, WatchTarget};
use kfscale_kafka::{AdminOptions, BrokerAddress, KafkaAdmin};
use kfscale_rig::{RigEnv, cluster, names, wait};

use crate::common::chart_cluster_id;
use crate::common::customer::customer_repo;

const KRAFT_SEED: &str = "tests/fakes/seeds/kafka-kraft.json";

#[tokio::test]
async fn a_kafka_started_before_the_install_is_formatted_with_the_charts_cluster_id() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let id = names::unique("kraft-format");
    let nodegroup = format!("{id}-ng");
    let seed = Seed::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(KRAFT_SEED))?;
    let seed_id = seed.cluster_id.clone();
    let fake = FakeKafka::start(seed, ModelClock::new(0.0)).await?;
    let shared = fake.shared();
    let target = WatchTarget {
        namespace: id.clone(),
        statefulset: "kafka-kraft-broker".into(),
        id_base: 100,
        rack_from_node_zone: false,
    };
    let (client, watched) = (rig.kube_client().await?, shared.clone());
    let watch = tokio::spawn(async move {
        let _ = watcher::run(watched, client, target).await;
    });

    // No broker pod yet: the watcher fences the seed's brokers, a cluster not formatted yet.
    let live = || shared.with_cluster(|c| c.active_brokers().count());
    wait::until("the seed's brokers fenced", Duration::from_secs(30), || async {
        Ok(if live() == 0 {
            Ok(())
        } else {
            Err(format!("{} live", live()))
        })
    })
    .await?;

    let repo = customer_repo(&rig, &id, kfscale_rig::nodes::eks::NODEGROUP_LABEL, &nodegroup)?;
    let values = repo.repo.join("values.yaml");
    let values = values.to_str().context("path")?;
    cluster::install_named(&rig, &id, &nodegroup, 3, values, "3.4.0").await?;
    let chart_id = chart_cluster_id(&rig.kube_client().await?, &id).await?;
    assert_ne!(chart_id, seed_id, "the chart generates its own id");

    let cluster_id = || shared.with_cluster(|c| c.cluster_id.clone());
    wait::until(
        "brokers formatted with the chart's id",
        Duration::from_secs(30),
        || async {
            Ok(if cluster_id() == chart_id && live() > 0 {
                Ok(())
            } else {
                Err(format!("cluster id {}, {} live", cluster_id(), live()))
            })
        },
    )
    .await?;

    // A client on the wire sees the same id.
    let live_ids: Vec<i32> = shared.with_cluster(|c| c.active_brokers().map(|b| b.id).collect());
    let addresses = fake
        .broker_addrs()
        .into_iter()
        .filter(|(id, _)| live_ids.contains(id))
        .map(|(_, a)| BrokerAddress::new(a.ip().to_string(), a.port()))
        .collect();
    let admin = KafkaAdmin::new(AdminOptions::direct(addresses))?;
    let described = admin.describe_cluster().await?;
    assert_eq!(described.cluster_id.as_deref(), Some(chart_id.as_str()));
    watch.abort();
    Ok(())
}
