//! Brokers that follow the rig's pods: broker `id_base + ordinal` is live while pod
//! `<statefulset>-<ordinal>` is Ready, and fenced when the pod is gone or not Ready (KRaft:
//! `kafka-kraft-broker`, ids from 100; legacy: `kafka-broker`, ids from 0). The pure part
//! ([`desired_brokers`], [`reconcile`]) is the seam unit tests drive; [`run`] feeds it from a
//! kube-rs watch on the namespace's pods.
//!
//! The cluster id follows the pods too. A real KRaft broker formats its storage with the id in its
//! `KAFKA_KRAFT_CLUSTER_ID` environment variable (the chart fills it from a Secret it generates at
//! install), so the cluster's id is whatever the first broker came up with. The fake does the same
//! at its "format": when a broker pod turns Ready while none of the watcher's brokers is live, the
//! cluster takes the id that pod's env names ([`ClusterIdSource`]). Later changes to the Secret do
//! not change a running cluster's id, as in Kafka; that mismatch is what kfscale's
//! `kraft-cluster-id` pre-check exists to catch.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{Context, Result};
use futures::{StreamExt, pin_mut};
use k8s_openapi::api::core::v1::{Node, Pod, Secret};
use kube::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

use crate::kafka::model::Cluster;
use crate::kafka::model::lifecycle::BrokerChange;
use crate::kafka::shared::Shared;

/// Which StatefulSet's pods are the brokers.
#[derive(Debug, Clone)]
pub struct WatchTarget {
    pub namespace: String,
    pub statefulset: String,
    /// Broker id of ordinal 0.
    pub id_base: i32,
    /// Take a new broker's rack from its node's `topology.kubernetes.io/zone` label.
    pub rack_from_node_zone: bool,
}

/// The environment variable a KRaft broker formats its storage with.
pub const CLUSTER_ID_ENV: &str = "KAFKA_KRAFT_CLUSTER_ID";

/// Where a broker pod's cluster id comes from: its `KAFKA_KRAFT_CLUSTER_ID` env, a literal value or a
/// key of a Secret in the pod's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterIdSource {
    Literal(String),
    Secret { name: String, key: String },
}

impl ClusterIdSource {
    /// The first container's `KAFKA_KRAFT_CLUSTER_ID`, if it sets one.
    pub fn of_pod(pod: &Pod) -> Option<ClusterIdSource> {
        let spec = pod.spec.as_ref()?;
        let env = spec.containers.iter().filter_map(|c| c.env.as_ref()).flatten();
        let var = env.into_iter().find(|e| e.name == CLUSTER_ID_ENV)?;
        if let Some(value) = var.value.as_ref().filter(|v| !v.is_empty()) {
            return Some(ClusterIdSource::Literal(value.clone()));
        }
        let secret = var.value_from.as_ref()?.secret_key_ref.as_ref()?;
        Some(ClusterIdSource::Secret {
            name: secret.name.clone(),
            key: secret.key.clone(),
        })
    }

    /// The id itself; `None` while the Secret or its key does not exist.
    async fn resolve(&self, secrets: &Api<Secret>) -> Result<Option<String>> {
        match self {
            ClusterIdSource::Literal(id) => Ok(Some(id.clone())),
            ClusterIdSource::Secret { name, key } => {
                let secret = secrets
                    .get_opt(name)
                    .await
                    .with_context(|| format!("reading Secret {name}"))?;
                let bytes = secret.and_then(|s| s.data).and_then(|mut d| d.remove(key));
                Ok(bytes.and_then(|b| String::from_utf8(b.0).ok()))
            }
        }
    }
}

/// What the watcher needs of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    pub name: String,
    pub ready: bool,
    pub node: Option<String>,
    pub cluster_id: Option<ClusterIdSource>,
}

impl PodView {
    pub fn from_pod(pod: &Pod) -> Option<PodView> {
        let name = pod.metadata.name.clone()?;
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let ready = !terminating
            && pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        Some(PodView {
            name,
            ready,
            node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            cluster_id: ClusterIdSource::of_pod(pod),
        })
    }
}

/// The ordinal of a StatefulSet pod name (`<statefulset>-<ordinal>`).
pub fn ordinal(statefulset: &str, pod: &str) -> Option<i32> {
    let digits = pod.strip_prefix(statefulset)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// Broker ids that should be live: one per Ready pod of the StatefulSet.
pub fn desired_brokers<'a>(target: &WatchTarget, pods: impl IntoIterator<Item = &'a PodView>) -> BTreeSet<i32> {
    pods.into_iter()
        .filter(|p| p.ready)
        .filter_map(|p| ordinal(&target.statefulset, &p.name))
        .map(|o| target.id_base + o)
        .collect()
}

/// Brings the cluster's brokers with ids from `id_base` up to `desired`: missing ones join (or come
/// back), live ones without a Ready pod are fenced. Brokers below `id_base` are not the watcher's.
pub fn reconcile(
    cluster: &mut Cluster,
    target: &WatchTarget,
    desired: &BTreeSet<i32>,
    racks: &BTreeMap<i32, String>,
) -> Vec<(i32, BrokerChange)> {
    let mut changes = Vec::new();
    for &id in desired {
        let change = cluster.broker_up(id, racks.get(&id).cloned());
        if change != BrokerChange::Unchanged {
            changes.push((id, change));
        }
    }
    let live: Vec<i32> = cluster
        .active_brokers()
        .map(|b| b.id)
        .filter(|&id| id >= target.id_base)
        .collect();
    for id in live.into_iter().filter(|id| !desired.contains(id)) {
        changes.push((id, cluster.broker_down(id)));
    }
    changes
}

/// The cluster id to format with, when the cluster is being formatted: some broker pod is Ready
/// and none of the watcher's brokers is live yet. The lowest ordinal's source, so runs repeat.
pub fn formatting_source<'a>(
    cluster: &Cluster,
    target: &WatchTarget,
    pods: impl IntoIterator<Item = &'a PodView>,
) -> Option<ClusterIdSource> {
    if cluster.active_brokers().any(|b| b.id >= target.id_base) {
        return None;
    }
    pods.into_iter()
        .filter(|p| p.ready)
        .filter_map(|p| Some((ordinal(&target.statefulset, &p.name)?, p.cluster_id.clone()?)))
        .min_by_key(|(ordinal, _)| *ordinal)
        .map(|(_, source)| source)
}

/// A kube client from a kubeconfig file, or from the environment (KUBECONFIG, in-cluster).
pub async fn client(kubeconfig: Option<&std::path::Path>) -> Result<kube::Client> {
    let config = match kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default())
                .await
                .with_context(|| format!("loading kubeconfig {}", path.display()))?
        }
        None => kube::Config::infer()
            .await
            .context("finding a kubeconfig (KUBECONFIG or in-cluster)")?,
    };
    kube::Client::try_from(config).context("building the Kubernetes client")
}

/// Follows the pods until the watch ends (never, unless the task is aborted).
pub async fn run(shared: Arc<Shared>, client: kube::Client, target: WatchTarget) -> Result<()> {
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
    let secrets_api: Api<Secret> = Api::namespaced(client.clone(), &target.namespace);
    let nodes_api: Api<Node> = Api::all(client);
    let stream = watcher::watcher(pods_api, watcher::Config::default()).default_backoff();
    pin_mut!(stream);
    let mut pods: BTreeMap<String, PodView> = BTreeMap::new();
    let mut listing: Option<BTreeMap<String, PodView>> = None;
    let mut zones: BTreeMap<String, String> = BTreeMap::new();
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "pod watch error (retrying)");
                continue;
            }
        };
        let ours = |pod: &Pod| {
            let view = PodView::from_pod(pod)?;
            ordinal(&target.statefulset, &view.name).map(|_| view)
        };
        match event {
            Event::Init => listing = Some(BTreeMap::new()),
            Event::InitApply(pod) => {
                if let (Some(view), Some(list)) = (ours(&pod), listing.as_mut()) {
                    list.insert(view.name.clone(), view);
                }
            }
            Event::InitDone => pods = listing.take().unwrap_or_default(),
            Event::Apply(pod) => {
                if let Some(view) = ours(&pod) {
                    pods.insert(view.name.clone(), view);
                }
            }
            Event::Delete(pod) => {
                if let Some(view) = ours(&pod) {
                    pods.remove(&view.name);
                }
            }
        }
        if listing.is_some() {
            continue;
        }
        let desired = desired_brokers(&target, pods.values());
        let mut racks = BTreeMap::new();
        if target.rack_from_node_zone {
            for pod in pods.values().filter(|p| p.ready) {
                let (Some(node), Some(o)) = (&pod.node, ordinal(&target.statefulset, &pod.name)) else {
                    continue;
                };
                if !zones.contains_key(node)
                    && let Ok(n) = nodes_api.get(node).await
                    && let Some(zone) = n
                        .metadata
                        .labels
                        .and_then(|l| l.get("topology.kubernetes.io/zone").cloned())
                {
                    zones.insert(node.clone(), zone);
                }
                if let Some(zone) = zones.get(node) {
                    racks.insert(target.id_base + o, zone.clone());
                }
            }
        }
        let source = shared.with_cluster(|c| formatting_source(c, &target, pods.values()));
        let formatted_id = match source {
            Some(source) => match source.resolve(&secrets_api).await {
                Ok(id) => id,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "cluster id of the broker pods (retried on the next event)");
                    None
                }
            },
            None => None,
        };
        let changes = shared.with_cluster(|c| {
            if let Some(id) = &formatted_id
                && *id != c.cluster_id
            {
                tracing::info!(from = %c.cluster_id, to = %id, "brokers formatted with their pods' cluster id");
                c.cluster_id = id.clone();
            }
            reconcile(c, &target, &desired, &racks)
        });
        if !changes.is_empty() {
            tracing::info!(?changes, "brokers follow the pods");
            shared.sync_listeners();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::seed::{Layout, Seed};

    fn target() -> WatchTarget {
        WatchTarget {
            namespace: "kfuse".into(),
            statefulset: "kafka-kraft-broker".into(),
            id_base: 100,
            rack_from_node_zone: false,
        }
    }

    fn pod(name: &str, ready: bool) -> PodView {
        PodView {
            name: name.into(),
            ready,
            node: None,
            cluster_id: None,
        }
    }

    fn formatted_pod(name: &str, ready: bool, id: &str) -> PodView {
        PodView {
            cluster_id: Some(ClusterIdSource::Literal(id.into())),
            ..pod(name, ready)
        }
    }

    #[test]
    fn the_cluster_id_comes_from_the_pods_env_literal_or_secret_key() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "kafka-kraft-broker-0" },
            "spec": { "containers": [{ "name": "kafka", "env": [
                { "name": "OTHER", "value": "x" },
                { "name": "KAFKA_KRAFT_CLUSTER_ID", "valueFrom": { "secretKeyRef": { "name": "kafka-kraft-kraft-cluster-id", "key": "kraft-cluster-id" } } }
            ] }] }
        }))
        .unwrap();
        assert_eq!(
            ClusterIdSource::of_pod(&pod),
            Some(ClusterIdSource::Secret {
                name: "kafka-kraft-kraft-cluster-id".into(),
                key: "kraft-cluster-id".into()
            })
        );
        let literal: Pod = serde_json::from_value(serde_json::json!({
            "spec": { "containers": [{ "name": "kafka", "env": [{ "name": "KAFKA_KRAFT_CLUSTER_ID", "value": "abc" }] }] }
        }))
        .unwrap();
        assert_eq!(
            ClusterIdSource::of_pod(&literal),
            Some(ClusterIdSource::Literal("abc".into()))
        );
        let none: Pod =
            serde_json::from_value(serde_json::json!({ "spec": { "containers": [{ "name": "kafka" }] } })).unwrap();
        assert_eq!(ClusterIdSource::of_pod(&none), None);
    }

    #[test]
    fn the_cluster_is_formatted_with_the_first_ready_brokers_id_and_keeps_it() {
        let mut cluster = Cluster::from_seed(&Seed::with_brokers(Layout::Kraft, 3), 0, 0).unwrap();
        // Seed brokers live: a running cluster, nothing to format.
        let pods = [
            formatted_pod("kafka-kraft-broker-1", true, "id-b"),
            formatted_pod("kafka-kraft-broker-0", true, "id-a"),
        ];
        assert_eq!(formatting_source(&cluster, &target(), &pods), None);
        // No broker of the watcher's is live (a fresh install): the lowest Ready ordinal's id.
        reconcile(&mut cluster, &target(), &BTreeSet::new(), &BTreeMap::new());
        assert_eq!(
            formatting_source(&cluster, &target(), &pods),
            Some(ClusterIdSource::Literal("id-a".into()))
        );
        // Pods not Ready, or without the env, format nothing.
        let waiting = [
            formatted_pod("kafka-kraft-broker-0", false, "id-a"),
            pod("kafka-kraft-broker-1", true),
        ];
        assert_eq!(formatting_source(&cluster, &target(), &waiting), None);
        // Once a broker is live, a changed Secret no longer changes the id.
        reconcile(&mut cluster, &target(), &BTreeSet::from([100]), &BTreeMap::new());
        assert_eq!(
            formatting_source(
                &cluster,
                &target(),
                &[formatted_pod("kafka-kraft-broker-0", true, "id-z")]
            ),
            None
        );
    }

    #[test]
    fn ordinals_come_from_statefulset_pod_names_only() {
        assert_eq!(ordinal("kafka-kraft-broker", "kafka-kraft-broker-3"), Some(3));
        assert_eq!(ordinal("kafka-kraft-broker", "kafka-kraft-broker-12"), Some(12));
        assert_eq!(ordinal("kafka-kraft-broker", "kafka-kraft-broker-x"), None);
        assert_eq!(ordinal("kafka-kraft-broker", "kafka-kraft-controller-0"), None);
        assert_eq!(ordinal("kafka-broker", "kafka-broker-01"), None);
    }

    #[test]
    fn ready_pods_are_live_brokers_and_the_rest_are_fenced() {
        let mut cluster = Cluster::from_seed(&Seed::with_brokers(Layout::Kraft, 3), 0, 0).unwrap();
        let pods = [
            pod("kafka-kraft-broker-0", true),
            pod("kafka-kraft-broker-1", false),
            pod("kafka-kraft-broker-3", true),
        ];
        let desired = desired_brokers(&target(), &pods);
        assert_eq!(desired, BTreeSet::from([100, 103]));
        let changes = reconcile(&mut cluster, &target(), &desired, &BTreeMap::new());
        assert_eq!(
            changes,
            vec![
                (103, BrokerChange::Registered),
                (101, BrokerChange::Fenced),
                (102, BrokerChange::Fenced)
            ]
        );
        let live: Vec<i32> = cluster.active_brokers().map(|b| b.id).collect();
        assert_eq!(live, vec![100, 103]);
        // A pod Ready again brings its broker back with the same id.
        let desired = desired_brokers(
            &target(),
            &[pod("kafka-kraft-broker-0", true), pod("kafka-kraft-broker-1", true)],
        );
        let changes = reconcile(&mut cluster, &target(), &desired, &BTreeMap::new());
        assert_eq!(
            changes,
            vec![(101, BrokerChange::Unfenced), (103, BrokerChange::Fenced)]
        );
    }

    #[test]
    fn legacy_ids_start_at_zero() {
        let legacy = WatchTarget {
            statefulset: "kafka-broker".into(),
            id_base: 0,
            ..target()
        };
        let desired = desired_brokers(&legacy, &[pod("kafka-broker-0", true), pod("kafka-broker-2", true)]);
        assert_eq!(desired, BTreeSet::from([0, 2]));
    }
}
