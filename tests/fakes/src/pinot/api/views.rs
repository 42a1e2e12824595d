//! Ideal state, external view and segment status (TableViews): `?tableType=` (not `type`) picks the
//! table type; without it both are looked up and absent ones are `null`.
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::{param, read};
use crate::pinot::cluster::{Assignment, CONSUMING, ERROR, OFFLINE, ONLINE};
use crate::pinot::engine::Controller;
use crate::pinot::names::TableType;
use crate::pinot::state::{PinotError, Reply, Shared};

#[derive(Clone, Copy)]
enum View {
    Ideal,
    External,
}

pub async fn ideal_state(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("idealState"), |inner, _| {
            table_view(&inner.controller, &table, &query, View::Ideal).map(Reply::Json)
        })
        .await
}

pub async fn external_view(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("externalView"), |inner, _| {
            table_view(&inner.controller, &table, &query, View::External).map(Reply::Json)
        })
        .await
}

/// `[{segmentName, segmentStatus}]` over the ideal state's segments: GOOD when the external view matches
/// and every replica is ONLINE/CONSUMING (or some OFFLINE), BAD with an ERROR replica, UPDATING otherwise.
pub async fn segments_status(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("segmentsStatus"), |inner, _| {
            let table_type = table_type(&query)?;
            let ideal = views(&inner.controller, &table, table_type, View::Ideal)?;
            let external = views(&inner.controller, &table, table_type, View::External)?;
            let ideal = state_map(&ideal);
            let external = state_map(&external);
            let statuses: Vec<Value> = ideal
                .iter()
                .map(|(segment, wanted)| json!({"segmentName": segment, "segmentStatus": display_status(external.get(segment), wanted)}))
                .collect();
            Ok(Reply::JsonText(serde_json::to_string_pretty(&statuses).unwrap_or_default()))
        })
        .await
}

fn display_status(
    external: Option<&std::collections::BTreeMap<String, String>>,
    ideal: &std::collections::BTreeMap<String, String>,
) -> &'static str {
    let Some(external) = external else { return "UPDATING" };
    if external.values().any(|s| s == ERROR) {
        return "BAD";
    }
    if external == ideal {
        let serving = external.values().all(|s| s == ONLINE || s == CONSUMING);
        if serving || external.values().any(|s| s == OFFLINE) {
            return "GOOD";
        }
    }
    "UPDATING"
}

fn table_type(query: &[(String, String)]) -> Result<Option<TableType>, PinotError> {
    match param(query, "tableType") {
        None => Ok(None),
        Some(text) => TableType::parse(text)
            .map(Some)
            .ok_or_else(|| PinotError::new(400, format!("Illegal table type '{text}'"))),
    }
}

/// (OFFLINE, REALTIME) maps of the view; 404 when neither exists.
fn views(
    controller: &Controller,
    table: &str,
    table_type: Option<TableType>,
    view: View,
) -> Result<(Option<Assignment>, Option<Assignment>), PinotError> {
    let lookup = |kind: TableType| -> Option<Assignment> {
        if table_type.is_some_and(|wanted| wanted != kind) {
            return None;
        }
        let found = controller.cluster.tables.get(&kind.with_type(table))?;
        Some(match view {
            View::Ideal => found.ideal.clone(),
            View::External => found.external.clone(),
        })
    };
    let pair = (lookup(TableType::Offline), lookup(TableType::Realtime));
    if pair.0.is_none() && pair.1.is_none() {
        return Err(PinotError::new(404, "Table not found"));
    }
    Ok(pair)
}

/// `getStateMap`: the OFFLINE map if non-empty, else the REALTIME one.
fn state_map(pair: &(Option<Assignment>, Option<Assignment>)) -> Assignment {
    match pair {
        (Some(offline), _) if !offline.is_empty() => offline.clone(),
        (_, Some(realtime)) if !realtime.is_empty() => realtime.clone(),
        _ => Assignment::new(),
    }
}

fn table_view(
    controller: &Controller,
    table: &str,
    query: &[(String, String)],
    view: View,
) -> Result<Value, PinotError> {
    let (offline, realtime) = views(controller, table, table_type(query)?, view)?;
    let filter = |map: Option<Assignment>| -> Option<Assignment> {
        let segments: Option<Vec<&str>> = param(query, "segmentNames")
            .filter(|s| !s.is_empty())
            .map(|s| s.split(',').map(str::trim).collect());
        map.map(|map| match &segments {
            Some(wanted) => map
                .into_iter()
                .filter(|(segment, _)| wanted.contains(&segment.as_str()))
                .collect(),
            None => map,
        })
    };
    Ok(json!({"OFFLINE": filter(offline), "REALTIME": filter(realtime)}))
}
