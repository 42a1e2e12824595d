//! `GET /tables` and `GET /tables/{t}` (PinotTableRestletResource.listTables / listTableConfigs).
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::{param, read};
use crate::pinot::names::{TableType, raw_name};
use crate::pinot::state::{PinotError, Reply, Shared};
use crate::pinot::table_config::table_config;

/// Raw names when no type is asked (distinct, sorted), names with type when one is.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("listTables"), |inner, _| {
            let wanted = match param(&query, "type") {
                None => None,
                Some(text) if text.eq_ignore_ascii_case("dimension") => Some(TableType::Offline),
                Some(text) => Some(TableType::parse(text).ok_or_else(|| {
                    PinotError::new(
                        500,
                        format!(
                            "No enum constant org.apache.pinot.spi.config.table.TableType.{}",
                            text.to_uppercase()
                        ),
                    )
                })?),
            };
            let tables = &inner.controller.cluster.tables;
            let mut names: Vec<String> = match wanted {
                None => tables.keys().map(|name| raw_name(name).to_string()).collect(),
                Some(kind) => tables
                    .values()
                    .filter(|t| t.table_type == kind)
                    .map(|t| t.name.clone())
                    .collect(),
            };
            names.sort();
            names.dedup();
            if param(&query, "sortAsc") == Some("false") {
                names.reverse();
            }
            Ok(Reply::Json(json!({"tables": names})))
        })
        .await
}

/// `{"OFFLINE": config, "REALTIME": config}` for the types the table has (and `type` allows).
pub async fn config(
    State(shared): State<Arc<Shared>>,
    uri: OriginalUri,
    Path(table): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared
        .serve(uri.path(), read("getTable"), |inner, _| {
            let wanted = param(&query, "type");
            let mut answer = serde_json::Map::new();
            for kind in [TableType::Offline, TableType::Realtime] {
                if wanted.is_some_and(|w| !w.eq_ignore_ascii_case(kind.name())) {
                    continue;
                }
                if let Some(found) = inner.controller.cluster.tables.get(&kind.with_type(&table)) {
                    answer.insert(kind.name().to_string(), table_config(found));
                }
            }
            if answer.is_empty() {
                let name = wanted
                    .map(|w| format!("{table}_{}", w.to_uppercase()))
                    .unwrap_or(table.clone());
                return Err(PinotError::new(404, format!("Table {name} does not exist")));
            }
            Ok(Reply::Json(Value::Object(answer)))
        })
        .await
}
