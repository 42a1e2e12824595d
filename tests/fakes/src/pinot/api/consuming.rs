//! `GET /tables/{t}/consumingSegmentsInfo` (PinotRealtimeTableResource.getConsumingSegmentsInfo).
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;

use super::read;
use crate::pinot::state::{Reply, Shared};

pub async fn info(State(shared): State<Arc<Shared>>, uri: OriginalUri, Path(table): Path<String>) -> Response {
    shared
        .serve(uri.path(), read("consumingSegmentsInfo"), |inner, now| {
            let wall = inner.controller.wall(now);
            let answer = inner.consumers.info(&inner.controller.cluster, &table, wall)?;
            Ok(Reply::Json(answer))
        })
        .await
}
