//! The pod runner: the part of a kubelet the rig needs. Bound pods start (after a delay) and become
//! Running and Ready, Job pods complete, pods being deleted are finally removed (a kubelet confirms
//! every graceful deletion), and pods named by a fault misbehave as told (see `faults`).
pub mod status;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use tracing::{info, warn};

use crate::{faults, ignore_not_found};
use status::Target;

pub struct Runner {
    client: kube::Client,
    start_delay: Duration,
    /// When each bound pod was first seen, to time its start.
    bound_at: Mutex<HashMap<String, Instant>>,
    next_ip: AtomicU32,
}

impl Runner {
    pub fn new(client: kube::Client, start_delay: Duration) -> Self {
        Self {
            client,
            start_delay,
            bound_at: Mutex::new(HashMap::new()),
            next_ip: AtomicU32::new(2),
        }
    }

    /// Runs until the process ends. A fault ConfigMap change re-reconciles every pod of its namespace.
    pub async fn run(self) {
        let client = self.client.clone();
        let controller = Controller::new(Api::<Pod>::all(client.clone()), watcher::Config::default());
        let store = controller.store();
        controller
            .watches(
                Api::<ConfigMap>::all(client),
                watcher::Config::default().fields(&format!("metadata.name={}", faults::CONFIG_MAP)),
                move |cm| {
                    let ns = cm.metadata.namespace.clone();
                    store
                        .state()
                        .into_iter()
                        .filter(|p| p.metadata.namespace == ns)
                        .map(|p| ObjectRef::from_obj(&*p))
                        .collect::<Vec<_>>()
                },
            )
            .run(reconcile, on_error, Arc::new(self))
            .for_each(|result| async move {
                match result {
                    // A pod deleted before its queued reconcile ran: nothing left to do.
                    Ok(_) | Err(controller::Error::ObjectNotFound(_)) => {}
                    Err(err) => warn!("pod runner: {err}"),
                }
            })
            .await;
    }

    fn pod_ip(&self) -> String {
        let n = self.next_ip.fetch_add(1, Ordering::Relaxed);
        format!("10.244.{}.{}", (n >> 8) & 0xff, n & 0xff)
    }
}

async fn reconcile(pod: Arc<Pod>, runner: Arc<Runner>) -> Result<Action, kube::Error> {
    let (Some(ns), Some(name), Some(uid)) = (
        pod.metadata.namespace.as_deref(),
        pod.metadata.name.as_deref(),
        pod.metadata.uid.as_deref(),
    ) else {
        return Ok(Action::await_change());
    };
    let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
        return Ok(Action::await_change()); // not scheduled yet
    };
    let pods: Api<Pod> = Api::namespaced(runner.client.clone(), ns);

    if pod.metadata.deletion_timestamp.is_some() {
        // A kubelet stops the containers and confirms the deletion; without one the pod would stay
        // Terminating forever and block StatefulSet and Deployment rollouts.
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(uid.to_owned()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        runner.forget(uid);
        return match pods.delete(name, &params).await {
            Ok(_) => Ok(Action::await_change()),
            Err(kube::Error::Api(e)) if e.is_not_found() || e.code == 409 => Ok(Action::await_change()),
            Err(err) => Err(err),
        };
    }
    if status::is_terminal(&pod) {
        runner.forget(uid);
        return Ok(Action::await_change());
    }

    let config = Api::<ConfigMap>::namespaced(runner.client.clone(), ns)
        .get_opt(faults::CONFIG_MAP)
        .await?
        .and_then(|cm| cm.data);
    let annotation = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(faults::ANNOTATION))
        .map(String::as_str);
    let fault = faults::fault_for(name, annotation, config.as_ref());
    let target = status::target(&pod, fault);
    let current = status::current(&pod);
    let settled = target == current && (target != Target::Pending || already_waiting(&pod));
    // A started pod never goes back to Pending; readiness flips and failures are the only changes.
    if settled || (target == Target::Pending && current != Target::Pending) {
        return Ok(Action::await_change());
    }
    if current == Target::Pending {
        let waited = runner.waited(uid);
        if waited < runner.start_delay {
            return Ok(Action::requeue(runner.start_delay - waited));
        }
    }

    let Some(host_ip) = node_ip(&runner.client, node).await? else {
        // Bound to a node that is gone (its machine terminated): the pod goes too, at once rather
        // than after the pod garbage collector's 40 s quarantine.
        let gone = pods.delete(name, &DeleteParams::default().grace_period(0)).await;
        return ignore_not_found(gone).map(|()| Action::await_change());
    };
    // A pod keeps its IP when only its readiness flips.
    let pod_ip = pod
        .status
        .as_ref()
        .and_then(|s| s.pod_ip.clone())
        .unwrap_or_else(|| runner.pod_ip());
    let patch = status::patch(&pod, target, &host_ip, &pod_ip);
    let patched = pods
        .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
        .await;
    ignore_not_found(patched)?;
    runner.forget(uid); // started: no more start delay to time
    info!("pod {ns}/{name} on {node}: {target:?}");
    Ok(Action::await_change())
}

impl Runner {
    /// How long this pod has been bound and waiting to start, counted from first sight.
    fn waited(&self, uid: &str) -> Duration {
        let mut bound = self.bound_at.lock().unwrap_or_else(|e| e.into_inner());
        bound.entry(uid.to_owned()).or_insert_with(Instant::now).elapsed()
    }

    fn forget(&self, uid: &str) {
        self.bound_at.lock().unwrap_or_else(|e| e.into_inner()).remove(uid);
    }
}

/// A pod held Pending by a fault already shows its image pull error.
fn already_waiting(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.state.as_ref().and_then(|s| s.waiting.as_ref()).is_some())
        })
}

/// The node's InternalIP, which becomes the pod's hostIP; None when the node does not exist.
async fn node_ip(client: &kube::Client, node: &str) -> Result<Option<String>, kube::Error> {
    let Some(node) = Api::<Node>::all(client.clone()).get_opt(node).await? else {
        return Ok(None);
    };
    let addresses: BTreeMap<String, String> = node
        .status
        .and_then(|s| s.addresses)
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.type_, a.address))
        .collect();
    Ok(Some(addresses.get("InternalIP").cloned().unwrap_or_default()))
}

/// Retries soon; the error itself is logged where the controller's results are drained.
fn on_error(_pod: Arc<Pod>, _err: &kube::Error, _runner: Arc<Runner>) -> Action {
    Action::requeue(Duration::from_millis(500))
}
