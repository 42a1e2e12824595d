//! The Kloudfuse-like chart on the rig: the legacy layout installs and upgrades to a newer chart
//! version (every pod rolled to the new image, hook Jobs run again); the KRaft cluster id Secret
//! keeps its id across upgrades.
use std::time::Duration;

use anyhow::{Context, Result};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret};
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::helm::Helm;
use kfscale_rig::nodes::eks::NODEGROUP_LABEL;
use kfscale_rig::{RigEnv, names, wait};
use kube::api::{Api, DeleteParams, ListParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

/// A test's own node group and namespace, with the values file that confines the chart to it.
struct Slot {
    rig: RigEnv,
    kube: kube::Client,
    eks: aws_sdk_eks::Client,
    helm: Helm,
    id: String,
    nodegroup: String,
    placement: String,
}

impl Slot {
    async fn new(prefix: &str, nodes: i32) -> Result<Self> {
        let rig = RigEnv::from_env()?;
        let kube = rig.kube_client().await?;
        let eks_client = rig.eks_client().await?;
        let helm = Helm::from_rig(&rig)?;
        let id = names::unique(prefix);
        let nodegroup = format!("{id}-ng");
        eks::create(&eks_client, &NodeGroup::new(&id, &nodegroup, nodes)).await?;
        let selector = format!("{NODEGROUP_LABEL}={nodegroup}");
        wait::ready_nodes(&kube, &selector, nodes as usize, WAIT).await?;
        let dir = rig.run_dir()?.join("tests").join(&id);
        std::fs::create_dir_all(&dir)?;
        let placement = dir.join("placement.yaml");
        let values = json!({ "global": { "nodeSelector": { NODEGROUP_LABEL: nodegroup } } });
        std::fs::write(&placement, values.to_string())?;
        let placement = placement.to_str().context("scratch path")?.to_owned();
        Ok(Self {
            rig,
            kube,
            eks: eks_client,
            helm,
            id,
            nodegroup,
            placement,
        })
    }

    /// `helm upgrade --install` of the rig's chart at `version` with `values`, waiting for all pods.
    async fn deploy(&self, version: &str, values: &str) -> Result<()> {
        let chart = self.rig.get("KFSCALE_RIG_CHART")?;
        self.helm
            .run(&[
                "upgrade",
                "--install",
                "kfuse",
                chart,
                "--version",
                version,
                "--plain-http",
                "-n",
                &self.id,
                "--create-namespace",
                "-f",
                values,
                "-f",
                &self.placement,
                "--wait",
                "--timeout",
                "5m",
            ])
            .await?;
        Ok(())
    }

    async fn teardown(self) -> Result<()> {
        Api::<Namespace>::all(self.kube.clone())
            .delete(&self.id, &DeleteParams::default())
            .await?;
        eks::resize(&self.eks, &self.id, &self.nodegroup, 0).await?;
        let selector = format!("{NODEGROUP_LABEL}={}", self.nodegroup);
        wait::ready_nodes(&self.kube, &selector, 0, WAIT).await?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_layout_installs_then_upgrades_to_the_next_chart_version() -> Result<()> {
    let slot = Slot::new("legacy", 3).await?;
    let values = slot.rig.get("KFSCALE_RIG_VALUES_LEGACY")?.to_owned();
    slot.deploy("3.4.0", &values).await?;

    let sets: Api<StatefulSet> = Api::namespaced(slot.kube.clone(), &slot.id);
    let names: Vec<String> = sets
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter_map(|s| s.metadata.name)
        .collect();
    assert!(
        names.contains(&"kafka-broker".to_owned()) && names.contains(&"kafka-zookeeper".to_owned()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with("kafka-kraft")), "{names:?}");
    let jobs: Api<Job> = Api::namespaced(slot.kube.clone(), &slot.id);
    let topic_job = jobs.get("kfuse-kafka-topic-creation").await?;
    assert_eq!(topic_job.status.and_then(|s| s.succeeded), Some(1));

    slot.deploy("3.4.1", &values).await?;
    let version = Api::<ConfigMap>::namespaced(slot.kube.clone(), &slot.id)
        .get("kfuse-version")
        .await?;
    assert_eq!(
        version.data.and_then(|d| d.get("version").cloned()).as_deref(),
        Some("3.4.1")
    );
    // Every long-running pod was replaced by one of the new version, and is Ready.
    let pods = Api::<Pod>::namespaced(slot.kube.clone(), &slot.id)
        .list(&ListParams::default())
        .await?;
    for pod in pods
        .items
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Succeeded"))
    {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let image = pod
            .spec
            .as_ref()
            .and_then(|s| s.containers[0].image.clone())
            .unwrap_or_default();
        assert!(image.ends_with(":3.4.1"), "{name} runs {image}");
        assert!(wait::pod_ready(pod), "{name} is not Ready");
    }
    slot.teardown().await
}

#[tokio::test(flavor = "multi_thread")]
async fn kraft_cluster_id_survives_upgrades() -> Result<()> {
    let slot = Slot::new("kraftid", 3).await?;
    let values = slot.rig.get("KFSCALE_RIG_VALUES")?.to_owned();
    slot.deploy("3.4.0", &values).await?;
    let secrets: Api<Secret> = Api::namespaced(slot.kube.clone(), &slot.id);
    let id_of = |secret: Secret| {
        secret.data.and_then(|d| {
            d.get("kraft-cluster-id")
                .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        })
    };
    let first = id_of(secrets.get("kafka-kraft-kraft-cluster-id").await?).context("no cluster id")?;
    assert_eq!(
        first.len(),
        22,
        "a generated KRaft cluster id has 22 characters: {first}"
    );
    slot.deploy("3.4.0", &values).await?;
    let second = id_of(secrets.get("kafka-kraft-kraft-cluster-id").await?).context("no cluster id")?;
    assert_eq!(first, second, "an upgrade must keep the cluster id");
    slot.teardown().await
}
