//! What a kubelet would report for a pod: the target state and the status patch that reaches it.
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::nodes::object::now;

/// The state the runner drives a bound pod to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Containers running; Ready unless a fault holds readiness back.
    Running { ready: bool },
    /// A run-to-completion pod (a Job's) whose containers exited 0.
    Succeeded,
    /// Containers exited 1.
    Failed,
    /// Never started (image pull error).
    Pending,
}

/// Where a bound pod should go, given the fault that applies to it.
pub fn target(pod: &Pod, fault: Option<Fault>) -> Target {
    match fault {
        Some(Fault::Fail) => Target::Failed,
        Some(Fault::Pending) => Target::Pending,
        Some(Fault::NotReady) => Target::Running { ready: false },
        None if runs_to_completion(pod) => Target::Succeeded,
        None => Target::Running { ready: true },
    }
}

/// The state the pod's status shows now, as far as the runner distinguishes states.
pub fn current(pod: &Pod) -> Target {
    let status = pod.status.as_ref();
    match status.and_then(|s| s.phase.as_deref()) {
        Some("Running") => Target::Running {
            ready: status
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")),
        },
        Some("Succeeded") => Target::Succeeded,
        Some("Failed") => Target::Failed,
        _ => Target::Pending,
    }
}

/// Whether the pod has finished for good: a kubelet never restarts a terminal pod.
pub fn is_terminal(pod: &Pod) -> bool {
    matches!(current(pod), Target::Succeeded | Target::Failed)
}

/// Job pods (and any pod with restartPolicy Never/OnFailure owned by a Job) run to completion.
fn runs_to_completion(pod: &Pod) -> bool {
    pod.metadata
        .owner_references
        .as_ref()
        .is_some_and(|refs| refs.iter().any(|r| r.kind == "Job"))
}

/// The status patch that moves `pod` to `target`, with the pod and host IPs a kubelet would report.
pub fn patch(pod: &Pod, target: Target, host_ip: &str, pod_ip: &str) -> Value {
    let now = now();
    let spec = pod.spec.as_ref();
    let containers: Vec<(&str, &str)> = spec
        .map(|s| {
            s.containers
                .iter()
                .map(|c| (c.name.as_str(), c.image.as_deref().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let init: Vec<(&str, &str)> = spec
        .and_then(|s| s.init_containers.as_ref())
        .map(|cs| {
            cs.iter()
                .map(|c| (c.name.as_str(), c.image.as_deref().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    let status_of = |(name, image): (&str, &str), state: Value, ready: bool| {
        json!({
            "name": name, "image": image, "imageID": format!("rig://{image}"),
            "containerID": format!("rig://{uid}/{name}"), "ready": ready,
            "started": state.get("running").is_some(), "restartCount": 0, "state": state,
        })
    };
    let exited = |code: i32| {
        json!({ "terminated": { "exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" },
                                "startedAt": now, "finishedAt": now } })
    };
    let (phase, main_state, ready) = match target {
        Target::Running { ready } => ("Running", json!({ "running": { "startedAt": now } }), ready),
        Target::Succeeded => ("Succeeded", exited(0), false),
        Target::Failed => ("Failed", exited(1), false),
        Target::Pending => (
            "Pending",
            json!({ "waiting": { "reason": "ImagePullBackOff",
                                 "message": "rig fault injection: image never pulls" } }),
            false,
        ),
    };
    let started = target != Target::Pending;
    let condition = |kind: &str, status: bool, reason: Option<&str>| {
        let mut c = json!({ "type": kind, "status": if status { "True" } else { "False" },
                            "lastProbeTime": null, "lastTransitionTime": now });
        if let Some(reason) = reason {
            c["reason"] = json!(reason);
        }
        c
    };
    let not_ready_reason = match target {
        Target::Succeeded | Target::Failed => Some("PodCompleted"),
        _ => Some("ContainersNotReady"),
    };
    let reason = if ready { None } else { not_ready_reason };
    json!({
        "status": {
            "phase": phase,
            "hostIP": host_ip,
            "podIP": if started { json!(pod_ip) } else { Value::Null },
            "podIPs": if started { json!([{ "ip": pod_ip }]) } else { Value::Null },
            "startTime": now,
            "conditions": [
                condition("Initialized", true, None),
                condition("Ready", ready, reason),
                condition("ContainersReady", ready, reason),
                condition("PodScheduled", true, None),
            ],
            "initContainerStatuses": init.into_iter().map(|c| status_of(c, exited(0), false)).collect::<Vec<_>>(),
            "containerStatuses": containers.into_iter().map(|c| status_of(c, main_state.clone(), ready)).collect::<Vec<_>>(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(owner_kind: Option<&str>) -> Pod {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": "p", "uid": "u" },
            "spec": { "containers": [{ "name": "main", "image": "pause" }] },
        }))
        .unwrap();
        if let Some(kind) = owner_kind {
            pod.metadata.owner_references = Some(vec![
                serde_json::from_value(json!({
                    "apiVersion": "batch/v1", "kind": kind, "name": "j", "uid": "j"
                }))
                .unwrap(),
            ]);
        }
        pod
    }

    #[test]
    fn targets() {
        assert_eq!(target(&pod(None), None), Target::Running { ready: true });
        assert_eq!(target(&pod(Some("Job")), None), Target::Succeeded);
        assert_eq!(target(&pod(Some("Job")), Some(Fault::Fail)), Target::Failed);
        assert_eq!(
            target(&pod(Some("ReplicaSet")), Some(Fault::NotReady)),
            Target::Running { ready: false }
        );
    }

    #[test]
    fn a_patched_pod_reads_back_as_its_target() {
        for t in [
            Target::Running { ready: true },
            Target::Running { ready: false },
            Target::Succeeded,
            Target::Failed,
        ] {
            let mut p = pod(None);
            let patch = patch(&p, t, "10.0.0.1", "10.244.0.2");
            p.status = Some(serde_json::from_value(patch["status"].clone()).unwrap());
            assert_eq!(current(&p), t);
        }
    }
}
