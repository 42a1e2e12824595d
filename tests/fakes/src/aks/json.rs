//! ARM's JSON for agent pools, clusters, subscriptions and operation status, field names as the
//! containerservice spec and ARM's common types have them (tests/it/aks_conformance.rs checks them).
use serde_json::{Map, Value, json};

use super::model::{Cluster, Operation, Pool, World};

/// .NET writes ARM's timestamps with seven fraction digits.
const DOTNET_DIGITS: usize = 7;

pub fn cluster_id(cluster: &Cluster) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}",
        cluster.subscription, cluster.resource_group, cluster.name
    )
}

pub fn pool(cluster: &Cluster, pool: &Pool) -> Value {
    let mut properties: Map<String, Value> = pool.properties.clone();
    properties.insert("eTag".into(), json!(pool.etag));
    properties.insert("provisioningState".into(), json!(pool.provisioning_state));
    if let Some(version) = properties.get("orchestratorVersion").cloned() {
        properties.insert("currentOrchestratorVersion".into(), version);
    }
    json!({
        "id": format!("{}/agentPools/{}", cluster_id(cluster), pool.name),
        "name": pool.name,
        "type": "Microsoft.ContainerService/managedClusters/agentPools",
        "properties": properties,
    })
}

pub fn pools(cluster: &Cluster) -> Value {
    json!({"value": cluster.pools.iter().map(|p| pool(cluster, p)).collect::<Vec<_>>()})
}

/// The managed cluster, with its pools as `agentPoolProfiles` (the agent pool properties plus `name`).
pub fn cluster(cluster: &Cluster) -> Value {
    let profiles: Vec<Value> = cluster
        .pools
        .iter()
        .map(|p| {
            let mut profile = match pool(cluster, p)["properties"].clone() {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            profile.insert("name".into(), json!(p.name));
            Value::Object(profile)
        })
        .collect();
    let busy = cluster.pools.iter().any(|p| p.running.is_some());
    json!({
        "id": cluster_id(cluster),
        "name": cluster.name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "location": cluster.location,
        "properties": {
            "provisioningState": if busy { "Updating" } else { "Succeeded" },
            "powerState": {"code": "Running"},
            "kubernetesVersion": cluster.kubernetes_version,
            "currentKubernetesVersion": cluster.kubernetes_version,
            "dnsPrefix": format!("{}-dns", cluster.name),
            "fqdn": format!("{}-dns-00000000.hcp.{}.azmk8s.io", cluster.name, cluster.location),
            "agentPoolProfiles": profiles,
            "nodeResourceGroup": format!("MC_{}_{}_{}", cluster.resource_group, cluster.name, cluster.location),
            "enableRBAC": true,
        },
    })
}

pub fn subscriptions(world: &World) -> Value {
    let value: Vec<Value> = world
        .subscriptions
        .iter()
        .map(|(id, name)| {
            json!({
                "id": format!("/subscriptions/{id}"),
                "subscriptionId": id,
                "tenantId": world.tenant_id,
                "displayName": name,
                "state": "Enabled",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
                "authorizationSource": "RoleBased",
            })
        })
        .collect();
    json!({"value": value})
}

/// The operation's status at its `Azure-AsyncOperation` URL (ARM's async operation resource).
pub fn operation(world: &World, operation: &Operation) -> Value {
    let mut status = json!({
        "id": operation_path(operation),
        "name": operation.id,
        "status": operation.status.name(),
        "startTime": world.epoch.rfc3339(operation.started_ms, DOTNET_DIGITS),
    });
    if operation.status != super::model::OpStatus::InProgress {
        status["endTime"] = json!(world.epoch.rfc3339(operation.ends_ms, DOTNET_DIGITS));
    }
    if let (super::model::OpStatus::Failed, Some(error)) = (&operation.status, &operation.failure) {
        status["error"] = json!({"code": error.code, "message": error.message});
    }
    status
}

/// `/subscriptions/{s}/providers/Microsoft.ContainerService/locations/{l}/operations/{id}`.
pub fn operation_path(operation: &Operation) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}/operations/{}",
        operation.subscription, operation.location, operation.id
    )
}
