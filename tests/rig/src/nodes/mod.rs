//! The node provisioner: mirrors every cloud node pool into Kubernetes Node objects.
//!
//! Level-triggered: each round lists the pools and the rig's nodes and closes the gap. A new machine
//! registers at once as NotReady and turns Ready after the boot delay; a removed machine's pods are
//! deleted (the instance is gone) and then its Node.
pub mod aks;
pub mod eks;
pub mod gke;
pub mod object;
pub mod source;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use tracing::{info, warn};

use crate::ignore_not_found;
use object::{SOURCE_LABEL, node_name, ownership};
use source::{Machine, PoolSource, PoolSpec};

pub struct Provisioner {
    nodes: Api<Node>,
    pods: Api<Pod>,
    sources: Vec<Box<dyn PoolSource>>,
    boot_delay: Duration,
    poll: Duration,
    /// When each node this process registered was created, to time its boot. A node registered by an
    /// earlier run of the daemon is judged by its creation timestamp instead.
    registered: HashMap<String, Instant>,
}

impl Provisioner {
    pub fn new(client: kube::Client, sources: Vec<Box<dyn PoolSource>>, boot_delay: Duration, poll: Duration) -> Self {
        Self {
            nodes: Api::all(client.clone()),
            pods: Api::all(client),
            sources,
            boot_delay,
            poll,
            registered: HashMap::new(),
        }
    }

    /// Runs until the process ends; a failed round is logged and retried on the next tick.
    pub async fn run(mut self) {
        loop {
            if let Err(err) = self.reconcile().await {
                warn!("node provisioner: {err:#}");
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    async fn reconcile(&mut self) -> Result<()> {
        let all = self
            .nodes
            .list(&ListParams::default().labels(SOURCE_LABEL))
            .await
            .context("listing the rig's nodes")?;
        for index in 0..self.sources.len() {
            let source = &self.sources[index];
            let pools = match source.pools().await {
                Ok(pools) => pools,
                Err(err) => {
                    warn!("{} pools unavailable, nodes left as they are: {err:#}", source.kind());
                    continue;
                }
            };
            let kind = source.kind();
            let owned: BTreeMap<String, &Node> = all
                .items
                .iter()
                .filter(|n| label(n, SOURCE_LABEL) == Some(kind))
                .map(|n| (n.metadata.name.clone().unwrap_or_default(), n))
                .collect();
            // One source's failure (a node the API server refuses) must not stall the others.
            if let Err(err) = self.reconcile_source(index, &pools, &owned).await {
                warn!("{kind} nodes: {err:#}");
            }
        }
        Ok(())
    }

    async fn reconcile_source(
        &mut self,
        source_index: usize,
        pools: &[PoolSpec],
        owned: &BTreeMap<String, &Node>,
    ) -> Result<()> {
        let source = self.sources[source_index].as_ref();
        let mut wanted: BTreeMap<String, (&PoolSpec, Machine)> = BTreeMap::new();
        for pool in pools {
            for machine in pool.machines() {
                wanted.insert(node_name(source, pool, &machine), (pool, machine));
            }
        }
        let mut to_create = Vec::new();
        let mut to_ready = Vec::new();
        for (name, (pool, machine)) in &wanted {
            match owned.get(name) {
                None => to_create.push(object::registering_node(source, pool, machine)),
                Some(node) if !is_ready(node) && self.booted(name, node) => to_ready.push((name.clone(), *pool)),
                Some(node) if !owned_by(node, source, pool) => {
                    warn!("node {name} exists with other owner labels; left alone")
                }
                Some(_) => {}
            }
        }
        for body in to_create {
            let node: Node = serde_json::from_value(body)?;
            let name = node.metadata.name.clone().unwrap_or_default();
            self.nodes
                .create(&PostParams::default(), &node)
                .await
                .with_context(|| format!("registering node {name}"))?;
            info!("node {name} registered (NotReady for {:?})", self.boot_delay);
            self.registered.insert(name, Instant::now());
        }
        for (name, pool) in to_ready {
            // Taint off before Ready: whoever sees the node Ready may schedule onto it at once.
            self.nodes
                .patch(&name, &PatchParams::default(), &Patch::Merge(object::pool_taints(pool)))
                .await
                .with_context(|| format!("removing the not-ready taint of node {name}"))?;
            self.nodes
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(object::ready_status()))
                .await
                .with_context(|| format!("marking node {name} Ready"))?;
            info!("node {name} Ready");
        }
        for name in owned.keys().filter(|n| !wanted.contains_key(*n)) {
            self.remove(name).await?;
        }
        Ok(())
    }

    /// Whether the node's machine has had its boot delay since it registered.
    fn booted(&self, name: &str, node: &Node) -> bool {
        match self.registered.get(name) {
            Some(at) => at.elapsed() >= self.boot_delay,
            None => node.metadata.creation_timestamp.as_ref().is_none_or(|t| {
                let age = k8s_openapi::jiff::Timestamp::now().duration_since(t.0);
                age.as_secs_f64() >= self.boot_delay.as_secs_f64()
            }),
        }
    }

    /// The machine is gone: cordoned first (so no new pod lands on it), then its Node, then its pods,
    /// as when an instance terminates.
    async fn remove(&mut self, name: &str) -> Result<()> {
        let cordon = serde_json::json!({ "spec": { "unschedulable": true } });
        ignore_not_found(
            self.nodes
                .patch(name, &PatchParams::default(), &Patch::Merge(cordon))
                .await,
        )
        .with_context(|| format!("cordoning node {name}"))?;
        ignore_not_found(self.nodes.delete(name, &DeleteParams::default()).await)
            .with_context(|| format!("deleting node {name}"))?;
        let on_node = self
            .pods
            .list(&ListParams::default().fields(&format!("spec.nodeName={name}")))
            .await
            .with_context(|| format!("listing pods on node {name}"))?;
        for pod in on_node {
            let ns = pod.metadata.namespace.clone().unwrap_or_default();
            let pod_name = pod.metadata.name.clone().unwrap_or_default();
            let api: Api<Pod> = Api::namespaced(self.pods.clone().into_client(), &ns);
            ignore_not_found(api.delete(&pod_name, &DeleteParams::default().grace_period(0)).await)
                .with_context(|| format!("deleting pod {ns}/{pod_name} of removed node {name}"))?;
        }
        self.registered.remove(name);
        info!("node {name} removed");
        Ok(())
    }
}

fn label<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

fn owned_by(node: &Node, source: &dyn PoolSource, pool: &PoolSpec) -> bool {
    ownership(source, pool)
        .iter()
        .all(|(k, v)| label(node, k) == Some(v.as_str()))
}

/// Whether a node's Ready condition is True.
pub fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
