//! The controller REST routes the fake serves (paths as in the resources named in each file).
mod consuming;
mod health;
mod instances;
mod rebalance;
mod tables;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post, put};

use super::state::{Endpoint, Shared};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(health::health))
        .route("/tables", get(tables::list))
        .route("/tables/{table}", get(tables::config))
        .route("/tables/{table}/idealstate", get(views::ideal_state))
        .route("/tables/{table}/externalview", get(views::external_view))
        .route("/tables/{table}/segmentsStatus", get(views::segments_status))
        .route("/tables/{table}/consumingSegmentsInfo", get(consuming::info))
        .route(
            "/tables/{table}/rebalance",
            post(rebalance::rebalance).delete(rebalance::cancel),
        )
        .route("/rebalanceStatus/{job}", get(rebalance::status))
        .route("/table/{table}/jobs", get(rebalance::jobs))
        .route("/instances", get(instances::list))
        .route("/liveinstances", get(instances::live))
        .route("/instances/{instance}", get(instances::get))
        .route("/instances/{instance}/updateTags", put(instances::update_tags))
}

const fn read(id: &'static str) -> Endpoint {
    Endpoint {
        id,
        mutation: false,
        method: "GET",
    }
}

/// The first value of a query parameter, as `@QueryParam` takes it.
fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}
