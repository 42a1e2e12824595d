//! On the rig: a StatefulSet's claims of the gp3 class are bound to volumes in the zone of the node
//! each pod landed on; a claim grows when its request grows; the StatefulSet's claim template cannot
//! change (the trap of raising `persistence.size` in a chart); volumes go when their claims go.
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::nodes::eks::NODEGROUP_LABEL;
use kfscale_rig::{RigEnv, names, wait};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);
const ZONE: &str = "topology.kubernetes.io/zone";

#[tokio::test(flavor = "multi_thread")]
async fn claims_bind_in_the_pods_zone_grow_and_go_with_their_namespace() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let eks_client = rig.eks_client().await?;
    let id = names::unique("vol");
    let nodegroup = format!("{id}-ng");
    let selector = format!("{NODEGROUP_LABEL}={nodegroup}");
    eks::create(&eks_client, &NodeGroup::new(&id, &nodegroup, 3)).await?;
    wait::ready_nodes(&kube, &selector, 3, WAIT).await?;
    let ns: Namespace = serde_json::from_value(json!({ "metadata": { "name": id } }))?;
    Api::<Namespace>::all(kube.clone())
        .create(&PostParams::default(), &ns)
        .await?;

    let sets: Api<StatefulSet> = Api::namespaced(kube.clone(), &id);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(kube.clone(), &id);
    sets.create(
        &PostParams::default(),
        &serde_json::from_value(broker(&nodegroup, "600Gi"))?,
    )
    .await?;
    wait::until("3 Ready brokers", WAIT, || async {
        let ready = sets
            .get("broker")
            .await?
            .status
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0);
        Ok(if ready == 3 {
            Ok(())
        } else {
            Err(format!("{ready} Ready"))
        })
    })
    .await?;

    // Each claim is Bound, 600Gi, gp3, to a volume pinned to the zone of its pod's node.
    let volumes: Api<PersistentVolume> = Api::all(kube.clone());
    for i in 0..3 {
        let claim = claims.get(&format!("data-broker-{i}")).await?;
        let status = claim.status.clone().unwrap_or_default();
        assert_eq!(status.phase.as_deref(), Some("Bound"));
        assert_eq!(
            status.capacity.unwrap_or_default().get("storage").map(|q| q.0.as_str()),
            Some("600Gi")
        );
        let spec = claim.spec.clone().unwrap_or_default();
        assert_eq!(spec.storage_class_name.as_deref(), Some("gp3"));
        let volume = volumes
            .get(spec.volume_name.as_deref().context("no volume name")?)
            .await?;
        let volume_zone = volume.metadata.labels.unwrap_or_default().get(ZONE).cloned();
        let pod = Api::<Pod>::namespaced(kube.clone(), &id)
            .get(&format!("broker-{i}"))
            .await?;
        let node_name = pod.spec.and_then(|s| s.node_name).context("pod not bound")?;
        let node = Api::<Node>::all(kube.clone()).get(&node_name).await?;
        let node_zone = node.metadata.labels.unwrap_or_default().get(ZONE).cloned();
        ensure!(
            volume_zone.is_some() && volume_zone == node_zone,
            "volume zone {volume_zone:?}, node zone {node_zone:?}"
        );
        let csi = volume.spec.and_then(|s| s.csi).context("not a CSI volume")?;
        assert_eq!(csi.driver, "ebs.csi.aws.com");
        assert_eq!(
            csi.volume_attributes
                .unwrap_or_default()
                .get("iops")
                .map(String::as_str),
            Some("6000")
        );
    }

    // A claim grows online (gp3 allows expansion).
    let grow = json!({ "spec": { "resources": { "requests": { "storage": "800Gi" } } } });
    claims
        .patch("data-broker-0", &PatchParams::default(), &Patch::Merge(grow))
        .await?;
    wait::until("data-broker-0 to reach 800Gi", WAIT, || async {
        let claim = claims.get("data-broker-0").await?;
        let size = claim
            .status
            .and_then(|s| s.capacity)
            .and_then(|c| c.get("storage").map(|q| q.0.clone()));
        Ok(if size.as_deref() == Some("800Gi") {
            Ok(())
        } else {
            Err(format!("{size:?}"))
        })
    })
    .await?;

    // The claim template is immutable: raising persistence.size in a chart fails the upgrade.
    let resized: StatefulSet = serde_json::from_value(broker(&nodegroup, "800Gi"))?;
    let err = sets
        .patch(
            "broker",
            &PatchParams::apply("kfscale-rig-tests").force(),
            &Patch::Apply(&resized),
        )
        .await
        .expect_err("a StatefulSet's volumeClaimTemplates must be immutable");
    ensure!(err.to_string().contains("Forbidden"), "unexpected error: {err}");

    // Deleting the namespace deletes the claims, and the provisioner deletes their volumes.
    Api::<Namespace>::all(kube.clone())
        .delete(&id, &DeleteParams::default())
        .await?;
    wait::until("the namespace's volumes to go", WAIT, || async {
        let left = volumes
            .list(&ListParams::default())
            .await?
            .items
            .into_iter()
            .filter(|v| {
                v.spec
                    .as_ref()
                    .and_then(|s| s.claim_ref.as_ref())
                    .and_then(|c| c.namespace.as_deref())
                    == Some(id.as_str())
            })
            .count();
        Ok(if left == 0 {
            Ok(())
        } else {
            Err(format!("{left} volumes"))
        })
    })
    .await?;
    eks::resize(&eks_client, &id, &nodegroup, 0).await?;
    wait::ready_nodes(&kube, &selector, 0, WAIT).await?;
    Ok(())
}

fn broker(nodegroup: &str, size: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": { "name": "broker" },
        "spec": {
            "replicas": 3,
            "serviceName": "broker",
            "podManagementPolicy": "Parallel",
            "selector": { "matchLabels": { "app": "broker" } },
            "template": {
                "metadata": { "labels": { "app": "broker" } },
                "spec": {
                    "nodeSelector": { NODEGROUP_LABEL: nodegroup },
                    "containers": [{ "name": "main", "image": "registry.kfscale.invalid/pause:1",
                                     "volumeMounts": [{ "name": "data", "mountPath": "/data" }] }],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": { "name": "data" },
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "gp3",
                    "resources": { "requests": { "storage": size } },
                },
            }],
        },
    })
}
