//! The container API's JSON for clusters, node pools and operations. Field names are exactly those of
//! `container.v1.json` (a test checks every name against the discovery document). Like Google's proto3
//! JSON, fields at their default (false, 0, "", empty list or map) are left out: a client must read a
//! missing `autoscaling.enabled` as false, as it must against GKE.
use serde_json::{Map, Value, json};

use super::model::{Cluster, NodePool, OpStatus, Operation, World};

/// The container API writes its timestamps with nanoseconds.
const NANOS: usize = 9;

/// `base` is the URL the fake serves at, ending in `/` (what `selfLink`s start with).
pub fn node_pool(world: &World, cluster: &Cluster, pool: &NodePool, base: &str, now_ms: u64) -> Value {
    let busy = world
        .running_on(&cluster.project, &cluster.location, &cluster.name)
        .is_some_and(|op| op.pool() == pool.name && op.status(now_ms) == OpStatus::Running);
    let taints: Vec<Value> = pool
        .taints
        .iter()
        .map(|t| json!({"key": t.key, "value": t.value, "effect": t.effect}))
        .collect();
    let mut config = json!({
        "machineType": pool.machine_type,
        "diskSizeGb": pool.disk_size_gb,
        "diskType": "pd-balanced",
        "imageType": "COS_CONTAINERD",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": "default",
        "metadata": {"disable-legacy-endpoints": "true"},
        "taints": taints,
    });
    if !pool.labels.is_empty() {
        config["labels"] = json!(pool.labels);
    }
    let mut value = json!({
        "name": pool.name,
        "config": config,
        "initialNodeCount": pool.initial_node_count,
        "locations": pool.locations,
        "selfLink": format!("{}/nodePools/{}", cluster_link(cluster, base), pool.name),
        "version": pool.version,
        "instanceGroupUrls": pool.sizes.keys().map(|zone| instance_group_url(cluster, pool, zone, base)).collect::<Vec<_>>(),
        // RECONCILING while a resize works on the pool (assumption, see README), RUNNING otherwise.
        "status": if busy { "RECONCILING" } else { "RUNNING" },
        "management": {"autoUpgrade": true, "autoRepair": true},
        "upgradeSettings": {"maxSurge": 1, "strategy": "SURGE"},
        "podIpv4CidrSize": 24,
        "etag": etag(&format!("{}/{}/{:?}/{:?}", cluster.name, pool.name, pool.sizes, pool.autoscaling)),
    });
    if let Some(autoscaling) = &pool.autoscaling {
        value["autoscaling"] = json!({
            "enabled": autoscaling.enabled,
            "minNodeCount": autoscaling.min_node_count,
            "maxNodeCount": autoscaling.max_node_count,
            "totalMinNodeCount": autoscaling.total_min_node_count,
            "totalMaxNodeCount": autoscaling.total_max_node_count,
            "locationPolicy": autoscaling.location_policy.clone().unwrap_or_else(|| "BALANCED".to_string()),
        });
    }
    prune(value)
}

pub fn cluster(world: &World, cluster: &Cluster, base: &str, now_ms: u64) -> Value {
    let pools: Vec<Value> = cluster
        .pools
        .iter()
        .map(|pool| node_pool(world, cluster, pool, base, now_ms))
        .collect();
    let nodes: u32 = cluster.pools.iter().flat_map(|pool| pool.sizes.values()).sum();
    let mut value = json!({
        "name": cluster.name,
        "id": etag(&format!("{}/{}/{}", cluster.project, cluster.location, cluster.name)),
        "location": cluster.location,
        "zone": cluster.location,
        "locations": cluster.locations,
        "status": "RUNNING",
        "currentMasterVersion": cluster.version,
        "currentNodeVersion": cluster.version,
        "initialClusterVersion": cluster.version,
        "currentNodeCount": nodes,
        "createTime": world.epoch.rfc3339(0, NANOS),
        "endpoint": "10.0.0.2",
        "network": "default",
        "subnetwork": "default",
        "clusterIpv4Cidr": "10.4.0.0/14",
        "servicesIpv4Cidr": "10.8.0.0/20",
        "selfLink": cluster_link(cluster, base),
        "nodePools": pools,
        "etag": etag(&format!("{}/{nodes}", cluster.name)),
    });
    if let Some(first) = value["nodePools"].get(0).and_then(|pool| pool.get("config")).cloned() {
        // Deprecated, but GKE still fills it with the first pool's config.
        value["nodeConfig"] = first;
    }
    prune(value)
}

pub fn operation(world: &World, operation: &Operation, base: &str, now_ms: u64) -> Value {
    let status = operation.status(now_ms);
    let mut value = json!({
        "name": operation.name,
        "zone": operation.location,
        "location": operation.location,
        "operationType": operation.operation_type(),
        "status": status.name(),
        "selfLink": format!("{base}v1/projects/{}/locations/{}/operations/{}", operation.project, operation.location, operation.name),
        "targetLink": format!(
            "{base}v1/projects/{}/locations/{}/clusters/{}/nodePools/{}",
            operation.project, operation.location, operation.cluster, operation.pool()
        ),
        "startTime": world.epoch.rfc3339(operation.started_ms, NANOS),
    });
    if status == OpStatus::Done {
        value["endTime"] = json!(world.epoch.rfc3339(operation.done_at_ms, NANOS));
        if let Some(error) = &operation.error {
            // Both: `statusMessage` is deprecated in favour of `error`, and gcloud still reads it.
            value["statusMessage"] = json!(error.message);
            value["error"] = json!({"code": super::errors::rpc_code(&error.status), "message": error.message});
        }
    }
    prune(value)
}

fn cluster_link(cluster: &Cluster, base: &str) -> String {
    format!(
        "{base}v1/projects/{}/locations/{}/clusters/{}",
        cluster.project, cluster.location, cluster.name
    )
}

/// The managed instance group of a pool in a zone, under the fake's small Compute Engine surface.
pub fn instance_group_url(cluster: &Cluster, pool: &NodePool, zone: &str, base: &str) -> String {
    format!(
        "{base}compute/v1/projects/{}/zones/{zone}/instanceGroupManagers/{}",
        cluster.project,
        instance_group_name(cluster, pool, zone)
    )
}

/// `gke-<cluster>-<pool>-<8 hex>-grp`, the form GKE gives its instance groups.
pub fn instance_group_name(cluster: &Cluster, pool: &NodePool, zone: &str) -> String {
    format!(
        "gke-{}-{}-{}-grp",
        cluster.name,
        pool.name,
        &etag(&format!("{}/{}/{zone}", cluster.name, pool.name))[..8]
    )
}

/// A stable short hash (FNV-1a), hex.
fn etag(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Drops the fields proto3 JSON leaves out (false, 0, "", empty lists, nulls), keeping message objects.
fn prune(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter_map(|(key, value)| {
                    let value = prune(value);
                    let is_default = match &value {
                        Value::Null => true,
                        Value::Bool(b) => !b,
                        Value::Number(n) => n.as_f64() == Some(0.0),
                        Value::String(s) => s.is_empty(),
                        Value::Array(items) => items.is_empty(),
                        Value::Object(_) => false,
                    };
                    (!is_default).then_some((key, value))
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune).collect()),
        other => other,
    }
}
