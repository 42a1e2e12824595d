//! The Kubernetes reader against the rig's real API server, with the Kloudfuse-like chart installed.
use std::path::Path;

use kfscale_kube::{Kube, WorkloadKind};
use kfscale_rig::{RigEnv, cluster};

#[tokio::test(flavor = "multi_thread")]
async fn reads_what_kfscale_needs_from_a_kloudfuse_install() -> anyhow::Result<()> {
    let rig = RigEnv::from_env()?;
    let values = rig.get("KFSCALE_RIG_VALUES")?.to_string();
    let installed = cluster::install(&rig, "kube", 3, &values, "3.4.0").await?;
    let kubeconfig = rig.get("KUBECONFIG")?;
    let kube = Kube::connect(Some(Path::new(kubeconfig)), None, &installed.id).await?;

    assert!(kube.server_version().await?.starts_with("v1.20"));
    let nodes: Vec<_> = kube
        .nodes()
        .await?
        .into_iter()
        .filter(|n| n.labels.get("eks.amazonaws.com/nodegroup") == Some(&installed.nodegroup))
        .collect();
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|n| n.ready && !n.unschedulable));

    let workloads = kube.workloads().await?;
    let broker = workloads
        .iter()
        .find(|w| w.name == "kafka-kraft-broker")
        .expect("the broker StatefulSet");
    assert_eq!(broker.kind, WorkloadKind::StatefulSet);
    assert_eq!(broker.ready_replicas, broker.replicas);
    assert_eq!(
        broker.ready_pods_per_node.values().sum::<u32>(),
        broker.replicas,
        "{broker:?}"
    );
    let ingester = workloads
        .iter()
        .find(|w| w.name == "ingester")
        .expect("the ingester Deployment");
    assert_eq!(ingester.kind, WorkloadKind::Deployment);
    assert_eq!(
        ingester.ready_pods_per_node.values().sum::<u32>(),
        ingester.replicas,
        "a Deployment's pods are found through its ReplicaSets"
    );

    assert_eq!(
        kube.config_map_value("kfuse-version", "version").await?.as_deref(),
        Some("3.4.0")
    );
    let cluster_id = kube
        .secret_value("kafka-kraft-kraft-cluster-id", "kraft-cluster-id")
        .await?;
    assert!(cluster_id.is_some_and(|id| !id.is_empty()));

    let release = kube.helm_release("kfuse").await?.expect("the release record");
    assert_eq!(
        (
            release.revision,
            release.status.as_str(),
            release.chart_version.as_str()
        ),
        (1, "deployed", "3.4.0")
    );
    assert_eq!(
        release.user_values["global"]["nodeSelector"]["eks.amazonaws.com/nodegroup"],
        installed.nodegroup.as_str()
    );

    let claims = kube.pvcs().await?;
    assert!(
        claims
            .iter()
            .any(|c| c.name.starts_with("data-kafka-kraft-broker-") && c.capacity.is_some()),
        "{claims:?}"
    );
    let classes = kube.storage_classes().await?;
    assert!(classes.iter().any(|c| c.name == "gp3" && c.allow_volume_expansion));
    assert!(kube.jobs().await?.iter().all(|job| job.active == 0));

    let missing = Kube::connect(Some(Path::new("/nonexistent/kubeconfig")), None, "kfuse")
        .await
        .err()
        .expect("an error");
    assert!(
        missing.to_string().contains("/nonexistent/kubeconfig") && missing.to_string().contains("fix:"),
        "{missing}"
    );
    Ok(())
}
