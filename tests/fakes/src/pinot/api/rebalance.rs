//! Rebalance endpoints (PinotTableRestletResource): start, cancel, job status, the table's jobs.
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;
use serde_json::Value;

use super::{param, read};
use crate::pinot::names::TableType;
use crate::pinot::params::RebalanceConfig;
use crate::pinot::rebalance;
use crate::pinot::state::{Endpoint, PinotError, Reply, Shared};

/// A dry run changes nothing, so it is not counted as a mutation (it is logged as `rebalanceDryRun`).
pub async fn rebalance(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let config = RebalanceConfig::from_query(&query);
    let dry = config.as_ref().is_ok_and(|c| c.dry_run || c.pre_checks);
    let endpoint = if dry {
        Endpoint {
            id: "rebalanceDryRun",
            mutation: false,
            method: "POST",
        }
    } else {
        Endpoint {
            id: "rebalance",
            mutation: true,
            method: "POST",
        }
    };
    shared
        .serve(uri.path(), endpoint, |inner, now| {
            // Jersey answers a parameter it cannot convert with a bare 404 before the resource runs.
            let config = config.map_err(|_| PinotError::new(404, "HTTP 404 Not Found"))?;
            let inner = &mut *inner;
            rebalance::rebalance(
                &mut inner.controller,
                &mut inner.desk.faults,
                &table,
                param(&query, "type"),
                config,
                now,
            )
            .map(Reply::Json)
        })
        .await
}

pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let endpoint = Endpoint {
        id: "cancelRebalance",
        mutation: true,
        method: "DELETE",
    };
    shared
        .serve(uri.path(), endpoint, |inner, now| {
            rebalance::cancel(&mut inner.controller, &table, param(&query, "type"), now).map(Reply::Json)
        })
        .await
}

pub async fn status(State(shared): State<Arc<Shared>>, uri: OriginalUri, Path(job): Path<String>) -> Response {
    shared
        .serve(uri.path(), read("rebalanceStatus"), |inner, now| {
            let controller = &inner.controller;
            let found = controller
                .job(&job)
                .ok_or_else(|| PinotError::new(404, format!("Rebalance job with ID: {job} not found")))?;
            Ok(Reply::Json(found.status_response(now, controller.epoch_ms)))
        })
        .await
}

/// `GET /table/{t}/jobs?type=&jobTypes=`: jobId -> job metadata (string values, as stored in ZK).
pub async fn jobs(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("tableJobs"), |inner, now| {
            let table_type = match param(&query, "type").filter(|t| !t.trim().is_empty()) {
                None => None,
                Some(text) => Some(
                    TableType::parse(text)
                        .ok_or_else(|| PinotError::new(400, format!("Illegal table type '{text}'")))?,
                ),
            };
            if let Some(types) = param(&query, "jobTypes").filter(|t| !t.is_empty()) {
                for kind in types.split(',').filter(|t| !t.is_empty()) {
                    if !["RELOAD_SEGMENT", "FORCE_COMMIT", "TABLE_REBALANCE", "TENANT_REBALANCE"]
                        .contains(&kind.to_uppercase().as_str())
                    {
                        return Err(PinotError::new(400, format!("Unknown job type: {kind}")));
                    }
                }
            }
            let names = existing_tables(&inner.controller.cluster.tables, &table, table_type)?;
            let rebalances = param(&query, "jobTypes")
                .is_none_or(|t| t.is_empty() || t.to_uppercase().split(',').any(|k| k == "TABLE_REBALANCE"));
            let mut answer = serde_json::Map::new();
            if rebalances {
                for job in inner.controller.jobs.iter().filter(|j| names.contains(&j.table)) {
                    answer.insert(job.id.clone(), job.metadata(now, inner.controller.epoch_ms));
                }
            }
            Ok(Reply::Json(Value::Object(answer)))
        })
        .await
}

/// `PinotHelixResourceManager.getExistingTableNamesWithType`.
fn existing_tables<T>(
    tables: &std::collections::BTreeMap<String, T>,
    table: &str,
    table_type: Option<TableType>,
) -> Result<Vec<String>, PinotError> {
    let mut names = Vec::new();
    if let Some(from_name) = crate::pinot::names::type_of(table) {
        if let Some(wanted) = table_type.filter(|&wanted| wanted != from_name) {
            return Err(PinotError::new(
                403,
                format!("Table name: {table} does not match table type: {}", wanted.name()),
            ));
        }
        if tables.contains_key(table) {
            names.push(table.to_string());
        }
    } else {
        for kind in [TableType::Offline, TableType::Realtime] {
            if table_type.is_none_or(|wanted| wanted == kind) && tables.contains_key(&kind.with_type(table)) {
                names.push(kind.with_type(table));
            }
        }
    }
    if names.is_empty() {
        let suffix = table_type.map(|t| format!("_{}", t.name())).unwrap_or_default();
        return Err(PinotError::new(404, format!("Table '{table}{suffix}' not found.")));
    }
    Ok(names)
}
