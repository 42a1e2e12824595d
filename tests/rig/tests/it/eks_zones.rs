//! EKS node groups choose their zones by their subnets, as on AWS: a group created in one zone
//! (`NodeGroup::in_zones`) has every node there, so a test can model a single-AZ install; a group in
//! two zones alternates between them; a chart installed on a single-zone group
//! (`cluster::install_in_zones`) runs every pod and volume in that zone.
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, Pod};
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::nodes::eks::NODEGROUP_LABEL;
use kfscale_rig::{RigEnv, cluster, names, wait};
use kube::api::{Api, DeleteParams, ListParams};

const WAIT: Duration = Duration::from_secs(60);
const ZONE: &str = "topology.kubernetes.io/zone";

fn zone_counts(nodes: &[Node]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for node in nodes {
        let zone = node.metadata.labels.as_ref().and_then(|l| l.get(ZONE)).cloned();
        *counts.entry(zone.unwrap_or_default()).or_default() += 1;
    }
    counts
}

async fn remove_group(rig: &RigEnv, kube: &kube::Client, cluster: &str, nodegroup: &str) -> Result<()> {
    eks::resize(&rig.eks_client().await?, cluster, nodegroup, 0).await?;
    wait::ready_nodes(kube, &format!("{NODEGROUP_LABEL}={nodegroup}"), 0, WAIT).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn node_groups_run_in_the_zones_of_their_subnets() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let client = rig.eks_client().await?;
    let id = names::unique("zones");
    let single = format!("{id}-1az");
    let double = format!("{id}-2az");
    eks::create(&client, &NodeGroup::new(&id, &single, 3).in_zones(&["us-east-1b"])).await?;
    eks::create(
        &client,
        &NodeGroup::new(&id, &double, 4).in_zones(&["us-east-1a", "us-east-1c"]),
    )
    .await?;

    // What a cloud client sees: the group's one subnet, in that zone.
    let described = client
        .describe_nodegroup()
        .cluster_name(&id)
        .nodegroup_name(&single)
        .send()
        .await?;
    let subnets = described.nodegroup().context("no node group")?.subnets().to_vec();
    assert_eq!(subnets, [eks::subnet_for_zone("us-east-1b")?]);

    let nodes = wait::ready_nodes(&kube, &format!("{NODEGROUP_LABEL}={single}"), 3, WAIT).await?;
    assert_eq!(zone_counts(&nodes), BTreeMap::from([("us-east-1b".to_owned(), 3)]));
    let nodes = wait::ready_nodes(&kube, &format!("{NODEGROUP_LABEL}={double}"), 4, WAIT).await?;
    assert_eq!(
        zone_counts(&nodes),
        BTreeMap::from([("us-east-1a".to_owned(), 2), ("us-east-1c".to_owned(), 2)])
    );

    // Growing a single-zone group adds nodes in its zone only.
    eks::resize(&client, &id, &single, 5).await?;
    let nodes = wait::ready_nodes(&kube, &format!("{NODEGROUP_LABEL}={single}"), 5, WAIT).await?;
    assert_eq!(zone_counts(&nodes), BTreeMap::from([("us-east-1b".to_owned(), 5)]));

    remove_group(&rig, &kube, &id, &single).await?;
    remove_group(&rig, &kube, &id, &double).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_az_install_runs_every_pod_and_volume_in_its_zone() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let zone = "us-east-1a";
    let values = rig.get("KFSCALE_RIG_VALUES")?;
    let installed = cluster::install_in_zones(&rig, "az1", 6, Some(&[zone]), values, "3.4.0").await?;
    assert_eq!(installed.zones, Some(vec![zone.to_owned()]));

    let nodes = wait::ready_nodes(&kube, &installed.node_selector(), 6, WAIT).await?;
    assert_eq!(zone_counts(&nodes), BTreeMap::from([(zone.to_owned(), 6)]));
    let node_names: Vec<String> = nodes.iter().filter_map(|n| n.metadata.name.clone()).collect();
    let pods = Api::<Pod>::namespaced(kube.clone(), &installed.id)
        .list(&ListParams::default())
        .await?;
    for pod in &pods.items {
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
        assert!(node_names.contains(&node), "{:?} runs on {node}", pod.metadata.name);
    }
    // Volumes follow their pods' zone (the rig pins each to its first consumer's node's zone).
    let volumes = Api::<PersistentVolume>::all(kube.clone())
        .list(&ListParams::default())
        .await?;
    let mine: Vec<&PersistentVolume> = volumes
        .items
        .iter()
        .filter(|pv| {
            let claim = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref());
            claim.and_then(|c| c.namespace.as_deref()) == Some(installed.id.as_str())
        })
        .collect();
    assert!(!mine.is_empty(), "the chart's claims got no volumes");
    for pv in mine {
        let labels = pv.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get(ZONE).map(String::as_str),
            Some(zone),
            "{:?}",
            pv.metadata.name
        );
    }

    Api::<Namespace>::all(kube.clone())
        .delete(&installed.id, &DeleteParams::default())
        .await?;
    remove_group(&rig, &kube, &installed.id, &installed.nodegroup).await
}
