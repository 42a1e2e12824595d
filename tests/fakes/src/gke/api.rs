//! The container v1 routes: the `projects/*/locations/*` form every current client uses (gcloud 528 and
//! google-cloud-container-v1 both do), and the older `projects/*/zones/*` form with the same behaviour.
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::json;
use super::model::Change;
use super::requests;
use super::state::{ApiMethod, Inner, Shared};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/v1/projects/{project}/locations/{location}/clusters",
            get(list_clusters),
        )
        .route(
            "/v1/projects/{project}/locations/{location}/clusters/{cluster}",
            get(get_cluster),
        )
        .route(
            "/v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools",
            get(list_pools),
        )
        .route(
            "/v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}",
            get(get_pool).post(pool_action),
        )
        .route(
            "/v1/projects/{project}/locations/{location}/operations",
            get(list_operations),
        )
        .route(
            "/v1/projects/{project}/locations/{location}/operations/{operation}",
            get(get_operation),
        )
        .route("/v1/projects/{project}/zones/{zone}/clusters", get(zonal_list_clusters))
        .route(
            "/v1/projects/{project}/zones/{zone}/clusters/{cluster}",
            get(zonal_get_cluster),
        )
        .route(
            "/v1/projects/{project}/zones/{zone}/clusters/{cluster}/nodePools",
            get(zonal_list_pools),
        )
        .route(
            "/v1/projects/{project}/zones/{zone}/clusters/{cluster}/nodePools/{pool}",
            get(zonal_get_pool),
        )
        .route(
            "/v1/projects/{project}/zones/{zone}/clusters/{cluster}/nodePools/{pool}/setSize",
            post(zonal_set_size),
        )
        .route(
            "/v1/projects/{project}/zones/{zone}/clusters/{cluster}/nodePools/{pool}/autoscaling",
            post(zonal_set_autoscaling),
        )
        .route(
            "/v1/projects/{project}/zones/{zone}/operations/{operation}",
            get(zonal_get_operation),
        )
}

const fn read(id: &'static str) -> ApiMethod {
    ApiMethod {
        id,
        mutation: false,
        http_method: "GET",
    }
}

const fn write(id: &'static str) -> ApiMethod {
    ApiMethod {
        id,
        mutation: true,
        http_method: "POST",
    }
}

type Ctx = (State<Arc<Shared>>, HeaderMap, OriginalUri);

async fn list_clusters(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, l)): Path<(String, String)>,
) -> Response {
    clusters(
        (State(s), h, uri),
        read("container.projects.locations.clusters.list"),
        p,
        l,
    )
    .await
}

async fn zonal_list_clusters(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z)): Path<(String, String)>,
) -> Response {
    clusters((State(s), h, uri), read("container.projects.zones.clusters.list"), p, z).await
}

async fn clusters((State(shared), headers, uri): Ctx, api: ApiMethod, project: String, location: String) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            // `-` lists every location, which gcloud uses to suggest the right zone for a typo.
            let clusters: Vec<Value> = inner
                .world
                .clusters
                .iter()
                .filter(|c| c.project == project && (location == "-" || c.location == location))
                .map(|c| json::cluster(&inner.world, c, base, now))
                .collect();
            Ok(if clusters.is_empty() {
                json!({})
            } else {
                json!({"clusters": clusters})
            })
        })
        .await
}

async fn get_cluster(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, l, c)): Path<(String, String, String)>,
) -> Response {
    cluster(
        (State(s), h, uri),
        read("container.projects.locations.clusters.get"),
        p,
        l,
        c,
    )
    .await
}

async fn zonal_get_cluster(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z, c)): Path<(String, String, String)>,
) -> Response {
    cluster(
        (State(s), h, uri),
        read("container.projects.zones.clusters.get"),
        p,
        z,
        c,
    )
    .await
}

async fn cluster(
    (State(shared), headers, uri): Ctx,
    api: ApiMethod,
    project: String,
    location: String,
    name: String,
) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            let cluster = inner.world.cluster(&project, &location, &name)?;
            Ok(json::cluster(&inner.world, cluster, base, now))
        })
        .await
}

async fn list_pools(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, l, c)): Path<(String, String, String)>,
) -> Response {
    pools(
        (State(s), h, uri),
        read("container.projects.locations.clusters.nodePools.list"),
        p,
        l,
        c,
    )
    .await
}

async fn zonal_list_pools(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z, c)): Path<(String, String, String)>,
) -> Response {
    pools(
        (State(s), h, uri),
        read("container.projects.zones.clusters.nodePools.list"),
        p,
        z,
        c,
    )
    .await
}

async fn pools(
    (State(shared), headers, uri): Ctx,
    api: ApiMethod,
    project: String,
    location: String,
    name: String,
) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            let cluster = inner.world.cluster(&project, &location, &name)?;
            let pools: Vec<Value> = cluster
                .pools
                .iter()
                .map(|p| json::node_pool(&inner.world, cluster, p, base, now))
                .collect();
            Ok(json!({"nodePools": pools}))
        })
        .await
}

async fn get_pool(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, l, c, np)): Path<(String, String, String, String)>,
) -> Response {
    pool(
        (State(s), h, uri),
        read("container.projects.locations.clusters.nodePools.get"),
        p,
        l,
        c,
        np,
    )
    .await
}

async fn zonal_get_pool(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z, c, np)): Path<(String, String, String, String)>,
) -> Response {
    pool(
        (State(s), h, uri),
        read("container.projects.zones.clusters.nodePools.get"),
        p,
        z,
        c,
        np,
    )
    .await
}

async fn pool(
    (State(shared), headers, uri): Ctx,
    api: ApiMethod,
    project: String,
    location: String,
    cluster: String,
    name: String,
) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            let pool = inner.world.pool(&project, &location, &cluster, &name)?;
            let cluster = inner.world.cluster(&project, &location, &cluster)?;
            Ok(json::node_pool(&inner.world, cluster, pool, base, now))
        })
        .await
}

/// `POST .../nodePools/{pool}:setSize` and `:setAutoscaling` (the colon is part of the path segment).
async fn pool_action(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: OriginalUri,
    Path((project, location, cluster, pool_action)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    let ctx = (State(shared), headers, uri);
    match pool_action.split_once(':') {
        Some((pool, "setSize")) => {
            let api = write("container.projects.locations.clusters.nodePools.setSize");
            set_size(ctx, api, project, location, cluster, pool.to_string(), body).await
        }
        Some((pool, "setAutoscaling")) => {
            let api = write("container.projects.locations.clusters.nodePools.setAutoscaling");
            set_autoscaling(ctx, api, project, location, cluster, pool.to_string(), body).await
        }
        _ => {
            let (State(shared), headers, uri) = ctx;
            let api = ApiMethod {
                id: "unknown",
                mutation: false,
                http_method: "POST",
            };
            let path = uri.path().to_string();
            shared
                .serve(&headers, &uri.0, api, |_, _, _| Err(ApiError::not_found(&path)))
                .await
        }
    }
}

async fn zonal_set_size(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z, c, np)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    set_size(
        (State(s), h, uri),
        write("container.projects.zones.clusters.nodePools.setSize"),
        p,
        z,
        c,
        np,
        body,
    )
    .await
}

async fn zonal_set_autoscaling(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z, c, np)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    let api = write("container.projects.zones.clusters.nodePools.autoscaling");
    set_autoscaling((State(s), h, uri), api, p, z, c, np, body).await
}

async fn set_size(
    (State(shared), headers, uri): Ctx,
    api: ApiMethod,
    project: String,
    location: String,
    cluster: String,
    pool: String,
    body: Bytes,
) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            let node_count = requests::set_size(&body)?;
            start(
                inner,
                now,
                base,
                &project,
                &location,
                &cluster,
                Change::SetSize { pool, node_count },
            )
        })
        .await
}

async fn set_autoscaling(
    (State(shared), headers, uri): Ctx,
    api: ApiMethod,
    project: String,
    location: String,
    cluster: String,
    pool: String,
    body: Bytes,
) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            let autoscaling = requests::set_autoscaling(&body)?;
            start(
                inner,
                now,
                base,
                &project,
                &location,
                &cluster,
                Change::SetAutoscaling { pool, autoscaling },
            )
        })
        .await
}

fn start(
    inner: &mut Inner,
    now: u64,
    base: &str,
    project: &str,
    location: &str,
    cluster: &str,
    change: Change,
) -> Result<Value, ApiError> {
    // Check before using up an operation-error fault on a request GKE would refuse anyway.
    inner.world.pool(
        project,
        location,
        cluster,
        match &change {
            Change::SetSize { pool, .. } | Change::SetAutoscaling { pool, .. } => pool,
        },
    )?;
    if let Some(running) = inner.world.running_on(project, location, cluster) {
        return Err(ApiError::operation_running(&running.name));
    }
    let error = super::faults::on_operation(&mut inner.desk.faults);
    let index = inner.world.start(project, location, cluster, change, now, error)?;
    Ok(json::operation(&inner.world, &inner.world.operations[index], base, now))
}

async fn get_operation(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, l, op)): Path<(String, String, String)>,
) -> Response {
    operation(
        (State(s), h, uri),
        read("container.projects.locations.operations.get"),
        p,
        l,
        op,
    )
    .await
}

/// `operations.list` of a location: every operation there, running or done, as GKE lists them
/// (`ListOperationsResponse`; `-` as the location lists all of the project's).
async fn list_operations(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: OriginalUri,
    Path((project, location)): Path<(String, String)>,
) -> Response {
    shared
        .serve(
            &headers,
            &uri.0,
            read("container.projects.locations.operations.list"),
            |inner, now, base| {
                let operations: Vec<Value> = inner
                    .world
                    .operations
                    .iter()
                    .filter(|op| op.project == project && (location == "-" || op.location == location))
                    .map(|op| json::operation(&inner.world, op, base, now))
                    .collect();
                Ok(serde_json::json!({ "operations": operations }))
            },
        )
        .await
}

async fn zonal_get_operation(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    uri: OriginalUri,
    Path((p, z, op)): Path<(String, String, String)>,
) -> Response {
    operation(
        (State(s), h, uri),
        read("container.projects.zones.operations.get"),
        p,
        z,
        op,
    )
    .await
}

async fn operation(
    (State(shared), headers, uri): Ctx,
    api: ApiMethod,
    project: String,
    location: String,
    name: String,
) -> Response {
    shared
        .serve(&headers, &uri.0, api, |inner, now, base| {
            let operation = inner.world.operation(&project, &location, &name)?;
            Ok(json::operation(&inner.world, operation, base, now))
        })
        .await
}
