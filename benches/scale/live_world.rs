//! The Kubernetes side of the `live` part, on the rig: an EKS node group in moto whose nodes the
//! rig's daemon registers as Ready Nodes in the real kube-apiserver, and the Kloudfuse-like chart
//! installed on them by helm from a customer-style values file at that size (its pods scheduled,
//! run by the rig, their volumes bound), so the plan reads the workloads, pods, claims and Helm
//! release record a customer's cluster has.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::helm::Helm;
use kfscale_rig::{RigEnv, names, wait};

use super::live_fakes::{Size, TOPICS};

const NODEGROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";

pub struct World {
    /// EKS cluster name, namespace and prefix of everything the part owns.
    pub id: String,
    pub nodegroup: String,
    /// The customer's values file the chart was installed from.
    pub values: PathBuf,
    /// The KRaft cluster id the chart's Secret holds (the Kafka fake plays that cluster).
    pub cluster_id: String,
}

/// `nodes` Ready nodes and the chart at `size`.
pub async fn build(rig: &RigEnv, nodes: i32, size: &Size, work: &Path) -> World {
    let id = names::unique("live-scale");
    let nodegroup = format!("{id}-ng");
    let eks_client = rig.eks_client().await.expect("an EKS client of moto");
    eks::create(&eks_client, &NodeGroup::new(&id, &nodegroup, nodes))
        .await
        .expect("create the node group");
    let kube = rig.kube_client().await.expect("a Kubernetes client");
    let selector = format!("{NODEGROUP_LABEL}={nodegroup}");
    wait::ready_nodes(&kube, &selector, nodes as usize, Duration::from_secs(600))
        .await
        .expect("the node group's nodes turn Ready");
    let values = work.join("values.yaml");
    std::fs::write(&values, values_file(nodes, size, &nodegroup)).expect("write the values file");
    let helm = Helm::from_rig(rig).expect("the rig's helm");
    let chart = rig.get("KFSCALE_RIG_CHART").expect("the rig's chart");
    helm.install_kfuse(chart, "3.4.0", &id, &[values.to_str().expect("a UTF-8 path")], "20m")
        .await
        .expect("helm install the chart at scale");
    let secret = kube::Api::<Secret>::namespaced(kube, &id)
        .get("kafka-kraft-kraft-cluster-id")
        .await
        .expect("the chart's cluster-id Secret");
    let cluster_id = secret
        .data
        .and_then(|d| d.get("kraft-cluster-id").cloned())
        .map(|id| String::from_utf8_lossy(&id.0).into_owned())
        .expect("the Secret's kraft-cluster-id");
    World {
        id,
        nodegroup,
        values,
        cluster_id,
    }
}

/// Removes what [`build`] made (the daemon then removes the nodes).
pub async fn tear_down(rig: &RigEnv, world: &World) {
    let helm = Helm::from_rig(rig).expect("the rig's helm");
    let _ = helm.run(&["uninstall", "kfuse", "-n", &world.id]).await;
    if let Ok(client) = rig.eks_client().await {
        let _ = client
            .delete_nodegroup()
            .cluster_name(&world.id)
            .nodegroup_name(&world.nodegroup)
            .send()
            .await;
    }
}

/// The customer's values file at `nodes` nodes (the layout of tests/charts/values/kraft.yaml): the
/// brokers and topics of `size`, the Pinot servers, stateless tiers at one pod per ten nodes, and
/// every pod on the node group.
pub fn values_file(nodes: i32, size: &Size, nodegroup: &str) -> String {
    let tier = (nodes / 10).max(1);
    let mut text = format!(
        "# Kloudfuse values at {nodes} nodes, written by the scale benchmark (benches/scale/live.rs).\n\
         global:\n  nodeSelector:\n    {NODEGROUP_LABEL}: {nodegroup}\n  cloudProvider: aws\n  numNodes: {nodes}\n\
         \x20 kafka:\n    deployLegacy: false\n\n\
         kafka-kraft:\n  controller:\n    replicaCount: 3\n  broker:\n    replicaCount: {brokers}\n\
         \x20   persistence:\n      size: 600Gi\n  kraft:\n    clusterId: \"\"\n\n\
         kafka:\n  logRetentionBytes: 10737418240\n\nkafkaTopics:\n",
        brokers = size.brokers,
    );
    for (index, (name, _)) in TOPICS.iter().enumerate() {
        let _ = writeln!(
            text,
            "  - name: {name}\n    partitions: {}\n    replicationFactor: {}",
            size.topic_partitions(index),
            size.replication_factor
        );
    }
    let _ = write!(
        text,
        "\npinot:\n  zookeeper:\n    replicaCount: 3\n  controller:\n    replicaCount: 3\n  broker:\n    replicaCount: 3\n\
         \x20 server:\n    realtime:\n      replicaCount: {realtime}\n    offline:\n      replicaCount: {offline}\n\
         \x20 minion:\n    replicaCount: 3\n\n\
         ingester:            {{replicaCount: {tier}}}\n\
         logs-parser:         {{replicaCount: {tier}}}\n\
         logs-transformer:    {{replicaCount: {tier}}}\n\
         metrics-transformer: {{replicaCount: {tier}}}\n\
         trace-transformer:   {{replicaCount: {tier}}}\n\
         query-service:       {{replicaCount: {half}}}\n\
         logs-query-service:  {{replicaCount: {half}}}\n\
         kfuse-redis:         {{replicaCount: 1}}\n\
         kfuse-configdb:      {{replicaCount: 1}}\n\
         kfuse-grafana:       {{replicaCount: 1}}\n",
        realtime = size.realtime_servers,
        offline = size.offline_servers,
        half = (tier / 2).max(1),
    );
    text
}
