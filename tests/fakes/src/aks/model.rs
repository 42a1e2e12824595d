//! The fake's world: subscriptions, clusters, agent pools and the long-running operations an
//! agent-pool PUT starts. A PUT changes the pool's properties at once (ARM shows the requested state
//! with `provisioningState: Updating`); its nodes arrive when the operation succeeds, `operationSeconds`
//! later on the model clock. One operation at a time per cluster, as the AKS resource provider allows.
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::errors::ArmError;
use super::seed::{AgentPoolSeed, ClusterSeed, Seed, Timing};
use crate::scaffold::timefmt::Epoch;

pub struct World {
    pub tenant_id: String,
    pub subscriptions: Vec<(String, String)>,
    pub clusters: Vec<Cluster>,
    pub operations: BTreeMap<String, Operation>,
    pub timing: Timing,
    pub epoch: Epoch,
    /// Model time the world has been brought to.
    pub now_ms: u64,
    next_id: u64,
}

pub struct Cluster {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub kubernetes_version: String,
    pub pools: Vec<Pool>,
}

pub struct Pool {
    pub name: String,
    /// The pool's properties as a client last wrote them (ARM's view), read-only ones excluded.
    pub properties: Map<String, Value>,
    /// Machines running now: what Kubernetes sees. Follows `count` when an operation succeeds.
    pub nodes: u32,
    /// Succeeded, Creating, Updating, Failed.
    pub provisioning_state: String,
    pub etag: String,
    /// The operation running on it, if any.
    pub running: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
}

impl OpStatus {
    pub fn name(&self) -> &'static str {
        match self {
            OpStatus::InProgress => "InProgress",
            OpStatus::Succeeded => "Succeeded",
            OpStatus::Failed => "Failed",
        }
    }
}

pub struct Operation {
    pub id: String,
    pub subscription: String,
    pub location: String,
    pub cluster: usize,
    pub pool: usize,
    pub status: OpStatus,
    pub started_ms: u64,
    pub ends_ms: u64,
    /// How the operation is to end: None succeeds.
    pub failure: Option<ArmError>,
}

impl World {
    pub fn from_seed(seed: &Seed, epoch: Epoch) -> Result<World, String> {
        let first = seed
            .subscriptions
            .first()
            .ok_or("the seed needs at least one subscription")?
            .subscription_id
            .clone();
        let mut world = World {
            tenant_id: seed.tenant_id.clone(),
            subscriptions: seed
                .subscriptions
                .iter()
                .map(|s| (s.subscription_id.clone(), s.display_name.clone()))
                .collect(),
            clusters: Vec::new(),
            operations: BTreeMap::new(),
            timing: seed.timing.clone(),
            epoch,
            now_ms: 0,
            next_id: 0,
        };
        for cluster in &seed.clusters {
            let subscription = cluster.subscription_id.clone().unwrap_or_else(|| first.clone());
            if !world.subscriptions.iter().any(|(id, _)| *id == subscription) {
                return Err(format!(
                    "cluster {} names subscription {subscription}, which the seed lacks",
                    cluster.name
                ));
            }
            let pools = cluster
                .agent_pools
                .iter()
                .map(|p| world.seeded_pool(cluster, p))
                .collect::<Result<Vec<_>, _>>()?;
            world.clusters.push(Cluster {
                subscription,
                resource_group: cluster.resource_group.clone(),
                name: cluster.name.clone(),
                location: cluster.location.clone(),
                kubernetes_version: cluster.kubernetes_version.clone(),
                pools,
            });
        }
        Ok(world)
    }

    fn seeded_pool(&mut self, cluster: &ClusterSeed, seed: &AgentPoolSeed) -> Result<Pool, String> {
        let mut properties = default_properties(&cluster.kubernetes_version);
        let put = |key: &str, value: Value, properties: &mut Map<String, Value>| {
            properties.insert(key.to_string(), value);
        };
        put("count", seed.count.into(), &mut properties);
        put("vmSize", seed.vm_size.clone().into(), &mut properties);
        put("mode", seed.mode.clone().into(), &mut properties);
        put("enableAutoScaling", seed.enable_auto_scaling.into(), &mut properties);
        if let Some(min) = seed.min_count {
            put("minCount", min.into(), &mut properties);
        }
        if let Some(max) = seed.max_count {
            put("maxCount", max.into(), &mut properties);
        }
        if !seed.availability_zones.is_empty() {
            put(
                "availabilityZones",
                serde_json::json!(seed.availability_zones),
                &mut properties,
            );
        }
        if !seed.node_labels.is_empty() {
            put("nodeLabels", serde_json::json!(seed.node_labels), &mut properties);
        }
        if !seed.node_taints.is_empty() {
            put("nodeTaints", serde_json::json!(seed.node_taints), &mut properties);
        }
        super::body::check_autoscaling(&properties, &seed.mode)
            .map_err(|e| format!("pool {} of cluster {}: {}", seed.name, cluster.name, e.message))?;
        Ok(Pool {
            name: seed.name.clone(),
            properties,
            nodes: seed.count,
            provisioning_state: "Succeeded".into(),
            etag: self.new_etag(),
            running: None,
        })
    }

    /// A fresh identifier, GUID-shaped as Azure's are, unique within the fake.
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("{:08x}-0000-4000-8000-{:012x}", self.next_id, self.now_ms)
    }

    pub fn new_etag(&mut self) -> String {
        self.new_id()
    }

    pub fn cluster(&self, subscription: &str, group: &str, name: &str) -> Result<usize, ArmError> {
        if !self.subscriptions.iter().any(|(id, _)| id == subscription) {
            return Err(ArmError::subscription_not_found(subscription));
        }
        if !self
            .clusters
            .iter()
            .any(|c| c.subscription == subscription && c.resource_group.eq_ignore_ascii_case(group))
        {
            return Err(ArmError::resource_group_not_found(group));
        }
        self.clusters
            .iter()
            .position(|c| {
                c.subscription == subscription
                    && c.resource_group.eq_ignore_ascii_case(group)
                    && c.name.eq_ignore_ascii_case(name)
            })
            .ok_or_else(|| ArmError::cluster_not_found(group, name))
    }

    /// Runs every operation whose time has come to its end.
    pub fn advance(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
        let now = self.now_ms;
        for operation in self.operations.values_mut() {
            if operation.status != OpStatus::InProgress || operation.ends_ms > now {
                continue;
            }
            let pool = &mut self.clusters[operation.cluster].pools[operation.pool];
            pool.running = None;
            match &operation.failure {
                None => {
                    operation.status = OpStatus::Succeeded;
                    pool.provisioning_state = "Succeeded".into();
                    pool.nodes = pool.count();
                }
                Some(_) => {
                    // A failed scale leaves the machines as they were and the pool Failed until a
                    // new PUT reconciles it.
                    operation.status = OpStatus::Failed;
                    pool.provisioning_state = "Failed".into();
                }
            }
        }
    }

    /// The operation running on any pool of the cluster, if one is.
    pub fn busy(&self, cluster: usize) -> Option<&Operation> {
        self.clusters[cluster]
            .pools
            .iter()
            .filter_map(|p| p.running.as_ref())
            .find_map(|id| self.operations.get(id))
    }

    /// Starts the operation that carries a PUT of pool `pool` out; its id.
    pub fn start_operation(&mut self, cluster: usize, pool: usize, failure: Option<ArmError>) -> String {
        let id = self.new_id();
        let duration = (self.timing.operation_seconds.max(0.0) * 1000.0) as u64;
        let operation = Operation {
            id: id.clone(),
            subscription: self.clusters[cluster].subscription.clone(),
            location: self.clusters[cluster].location.clone(),
            cluster,
            pool,
            status: OpStatus::InProgress,
            started_ms: self.now_ms,
            ends_ms: self.now_ms + duration,
            failure,
        };
        self.operations.insert(id.clone(), operation);
        self.clusters[cluster].pools[pool].running = Some(id.clone());
        id
    }
}

impl Pool {
    pub fn count(&self) -> u32 {
        self.properties
            .get("count")
            .and_then(Value::as_u64)
            .map_or(0, |c| c as u32)
    }

    pub fn str_property(&self, key: &str) -> &str {
        self.properties.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    pub fn zones(&self) -> Vec<String> {
        self.properties
            .get("availabilityZones")
            .and_then(Value::as_array)
            .map(|zones| zones.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// The writable properties AKS fills in for a pool created with only a count and a VM size.
fn default_properties(kubernetes_version: &str) -> Map<String, Value> {
    let defaults = serde_json::json!({
        "osDiskSizeGB": 128,
        "osDiskType": "Managed",
        "kubeletDiskType": "OS",
        "maxPods": 110,
        "type": "VirtualMachineScaleSets",
        "osType": "Linux",
        "osSKU": "Ubuntu",
        "orchestratorVersion": kubernetes_version,
        "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202501.12.0",
        "enableNodePublicIP": false,
        "enableFIPS": false,
        "enableEncryptionAtHost": false,
        "enableUltraSSD": false,
        "upgradeSettings": {"maxSurge": "10%"},
        "powerState": {"code": "Running"},
    });
    match defaults {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
