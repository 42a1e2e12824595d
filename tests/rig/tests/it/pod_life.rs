//! On the rig, without a kubelet: pods start and turn Ready, Job pods complete, injected faults hold
//! pods NotReady or fail them, and a node group shrinking through the EKS API takes its node and
//! that node's pods away, after which the workload recovers on the remaining node.
use std::time::Duration;

use anyhow::Result;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::faults::{self, Fault};
use kfscale_rig::nodes::eks::NODEGROUP_LABEL;
use kfscale_rig::{RigEnv, names, wait};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn pods_start_complete_fail_on_request_and_follow_their_nodes() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let eks_client = rig.eks_client().await?;
    let id = names::unique("life");
    let nodegroup = format!("{id}-ng");
    let selector = format!("{NODEGROUP_LABEL}={nodegroup}");
    eks::create(&eks_client, &NodeGroup::new(&id, &nodegroup, 2)).await?;
    wait::ready_nodes(&kube, &selector, 2, WAIT).await?;

    let ns: Namespace = serde_json::from_value(json!({ "metadata": { "name": id } }))?;
    Api::<Namespace>::all(kube.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    let deployments: Api<Deployment> = Api::namespaced(kube.clone(), &id);
    let jobs: Api<Job> = Api::namespaced(kube.clone(), &id);
    let pods: Api<Pod> = Api::namespaced(kube.clone(), &id);
    deployments
        .create(&PostParams::default(), &serde_json::from_value(deployment(&nodegroup))?)
        .await?;
    jobs.create(
        &PostParams::default(),
        &serde_json::from_value(job("once", &nodegroup))?,
    )
    .await?;

    let web_ready = |want: i32| {
        let deployments = deployments.clone();
        async move {
            let d = deployments.get("web").await?;
            let ready = d.status.and_then(|s| s.ready_replicas).unwrap_or(0);
            Ok(if ready == want {
                Ok(())
            } else {
                Err(format!("{ready} Ready"))
            })
        }
    };
    wait::until("web to have 2 Ready pods", WAIT, || web_ready(2)).await?;
    wait::until("Job once to complete", WAIT, || {
        job_condition(&jobs, "once", "Complete")
    })
    .await?;

    // A fault listed in the namespace's ConfigMap holds readiness back; clearing it restores it.
    faults::set(kube.clone(), &id, Fault::NotReady, &["web-*"]).await?;
    wait::until("web pods to turn NotReady", WAIT, || web_ready(0)).await?;
    let listed = pods.list(&ListParams::default().labels("app=web")).await?;
    for pod in &listed {
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        assert_eq!(phase, Some("Running"), "a NotReady pod keeps running");
    }
    faults::set(kube.clone(), &id, Fault::NotReady, &[]).await?;
    wait::until("web pods to be Ready again", WAIT, || web_ready(2)).await?;

    // A failing pod fails its Job.
    faults::set(kube.clone(), &id, Fault::Fail, &["crash-*"]).await?;
    jobs.create(
        &PostParams::default(),
        &serde_json::from_value(job("crash", &nodegroup))?,
    )
    .await?;
    wait::until("Job crash to fail", WAIT, || job_condition(&jobs, "crash", "Failed")).await?;

    // 2 -> 1 through the EKS API: one node goes with its pods; web recovers on the other node.
    eks::resize(&eks_client, &id, &nodegroup, 1).await?;
    let left = wait::ready_nodes(&kube, &selector, 1, WAIT).await?;
    let survivor = left[0].metadata.name.clone().unwrap_or_default();
    wait::until("web to run both pods on the remaining node", WAIT, || {
        let pods = pods.clone();
        let survivor = survivor.clone();
        async move {
            let web = pods.list(&ListParams::default().labels("app=web")).await?.items;
            let placed: Vec<String> = web
                .iter()
                .filter(|p| wait::pod_ready(p))
                .filter_map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
                .collect();
            Ok(
                if web.len() == 2 && placed.len() == 2 && placed.iter().all(|n| *n == survivor) {
                    Ok(())
                } else {
                    Err(format!("{} pods, Ready on {placed:?}", web.len()))
                },
            )
        }
    })
    .await?;

    Api::<Namespace>::all(kube.clone())
        .delete(&id, &DeleteParams::default())
        .await?;
    eks::resize(&eks_client, &id, &nodegroup, 0).await?;
    wait::until("the node group's nodes to go", WAIT, || async {
        let nodes = Api::<Node>::all(kube.clone())
            .list(&ListParams::default().labels(&selector))
            .await?;
        Ok(if nodes.items.is_empty() {
            Ok(())
        } else {
            Err(format!("{} nodes", nodes.items.len()))
        })
    })
    .await
}

async fn job_condition(jobs: &Api<Job>, name: &str, condition: &str) -> Result<std::result::Result<(), String>> {
    let job = jobs.get(name).await?;
    let conditions = job.status.and_then(|s| s.conditions).unwrap_or_default();
    Ok(
        if conditions.iter().any(|c| c.type_ == condition && c.status == "True") {
            Ok(())
        } else {
            Err(format!(
                "conditions {:?}",
                conditions.iter().map(|c| &c.type_).collect::<Vec<_>>()
            ))
        },
    )
}

fn pod_spec(nodegroup: &str, restart: &str) -> serde_json::Value {
    json!({
        "restartPolicy": restart,
        "nodeSelector": { NODEGROUP_LABEL: nodegroup },
        "containers": [{ "name": "main", "image": "registry.kfscale.invalid/pause:1" }],
    })
}

fn deployment(nodegroup: &str) -> serde_json::Value {
    json!({
        "metadata": { "name": "web" },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "web" } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": pod_spec(nodegroup, "Always"),
            },
        },
    })
}

fn job(name: &str, nodegroup: &str) -> serde_json::Value {
    json!({
        "metadata": { "name": name },
        "spec": {
            "backoffLimit": 0,
            "template": { "spec": pod_spec(nodegroup, "Never") },
        },
    })
}
