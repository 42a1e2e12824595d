//! The ARM routes the fake serves: subscriptions (what `az login` lists), the managed cluster, its
//! agent pools (GET, list, PUT) and the status of the operations a PUT starts, at its
//! `Azure-AsyncOperation` URL.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::errors::ArmError;
use super::faults;
use super::json;
use super::model::{OpStatus, Pool};
use super::state::{ArmOperation, Call, Reply, Shared};

const CLUSTER: &str = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{cluster}";

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/metadata/endpoints", get(metadata_endpoints))
        .route("/subscriptions", get(list_subscriptions))
        .route(CLUSTER, get(get_cluster))
        .route(&format!("{CLUSTER}/agentPools"), get(list_pools))
        .route(&format!("{CLUSTER}/agentPools/{{pool}}"), get(get_pool).put(put_pool))
        .route(
            "/subscriptions/{subscription}/providers/Microsoft.ContainerService/locations/{location}/operations/{operation}",
            get(get_operation),
        )
}

const fn read(id: &'static str) -> ArmOperation {
    ArmOperation {
        id,
        mutation: false,
        http_method: "GET",
    }
}

/// ARM's own description of its cloud (`GET /metadata/endpoints?api-version=2022-09-01`), which
/// `az cloud register --endpoint-resource-manager` reads: this fake is the resource manager, and its
/// tokens are for the public cloud's management audience. No token needed, as on ARM.
async fn metadata_endpoints(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let base = shared.base.trim_end_matches('/');
    Json(serde_json::json!({
        "name": "KfscaleFakeCloud",
        "portal": base,
        "authentication": {
            "loginEndpoint": format!("{base}/login"),
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": base,
        "batch": base,
        "resourceManager": format!("{base}/"),
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "vmImageAliasDoc": format!("{base}/vmImageAliasDoc"),
        "sqlManagement": base,
        "suffixes": {"keyVaultDns": "vault.azure.net", "storage": "core.windows.net", "acrLoginServer": "azurecr.io"},
    }))
}

async fn list_subscriptions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared
        .serve(&headers, &uri, read("Subscriptions_List"), |call| {
            Ok(Reply::ok(json::subscriptions(&call.inner.world)))
        })
        .await
}

async fn get_cluster(
    State(shared): State<Arc<Shared>>,
    Path((subscription, group, cluster)): Path<(String, String, String)>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared
        .serve(&headers, &uri, read("ManagedClusters_Get"), |call| {
            let world = &call.inner.world;
            let index = world.cluster(&subscription, &group, &cluster)?;
            Ok(Reply::ok(json::cluster(&world.clusters[index])))
        })
        .await
}

async fn list_pools(
    State(shared): State<Arc<Shared>>,
    Path((subscription, group, cluster)): Path<(String, String, String)>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared
        .serve(&headers, &uri, read("AgentPools_List"), |call| {
            let world = &call.inner.world;
            let index = world.cluster(&subscription, &group, &cluster)?;
            Ok(Reply::ok(json::pools(&world.clusters[index])))
        })
        .await
}

async fn get_pool(
    State(shared): State<Arc<Shared>>,
    Path((subscription, group, cluster, pool)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared
        .serve(&headers, &uri, read("AgentPools_Get"), |call| {
            let world = &call.inner.world;
            let index = world.cluster(&subscription, &group, &cluster)?;
            let found = &world.clusters[index];
            let pool = found
                .pools
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(&pool))
                .ok_or_else(|| ArmError::pool_not_found(&found.name, &pool))?;
            Ok(Reply::ok(json::pool(found, pool)))
        })
        .await
}

async fn put_pool(
    State(shared): State<Arc<Shared>>,
    Path((subscription, group, cluster, pool)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let op = ArmOperation {
        id: "AgentPools_CreateOrUpdate",
        mutation: true,
        http_method: "PUT",
    };
    shared
        .serve(&headers, &uri, op, |call| {
            put(call, &subscription, &group, &cluster, &pool, &body)
        })
        .await
}

/// Creates or updates the pool and starts the operation that carries the change out: 200 (201 for a
/// new pool) with the pool as requested, `provisioningState` Updating (Creating), and the
/// operation's status URL in `Azure-AsyncOperation`.
fn put(
    call: Call<'_>,
    subscription: &str,
    group: &str,
    cluster: &str,
    name: &str,
    body: &[u8],
) -> Result<Reply, ArmError> {
    let Call {
        inner,
        now_ms,
        api_version,
        base,
        headers,
    } = call;
    let world = &mut inner.world;
    let index = world.cluster(subscription, group, cluster)?;
    let existing = world.clusters[index]
        .pools
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(name));
    check_preconditions(headers, existing.map(|i| world.clusters[index].pools[i].etag.as_str()))?;
    if let Some(running) = world.busy(index) {
        let state = &world.clusters[running.cluster].pools[running.pool].provisioning_state;
        return Err(ArmError::operation_in_progress(state));
    }
    let properties = super::body::put(body, existing.map(|i| &world.clusters[index].pools[i].properties))?;
    let failure = faults::on_operation(&mut inner.desk.faults);
    let etag = world.new_etag();
    let (pool_index, created) = match existing {
        Some(i) => {
            let pool = &mut world.clusters[index].pools[i];
            pool.properties = properties;
            pool.provisioning_state = "Updating".into();
            pool.etag = etag;
            (i, false)
        }
        None => {
            let pools = &mut world.clusters[index].pools;
            pools.push(Pool {
                name: name.to_string(),
                properties,
                nodes: 0,
                provisioning_state: "Creating".into(),
                etag,
                running: None,
            });
            (pools.len() - 1, true)
        }
    };
    let operation = world.start_operation(index, pool_index, failure);
    let answer = json::pool(&world.clusters[index], &world.clusters[index].pools[pool_index]);
    // An operation of no length ends now; the answer still shows the PUT's own moment.
    world.advance(now_ms);
    let path = json::operation_path(&world.operations[&operation]);
    let status_url = format!("{}{}?api-version={api_version}", base.trim_end_matches('/'), path);
    Ok(Reply {
        status: if created { 201 } else { 200 },
        body: answer,
        headers: vec![
            ("azure-asyncoperation", status_url),
            ("retry-after", world.timing.poll_retry_after_seconds.to_string()),
        ],
    })
}

/// `If-Match: <eTag>` (or `*`) wants the pool as it was read; `If-None-Match: *` wants no pool yet.
fn check_preconditions(headers: &HeaderMap, etag: Option<&str>) -> Result<(), ArmError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().trim_matches('"').to_string())
    };
    if let Some(wanted) = header("if-match")
        && !(wanted == "*" && etag.is_some())
        && etag != Some(wanted.as_str())
    {
        return Err(ArmError::new(
            412,
            "PreconditionFailed",
            format!(
                "Operation failed: the If-Match header '{wanted}' does not match the agent pool's current eTag '{}'.",
                etag.unwrap_or("(none: the pool does not exist)")
            ),
        ));
    }
    if header("if-none-match").as_deref() == Some("*") && etag.is_some() {
        return Err(ArmError::new(
            412,
            "PreconditionFailed",
            "Operation failed: If-None-Match '*' was given and the agent pool exists.",
        ));
    }
    Ok(())
}

async fn get_operation(
    State(shared): State<Arc<Shared>>,
    Path((subscription, location, operation)): Path<(String, String, String)>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared
        .serve(&headers, &uri, read("AsyncOperation_Get"), |call| {
            let world = &call.inner.world;
            let found = world
                .operations
                .get(&operation)
                .filter(|o| o.subscription == subscription && o.location.eq_ignore_ascii_case(&location))
                .ok_or_else(|| ArmError::operation_not_found(&operation))?;
            let mut reply = Reply::ok(json::operation(world, found));
            if found.status == OpStatus::InProgress {
                reply
                    .headers
                    .push(("retry-after", world.timing.poll_retry_after_seconds.to_string()));
            }
            Ok(reply)
        })
        .await
}
