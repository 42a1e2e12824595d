//! The scheduler probe: proof that kube-scheduler sees a new node schedulable before the rig calls
//! it Ready.
//!
//! A real node takes a minute to boot, so the scheduler's informer has long seen it when it turns
//! Ready. The rig's nodes boot in a second, and on a loaded machine the scheduler's view can lag the
//! API by more than that. A pod scheduled in that gap is placed as if the node did not exist (topology
//! spread counts only the nodes the scheduler knows) and never moves, so an apply that waited for
//! Ready nodes correctly would still find its pods crowded. The probe closes the gap the way a real
//! boot does: a pod that can only go to this node (pinned by name, tolerating only the pool's own
//! taints) is bound by the scheduler only once its cache holds the node without the not-ready taint.
use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::{Pod, Taint};
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::json;

use crate::ignore_not_found;

/// Where probes live: a namespace every API server has and no test installs into.
pub const NAMESPACE: &str = "kube-system";

/// The probe pod's name for a node (node names are DNS labels, and the prefix keeps it under 253).
pub fn name(node: &str) -> String {
    format!("rig-scheduler-probe-{node}")
}

/// What the probe of a node says so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// The scheduler bound the probe to the node: its view holds the node, schedulable.
    Yes,
    /// Not yet (the probe was just created, or is still pending).
    NotYet,
}

/// Creates the node's probe if there is none, and says whether the scheduler has bound it; a bound
/// probe is deleted at once, having said what it had to.
pub async fn scheduler_sees(client: &kube::Client, node: &str, pool_taints: &[Taint]) -> Result<Seen> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    let probe_name = name(node);
    let existing = pods
        .get_opt(&probe_name)
        .await
        .with_context(|| format!("reading the scheduler probe of node {node}"))?;
    let Some(probe) = existing else {
        let body: Pod = serde_json::from_value(probe_pod(node, pool_taints))?;
        match pods.create(&PostParams::default(), &body).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e).with_context(|| format!("creating the scheduler probe of node {node}")),
        }
        return Ok(Seen::NotYet);
    };
    let bound_to = probe.spec.as_ref().and_then(|s| s.node_name.as_deref());
    if bound_to != Some(node) {
        return Ok(Seen::NotYet);
    }
    forget(client, node).await?;
    Ok(Seen::Yes)
}

/// Deletes the node's probe, if any (also for a node removed before its probe was bound).
pub async fn forget(client: &kube::Client, node: &str) -> Result<()> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    ignore_not_found(pods.delete(&name(node), &DeleteParams::default().grace_period(0)).await)
        .with_context(|| format!("deleting the scheduler probe of node {node}"))?;
    Ok(())
}

fn probe_pod(node: &str, pool_taints: &[Taint]) -> serde_json::Value {
    // Tolerate the pool's own taints only: the not-ready taint must keep the probe out until it is gone.
    let tolerations: Vec<_> = pool_taints
        .iter()
        .map(|t| json!({ "key": t.key, "operator": "Equal", "value": t.value.clone().unwrap_or_default(), "effect": t.effect }))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name(node),
            "namespace": NAMESPACE,
            "labels": { "rig.kfscale.io/scheduler-probe": "true" },
        },
        "spec": {
            "automountServiceAccountToken": false,
            "terminationGracePeriodSeconds": 0,
            "tolerations": tolerations,
            "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{ "matchFields": [
                    { "key": "metadata.name", "operator": "In", "values": [node] }
                ] }]
            } } },
            "containers": [{ "name": "probe", "image": "rig/scheduler-probe:0" }],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_is_pinned_to_its_node_and_tolerates_only_the_pool_taints() {
        let taint = Taint {
            key: "kf_role".into(),
            value: Some("data".into()),
            effect: "NoSchedule".into(),
            time_added: None,
        };
        let pod: Pod = serde_json::from_value(probe_pod("n-1", &[taint])).unwrap();
        let spec = pod.spec.unwrap();
        let tolerations = spec.tolerations.unwrap();
        assert_eq!(tolerations.len(), 1);
        assert_eq!(tolerations[0].key.as_deref(), Some("kf_role"));
        assert_eq!(tolerations[0].operator.as_deref(), Some("Equal"));
        let terms = spec.affinity.unwrap().node_affinity.unwrap();
        let fields = &terms
            .required_during_scheduling_ignored_during_execution
            .unwrap()
            .node_selector_terms[0];
        assert_eq!(
            fields.match_fields.as_ref().unwrap()[0].values.as_deref(),
            Some(&["n-1".to_owned()][..])
        );
        assert_eq!(pod.metadata.name.as_deref(), Some("rig-scheduler-probe-n-1"));
    }
}
