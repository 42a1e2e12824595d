//! The release namespace as the Kubernetes API shows it, and the Helm release from its own record.
use anyhow::Context;

use crate::connect::ConfigContext;
use crate::profile::Profile;
use crate::snapshot::{
    HelmRelease, Job, Kubernetes, Node, NodePool, PersistentVolumeClaim, StorageClass, Taint, Workload, WorkloadKind,
    pool_labels,
};
use crate::values::secrets::redact_json;

const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";

pub async fn observe(
    context: &ConfigContext<'_>,
    profile: &Profile,
    node_pool: &NodePool,
) -> anyhow::Result<(Kubernetes, HelmRelease)> {
    let settings = &context.config.kubernetes;
    let kube = context.kube().await?;
    let release_name = &context.config.helm.release;

    let server_version = kube.server_version().await?;
    let nodes = kube.nodes().await?;
    let workloads = kube.workloads().await?;
    let jobs = kube.jobs().await?;
    let pvcs = kube.pvcs().await?;
    let storage_classes = kube.storage_classes().await?;
    let kfuse_version = kube.config_map_value("kfuse-version", "version").await?;
    let kraft_cluster_id_secret = match &profile.kafka.cluster_id_secret {
        Some(secret) => kube.secret_value(secret, &profile.kafka.cluster_id_secret_key).await?,
        None => None,
    };
    let record = kube.helm_release(release_name).await?.with_context(|| {
        format!(
            "release {release_name} not found in namespace {}; fix: check helm.release and kubernetes.namespace in {}",
            settings.namespace, context.origin
        )
    })?;

    let kubernetes = Kubernetes {
        server_version: Some(server_version),
        namespace: settings.namespace.clone(),
        nodes: nodes
            .into_iter()
            .map(|node| Node {
                pool: node_pool.pool_of(&node.labels),
                labels: pool_labels(&node.labels),
                zone: node.labels.get(ZONE_LABEL).cloned(),
                instance_type: node.labels.get(INSTANCE_TYPE_LABEL).cloned(),
                ready: node.ready,
                unschedulable: node.unschedulable,
                taints: node
                    .taints
                    .into_iter()
                    .map(|(key, value, effect)| Taint { key, value, effect })
                    .collect(),
                name: node.name,
            })
            .collect(),
        workloads: workloads
            .into_iter()
            .map(|w| Workload {
                kind: match w.kind {
                    kfscale_kube::WorkloadKind::Deployment => WorkloadKind::Deployment,
                    kfscale_kube::WorkloadKind::StatefulSet => WorkloadKind::StatefulSet,
                    kfscale_kube::WorkloadKind::DaemonSet => WorkloadKind::DaemonSet,
                },
                name: w.name,
                replicas: w.replicas,
                ready_replicas: w.ready_replicas,
                updated_replicas: w.updated_replicas,
                pods_per_node: w.ready_pods_per_node,
                volume_claim_templates: w.volume_claim_templates,
                helm_release: Some(w.helm_release.unwrap_or_default()),
            })
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|j| Job {
                name: j.name,
                active: j.active,
                succeeded: j.succeeded,
                failed: j.failed,
            })
            .collect(),
        pvcs: pvcs
            .into_iter()
            .map(|c| PersistentVolumeClaim {
                requested: c.requested.unwrap_or_default(),
                name: c.name,
                storage_class: c.storage_class,
                capacity: c.capacity,
            })
            .collect(),
        storage_classes: storage_classes
            .into_iter()
            .map(|c| StorageClass {
                name: c.name,
                provisioner: c.provisioner,
                parameters: c.parameters,
                allow_volume_expansion: c.allow_volume_expansion,
            })
            .collect(),
        kfuse_version,
        kraft_cluster_id_secret,
    };
    let mut user_values = record.user_values;
    // The release may hold secrets the file no longer does (a rotated password): scrubbed too.
    crate::scrub::register_json_values(&user_values);
    redact_json(&mut user_values);
    // The chart's defaults are the chart's, but a default password is a secret all the same.
    let mut chart_values = record.chart_values;
    crate::scrub::register_json_values(&chart_values);
    redact_json(&mut chart_values);
    let helm = HelmRelease {
        name: record.name,
        namespace: record.namespace,
        chart: record.chart,
        chart_version: record.chart_version,
        app_version: Some(record.app_version).filter(|v| !v.is_empty()),
        revision: record.revision,
        status: record.status,
        user_values,
        chart_values,
    };
    Ok((kubernetes, helm))
}
