//! Instances (PinotInstanceRestletResource): list, live list, one instance, tag update.
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;
use serde_json::json;

use super::{param, read};
use crate::pinot::state::{Endpoint, PinotError, Reply, Shared};

pub async fn list(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("listInstances"), |inner, _| {
            let tag = param(&query, "tag");
            let names: Vec<&String> = inner
                .controller
                .cluster
                .instances
                .values()
                .filter(|i| tag.is_none_or(|tag| i.tags.iter().any(|t| t == tag)))
                .map(|i| &i.name)
                .collect();
            Ok(Reply::Json(json!({"instances": names})))
        })
        .await
}

pub async fn live(State(shared): State<Arc<Shared>>, uri: OriginalUri) -> Response {
    shared
        .serve(uri.path(), read("listLiveInstances"), |inner, _| {
            let names: Vec<&String> = inner
                .controller
                .cluster
                .instances
                .values()
                .filter(|i| i.live)
                .map(|i| &i.name)
                .collect();
            Ok(Reply::Json(json!({"instances": names})))
        })
        .await
}

pub async fn get(State(shared): State<Arc<Shared>>, uri: OriginalUri, Path(name): Path<String>) -> Response {
    shared
        .serve(uri.path(), read("getInstance"), |inner, _| {
            let instance = inner
                .controller
                .cluster
                .instances
                .get(&name)
                .ok_or_else(|| PinotError::new(404, format!("Instance {name} not found")))?;
            Ok(Reply::Json(json!({
                "instanceName": instance.name,
                "hostName": instance.host,
                "enabled": instance.enabled,
                "port": instance.port.to_string(),
                "tags": instance.tags,
                "pools": null,
                "grpcPort": if instance.kind == crate::pinot::cluster::Kind::Server { 8090 } else { -1 },
                "adminPort": if instance.kind == crate::pinot::cluster::Kind::Server { 8097 } else { -1 },
                "queryServicePort": -1,
                "queryMailboxPort": -1,
                "shutdownInProgress": false,
                "systemResourceInfo": null,
            })))
        })
        .await
}

/// `PUT /instances/{name}/updateTags?tags=a,b`: replaces the tag list. A server gets segments of a newly
/// tagged tenant only at the next rebalance.
pub async fn update_tags(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(name): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let endpoint = Endpoint {
        id: "updateTags",
        mutation: true,
        method: "PUT",
    };
    shared
        .serve(uri.path(), endpoint, |inner, _| {
            let tags = param(&query, "tags").ok_or_else(|| PinotError::new(400, "Must provide tags to update"))?;
            let instance =
                inner.controller.cluster.instances.get_mut(&name).ok_or_else(|| {
                    PinotError::new(404, format!("Failed to find instance config for instance: {name}"))
                })?;
            // StringUtils.split drops empty pieces.
            let tags: Vec<String> = tags.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
            instance.tags = tags.clone();
            Ok(Reply::Json(
                json!({"status": format!("Updated tags: [{}] for instance: {name}", tags.join(", "))}),
            ))
        })
        .await
}
