//! `GET /health` (PinotControllerHealthCheck): `OK` as text; while the controller restarts, 503.
use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::response::Response;

use super::read;
use crate::pinot::state::{Reply, Shared};

pub async fn health(State(shared): State<Arc<Shared>>, uri: OriginalUri) -> Response {
    shared
        .serve(uri.path(), read("health"), |_, _| Ok(Reply::Text("OK".to_string())))
        .await
}
