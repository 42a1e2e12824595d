//! The one Compute Engine read a node pool's size needs: `instanceGroupManagers.get`. GKE never updates a
//! pool's `initialNodeCount` on resize; the current size per zone is the `targetSize` of the managed
//! instance group behind each of the pool's `instanceGroupUrls` (Terraform's google provider reads it the
//! same way). The URLs the fake hands out point here.
use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::errors::ApiError;
use super::json::instance_group_name;
use super::state::{ApiMethod, Shared};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route(
        "/compute/v1/projects/{project}/zones/{zone}/instanceGroupManagers/{name}",
        get(get_manager),
    )
}

async fn get_manager(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: OriginalUri,
    Path((project, zone, name)): Path<(String, String, String)>,
) -> Response {
    let api = ApiMethod {
        id: "compute.instanceGroupManagers.get",
        mutation: false,
        http_method: "GET",
    };
    shared
        .serve(&headers, &uri.0, api, |inner, _now, base| {
            for cluster in inner.world.clusters.iter().filter(|c| c.project == project) {
                for pool in &cluster.pools {
                    let Some(&size) = pool.sizes.get(&zone) else { continue };
                    if instance_group_name(cluster, pool, &zone) != name {
                        continue;
                    }
                    let resizing = inner
                        .world
                        .running_on(&cluster.project, &cluster.location, &cluster.name)
                        .is_some_and(|op| op.pool() == pool.name);
                    let link = format!("{base}compute/v1/projects/{project}/zones/{zone}");
                    return Ok(json!({
                        "kind": "compute#instanceGroupManager",
                        "name": name,
                        "zone": link,
                        "baseInstanceName": name.trim_end_matches("-grp"),
                        "instanceGroup": format!("{link}/instanceGroups/{name}"),
                        "selfLink": format!("{link}/instanceGroupManagers/{name}"),
                        "targetSize": size,
                        "status": {"isStable": !resizing},
                    }));
                }
            }
            Err(ApiError::not_found(&format!(
                "projects/{project}/zones/{zone}/instanceGroupManagers/{name}"
            )))
        })
        .await
}
