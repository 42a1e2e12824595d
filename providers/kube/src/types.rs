//! Plain structs of what kfscale reads, and the conversions from the API objects.
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use kube::ResourceExt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub ready: bool,
    pub unschedulable: bool,
    pub taints: Vec<(String, String, String)>,
    /// The cloud's id of the machine (`aws:///us-east-1a/i-...`, `gce://project/zone/name`,
    /// `azure:///subscriptions/...`).
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadInfo {
    pub kind: WorkloadKind,
    pub name: String,
    pub replicas: u32,
    pub ready_replicas: u32,
    pub updated_replicas: u32,
    pub generation: i64,
    pub observed_generation: i64,
    /// Ready pods of this workload per node.
    pub ready_pods_per_node: BTreeMap<String, u32>,
    /// A StatefulSet's volume claim templates: name -> requested storage (`600Gi`).
    pub volume_claim_templates: BTreeMap<String, String>,
    /// The Helm release that manages it (annotation `meta.helm.sh/release-name`, which Helm 3 puts
    /// on everything it installs); None when no release does.
    pub helm_release: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    pub name: String,
    pub node: Option<String>,
    pub phase: String,
    pub ready: bool,
    /// Deleted and on its way out: its controller no longer counts it, whatever its conditions say.
    pub terminating: bool,
    /// (kind, name) of the controller that owns the pod; a Deployment's pods are owned by a
    /// ReplicaSet named `<deployment>-<hash>`.
    pub owner: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub name: String,
    pub active: u32,
    pub succeeded: u32,
    pub failed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeClaimInfo {
    pub name: String,
    pub storage_class: Option<String>,
    pub requested: Option<String>,
    pub capacity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageClassInfo {
    pub name: String,
    pub provisioner: String,
    pub parameters: BTreeMap<String, String>,
    pub allow_volume_expansion: bool,
}

pub(crate) fn node_info(node: &Node) -> NodeInfo {
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let spec = node.spec.as_ref();
    NodeInfo {
        name: node.name_any(),
        labels: node.labels().clone(),
        ready,
        unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
        taints: spec
            .and_then(|s| s.taints.as_ref())
            .map(|taints| {
                taints
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone().unwrap_or_default(), t.effect.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        provider_id: spec.and_then(|s| s.provider_id.clone()),
    }
}

pub(crate) fn pod_info(pod: &Pod) -> PodInfo {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    PodInfo {
        name: pod.name_any(),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        phase: status.and_then(|s| s.phase.clone()).unwrap_or_default(),
        ready,
        terminating: pod.metadata.deletion_timestamp.is_some(),
        owner: pod
            .owner_references()
            .iter()
            .find(|o| o.controller == Some(true))
            .map(|o| (o.kind.clone(), o.name.clone())),
    }
}

pub(crate) fn deployment_info(deployment: &Deployment) -> WorkloadInfo {
    let name = deployment.name_any();
    let status = deployment.status.as_ref();
    WorkloadInfo {
        kind: WorkloadKind::Deployment,
        replicas: deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) as u32,
        ready_replicas: status.and_then(|s| s.ready_replicas).unwrap_or(0) as u32,
        updated_replicas: status.and_then(|s| s.updated_replicas).unwrap_or(0) as u32,
        generation: deployment.metadata.generation.unwrap_or(0),
        observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
        ready_pods_per_node: BTreeMap::new(),
        volume_claim_templates: BTreeMap::new(),
        helm_release: helm_release(&deployment.metadata),
        name,
    }
}

pub(crate) fn statefulset_info(set: &StatefulSet) -> WorkloadInfo {
    let name = set.name_any();
    let status = set.status.as_ref();
    WorkloadInfo {
        kind: WorkloadKind::StatefulSet,
        replicas: set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) as u32,
        volume_claim_templates: claim_templates(set),
        ready_replicas: status.and_then(|s| s.ready_replicas).unwrap_or(0) as u32,
        updated_replicas: status.and_then(|s| s.updated_replicas).unwrap_or(0) as u32,
        generation: set.metadata.generation.unwrap_or(0),
        observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
        ready_pods_per_node: BTreeMap::new(),
        helm_release: helm_release(&set.metadata),
        name,
    }
}

/// The Helm release an object belongs to, as Helm 3 marks it.
fn helm_release(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Option<String> {
    meta.annotations.as_ref()?.get("meta.helm.sh/release-name").cloned()
}

/// Each volume claim template's requested storage: what `helm upgrade` compares the chart's
/// rendered template with (the field is immutable).
fn claim_templates(set: &StatefulSet) -> BTreeMap<String, String> {
    let templates = set.spec.as_ref().and_then(|spec| spec.volume_claim_templates.as_ref());
    templates
        .into_iter()
        .flatten()
        .filter_map(|claim| {
            let storage = claim
                .spec
                .as_ref()?
                .resources
                .as_ref()?
                .requests
                .as_ref()?
                .get("storage")?;
            Some((claim.name_any(), storage.0.clone()))
        })
        .collect()
}

pub(crate) fn daemonset_info(set: &DaemonSet) -> WorkloadInfo {
    let name = set.name_any();
    let status = set.status.as_ref();
    WorkloadInfo {
        kind: WorkloadKind::DaemonSet,
        replicas: status.map_or(0, |s| s.desired_number_scheduled) as u32,
        ready_replicas: status.map_or(0, |s| s.number_ready) as u32,
        updated_replicas: status.and_then(|s| s.updated_number_scheduled).unwrap_or(0) as u32,
        generation: set.metadata.generation.unwrap_or(0),
        observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
        ready_pods_per_node: BTreeMap::new(),
        volume_claim_templates: BTreeMap::new(),
        helm_release: helm_release(&set.metadata),
        name,
    }
}

/// The workload's Ready pods per node, from a pod list read after the workload.
pub(crate) fn ready_pods_per_node(workload: &WorkloadInfo, pods: &[PodInfo]) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for pod in pods
        .iter()
        .filter(|pod| pod.ready && !pod.terminating && owned_by(workload, pod))
    {
        if let Some(node) = &pod.node {
            *counts.entry(node.clone()).or_default() += 1;
        }
    }
    counts
}

fn owned_by(workload: &WorkloadInfo, pod: &PodInfo) -> bool {
    let Some((kind, owner)) = &pod.owner else {
        return false;
    };
    match workload.kind {
        // A Deployment owns ReplicaSets `<name>-<hash>`, which own the pods.
        WorkloadKind::Deployment => {
            kind == "ReplicaSet"
                && owner
                    .rsplit_once('-')
                    .is_some_and(|(prefix, _)| prefix == workload.name)
        }
        WorkloadKind::StatefulSet => kind == "StatefulSet" && *owner == workload.name,
        WorkloadKind::DaemonSet => kind == "DaemonSet" && *owner == workload.name,
    }
}

pub(crate) fn job_info(job: &Job) -> JobInfo {
    let status = job.status.as_ref();
    JobInfo {
        name: job.name_any(),
        active: status.and_then(|s| s.active).unwrap_or(0) as u32,
        succeeded: status.and_then(|s| s.succeeded).unwrap_or(0) as u32,
        failed: status.and_then(|s| s.failed).unwrap_or(0) as u32,
    }
}

pub(crate) fn claim_info(claim: &PersistentVolumeClaim) -> VolumeClaimInfo {
    let storage = |map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
        map.and_then(|m| m.get("storage")).map(|q| q.0.clone())
    };
    VolumeClaimInfo {
        name: claim.name_any(),
        storage_class: claim.spec.as_ref().and_then(|s| s.storage_class_name.clone()),
        requested: storage(
            claim
                .spec
                .as_ref()
                .and_then(|s| s.resources.as_ref())
                .and_then(|r| r.requests.as_ref()),
        ),
        capacity: storage(claim.status.as_ref().and_then(|s| s.capacity.as_ref())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: &str, owner: (&str, &str), ready: bool, terminating: bool) -> PodInfo {
        PodInfo {
            name: name.into(),
            node: Some(node.into()),
            phase: "Running".into(),
            ready,
            terminating,
            owner: Some((owner.0.into(), owner.1.into())),
        }
    }

    fn workload(kind: WorkloadKind, name: &str) -> WorkloadInfo {
        WorkloadInfo {
            kind,
            name: name.into(),
            replicas: 2,
            ready_replicas: 2,
            updated_replicas: 2,
            generation: 1,
            observed_generation: 1,
            ready_pods_per_node: BTreeMap::new(),
            volume_claim_templates: BTreeMap::new(),
            helm_release: None,
        }
    }

    #[test]
    fn only_ready_pods_still_counted_by_their_controller_are_placed_on_nodes() {
        let pods = [
            pod("ingester-7f-a", "n1", ("ReplicaSet", "ingester-7f"), true, false),
            // An old ReplicaSet's pod being deleted still reports Ready: its controller no longer counts it.
            pod("ingester-6c-b", "n1", ("ReplicaSet", "ingester-6c"), true, true),
            pod("ingester-7f-c", "n2", ("ReplicaSet", "ingester-7f"), false, false),
            // Another Deployment whose name only starts the same way.
            pod("ingester-x-9d-d", "n2", ("ReplicaSet", "ingester-x-9d"), true, false),
            pod("server-0", "n2", ("StatefulSet", "server"), true, false),
        ];
        let ingester = workload(WorkloadKind::Deployment, "ingester");
        assert_eq!(
            ready_pods_per_node(&ingester, &pods),
            BTreeMap::from([("n1".to_string(), 1)])
        );
        let server = workload(WorkloadKind::StatefulSet, "server");
        assert_eq!(
            ready_pods_per_node(&server, &pods),
            BTreeMap::from([("n2".to_string(), 1)])
        );
        let agent = workload(WorkloadKind::DaemonSet, "server");
        assert!(ready_pods_per_node(&agent, &pods).is_empty());
    }
}
