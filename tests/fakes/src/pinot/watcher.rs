//! Follows the rig's `pinot-server-*` pods (kube-rs watcher) so new servers join the fake when their
//! pods turn Ready and stop being live when they go. The seam for tests without an API server is
//! `apply_event`: feed it watcher events built from `Pod` objects.
//!
//! The rig starts it with `fake-pinot --watch-namespace <ns>` (kubeconfig from `KUBECONFIG` or the
//! usual places), or in-process with `PinotFake::watch_pods`.
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};

use super::servers::is_server_pod;

/// What the fake needs to know of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    pub name: String,
    pub ready: bool,
}

/// Something that takes server pod changes (the fake's handle).
pub trait ServerPods {
    fn set_pod(&self, pod: &str, ready: bool);
}

/// A server pod as the watcher sees it: Ready means phase Running, condition Ready=True, not deleting.
pub fn pod_view(pod: &Pod) -> Option<PodView> {
    let name = pod.metadata.name.clone()?;
    if !is_server_pod(&name) {
        return None;
    }
    let status = pod.status.as_ref();
    let running = status.and_then(|s| s.phase.as_deref()) == Some("Running");
    let ready_condition = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let deleting = pod.metadata.deletion_timestamp.is_some();
    Some(PodView {
        name,
        ready: running && ready_condition && !deleting,
    })
}

/// Applies one watcher event. A restarted watch (`Init` .. `InitDone`) re-lists every pod; pods that
/// vanished while the watch was down are not seen again here, which is why they only ever lose `live`
/// through `Delete` or a not-Ready update.
pub fn apply_event(event: &Event<Pod>, target: &impl ServerPods) {
    match event {
        Event::Apply(pod) | Event::InitApply(pod) => {
            if let Some(view) = pod_view(pod) {
                target.set_pod(&view.name, view.ready);
            }
        }
        Event::Delete(pod) => {
            if let Some(view) = pod_view(pod) {
                target.set_pod(&view.name, false);
            }
        }
        Event::Init | Event::InitDone => {}
    }
}

/// Watches the pods of `namespace` until the stream ends or fails.
pub async fn watch(client: kube::Client, namespace: &str, target: impl ServerPods) -> anyhow::Result<()> {
    let pods: Api<Pod> = Api::namespaced(client, namespace);
    let mut stream = std::pin::pin!(watcher::watcher(pods, watcher::Config::default()));
    while let Some(event) = stream.next().await {
        match event {
            Ok(event) => apply_event(&event, &target),
            Err(e) => tracing::warn!("pod watch of {namespace}: {e}"),
        }
    }
    Ok(())
}
