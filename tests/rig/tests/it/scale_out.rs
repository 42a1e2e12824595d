//! On the rig: an EKS node group (moto) resized 6 -> 9 through aws-sdk-eks brings 9 Ready nodes; a
//! `helm upgrade` of the Kloudfuse-like chart at its installed version with raised replicas leaves
//! every pod Ready and each workload spread evenly (per-node counts differ by at most 1).
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod};
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::helm::Helm;
use kfscale_rig::{RigEnv, names, wait};
use kube::api::{Api, DeleteParams, ListParams};
use serde_json::json;

const COMPONENT: &str = "app.kubernetes.io/component";

/// Replica counts after a 6 -> 9 scale-out by the (n+m)/n rule, rounded up; quorums and singletons
/// stay. logs-transformer gets 12 so one workload has more pods than nodes (1 or 2 per node).
fn scaled_values() -> serde_json::Value {
    json!({
        "global": { "numNodes": 9 },
        "kafka-kraft": { "broker": { "replicaCount": 9 } },
        "pinot": {
            "controller": { "replicaCount": 5 },
            "broker": { "replicaCount": 5 },
            "minion": { "replicaCount": 5 },
            "server": { "realtime": { "replicaCount": 9 }, "offline": { "replicaCount": 9 } },
        },
        "ingester": { "replicaCount": 9 },
        "logs-parser": { "replicaCount": 9 },
        "logs-transformer": { "replicaCount": 12 },
        "metrics-transformer": { "replicaCount": 9 },
        "trace-transformer": { "replicaCount": 9 },
        "query-service": { "replicaCount": 5 },
        "logs-query-service": { "replicaCount": 5 },
        "trace-query-service": { "replicaCount": 5 },
        "events-query-service": { "replicaCount": 5 },
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_scale_out_6_to_9_then_helm_upgrade_spreads_pods_evenly() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let eks_client = rig.eks_client().await?;
    let helm = Helm::from_rig(&rig)?;
    // Own cluster, node group, namespace: tests share one rig and may run in parallel.
    let id = names::unique("scale");
    let nodegroup = format!("{id}-ng");
    let selector = format!("{}={nodegroup}", kfscale_rig::nodes::eks::NODEGROUP_LABEL);
    let scratch = rig.run_dir()?.join("tests").join(&id);
    std::fs::create_dir_all(&scratch)?;

    // 6 nodes, and the chart installed on them at 3.4.0.
    eks::create(&eks_client, &NodeGroup::new(&id, &nodegroup, 6)).await?;
    wait::ready_nodes(&kube, &selector, 6, Duration::from_secs(60)).await?;
    let placement = scratch.join("placement.yaml");
    std::fs::write(
        &placement,
        json!({ "global": { "nodeSelector": { kfscale_rig::nodes::eks::NODEGROUP_LABEL: nodegroup } } }).to_string(),
    )?;
    let chart = rig.get("KFSCALE_RIG_CHART")?;
    let values = rig.get("KFSCALE_RIG_VALUES")?;
    let placement = placement.to_str().context("scratch path")?;
    helm.install_kfuse(chart, "3.4.0", &id, &[values, placement], "5m")
        .await?;

    // 6 -> 9 through the EKS API, as kfscale will do it.
    let out = eks_client
        .update_nodegroup_config()
        .cluster_name(&id)
        .nodegroup_name(&nodegroup)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .min_size(1)
                .max_size(12)
                .desired_size(9)
                .build(),
        )
        .send()
        .await?;
    ensure!(
        out.update().and_then(|u| u.id()).is_some(),
        "UpdateNodegroupConfig returned no update id"
    );
    let nodes = wait::ready_nodes(&kube, &selector, 9, Duration::from_secs(60)).await?;
    let node_names: Vec<String> = nodes.iter().filter_map(|n| n.metadata.name.clone()).collect();
    check_node_shape(&nodes, &nodegroup)?;

    // Upgrade at the installed version, read where Kloudfuse tooling reads it.
    let installed = Api::<ConfigMap>::namespaced(kube.clone(), &id)
        .get("kfuse-version")
        .await?
        .data
        .and_then(|d| d.get("version").cloned())
        .context("kfuse-version has no data.version")?;
    assert_eq!(installed, "3.4.0");
    let scaled = scratch.join("scaled.yaml");
    std::fs::write(&scaled, scaled_values().to_string())?;
    helm.run(&[
        "upgrade",
        "kfuse",
        chart,
        "--version",
        &installed,
        "--plain-http",
        "-n",
        &id,
        "-f",
        values,
        "-f",
        placement,
        "-f",
        scaled.to_str().context("scratch path")?,
        "--wait",
        "--timeout",
        "5m",
    ])
    .await?;

    check_workloads_ready(&kube, &id).await?;
    let pods = Api::<Pod>::namespaced(kube.clone(), &id)
        .list(&ListParams::default())
        .await?;
    let counts = per_node_counts(&pods.items, &node_names)?;
    for (workload, per_node) in &counts {
        let (min, max) = (per_node.values().min(), per_node.values().max());
        let (Some(min), Some(max)) = (min, max) else {
            continue;
        };
        assert!(
            max - min <= 1,
            "{workload} is not evenly spread over the 9 nodes: {per_node:?}"
        );
    }
    for (workload, total) in [
        ("logs-transformer", 12),
        ("ingester", 9),
        ("kafka-kraft-broker", 9),
        ("pinot-server-realtime", 9),
        ("query-service", 5),
        ("kafka-kraft-controller", 3),
        ("kfuse-redis", 1),
        ("kfuse-observability-agent", 9),
    ] {
        let sum: usize = counts.get(workload).map(|c| c.values().sum()).unwrap_or(0);
        assert_eq!(sum, total, "{workload}: {sum} Ready pods, expected {total}");
    }
    let version = Api::<ConfigMap>::namespaced(kube.clone(), &id)
        .get("kfuse-version")
        .await?;
    assert_eq!(
        version.data.and_then(|d| d.get("version").cloned()).as_deref(),
        Some("3.4.0")
    );
    let status = helm.run(&["status", "kfuse", "-n", &id, "-o", "json"]).await?;
    let status: serde_json::Value = serde_json::from_str(&status)?;
    assert_eq!(status["info"]["status"], "deployed");
    assert_eq!(status["version"], 2);

    // Leave the shared rig as found: the namespace, then the nodes (through the EKS API).
    Api::<Namespace>::all(kube.clone())
        .delete(&id, &DeleteParams::default())
        .await?;
    eks::resize(&eks_client, &id, &nodegroup, 0).await?;
    wait::until("the node group's nodes to go", Duration::from_secs(60), || async {
        let left = Api::<Node>::all(kube.clone())
            .list(&ListParams::default().labels(&selector))
            .await?;
        Ok(if left.items.is_empty() {
            Ok(())
        } else {
            Err(format!("{} nodes", left.items.len()))
        })
    })
    .await
}

/// Nodes carry what kfscale and the scheduler rely on: pool label, hostname, zone, instance type,
/// capacity, and no taint left from registration.
fn check_node_shape(nodes: &[Node], nodegroup: &str) -> Result<()> {
    let mut zones = BTreeMap::<String, usize>::new();
    for node in nodes {
        let labels = node.metadata.labels.clone().unwrap_or_default();
        let name = node.metadata.name.clone().unwrap_or_default();
        assert_eq!(
            labels.get("eks.amazonaws.com/nodegroup").map(String::as_str),
            Some(nodegroup)
        );
        assert_eq!(labels.get("kubernetes.io/hostname"), Some(&name));
        assert_eq!(
            labels.get("node.kubernetes.io/instance-type").map(String::as_str),
            Some("m5.2xlarge")
        );
        *zones
            .entry(labels.get("topology.kubernetes.io/zone").cloned().unwrap_or_default())
            .or_default() += 1;
        let status = node.status.clone().unwrap_or_default();
        let capacity = status.capacity.unwrap_or_default();
        assert_eq!(capacity.get("cpu").map(|q| q.0.as_str()), Some("8"));
        assert_eq!(capacity.get("pods").map(|q| q.0.as_str()), Some("110"));
        let taints = node.spec.clone().unwrap_or_default().taints.unwrap_or_default();
        assert!(taints.is_empty(), "{name} still has taints {taints:?}");
    }
    assert_eq!(zones.len(), 3, "nodes spread over 3 zones: {zones:?}");
    assert!(zones.values().all(|n| *n == 3), "3 nodes per zone: {zones:?}");
    Ok(())
}

/// Every StatefulSet, Deployment and DaemonSet of the release has all its replicas Ready.
async fn check_workloads_ready(kube: &kube::Client, ns: &str) -> Result<()> {
    for sts in Api::<StatefulSet>::namespaced(kube.clone(), ns)
        .list(&ListParams::default())
        .await?
    {
        let want = sts.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let ready = sts.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
        ensure!(
            ready == want,
            "StatefulSet {:?}: {ready}/{want} Ready",
            sts.metadata.name
        );
    }
    for dep in Api::<Deployment>::namespaced(kube.clone(), ns)
        .list(&ListParams::default())
        .await?
    {
        let want = dep.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let ready = dep.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
        ensure!(
            ready == want,
            "Deployment {:?}: {ready}/{want} Ready",
            dep.metadata.name
        );
    }
    for ds in Api::<DaemonSet>::namespaced(kube.clone(), ns)
        .list(&ListParams::default())
        .await?
    {
        let status = ds.status.clone().unwrap_or_default();
        ensure!(
            status.number_ready == status.desired_number_scheduled && status.number_ready == 9,
            "DaemonSet {:?}: {}/{} Ready",
            ds.metadata.name,
            status.number_ready,
            status.desired_number_scheduled
        );
    }
    Ok(())
}

/// For each workload, the number of its Ready pods on each of `nodes` (zero included). Fails on a
/// long-running pod that is not Ready or runs elsewhere; finished hook-Job pods are skipped.
fn per_node_counts(pods: &[Pod], nodes: &[String]) -> Result<BTreeMap<String, BTreeMap<String, usize>>> {
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded") {
            continue;
        }
        ensure!(wait::pod_ready(pod), "pod {name} is not Ready: {:?}", pod.status);
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
        ensure!(
            nodes.contains(&node),
            "pod {name} runs on {node}, outside the node group"
        );
        let workload = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(COMPONENT))
            .cloned()
            .unwrap_or_default();
        let per_node = counts
            .entry(workload)
            .or_insert_with(|| nodes.iter().map(|n| (n.clone(), 0)).collect());
        *per_node.entry(node).or_default() += 1;
    }
    Ok(counts)
}
