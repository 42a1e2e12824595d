//! Table rebalances (PinotTableRestletResource, TableRebalancer): start (dry run or real, with the
//! caller's parameter map), follow a job, cancel, and the table's jobs.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::client::{Call, Endpoint, Pinot, get};
use crate::error::PinotError;
use crate::tables::{TableType, raw_table_name};

/// What `POST /tables/{t}/rebalance` answered. `raw` keeps the whole answer (summary, assignments).
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceResult {
    /// Absent in older controllers' answers to a dry run.
    pub job_id: Option<String>,
    /// NO_OP, DONE, FAILED, IN_PROGRESS, ABORTED, CANCELLED, UNKNOWN_ERROR.
    pub status: String,
    pub description: String,
    /// Pre-check name -> (PASS | WARN | ERROR, message), when pre-checks ran.
    pub pre_checks: BTreeMap<String, (String, String)>,
    /// `rebalanceSummaryResult.serverInfo.numServers`: (before, expected after), when summarised.
    pub servers: Option<(u32, u32)>,
    /// `rebalanceSummaryResult.segmentInfo.totalSegmentsToBeMoved`, when summarised.
    pub segments_to_move: Option<u64>,
    pub raw: Value,
}

/// `GET /rebalanceStatus/{jobId}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceStatus {
    /// `tableRebalanceProgressStats.status`.
    pub status: String,
    pub time_elapsed_seconds: u64,
    pub completion_message: String,
    pub raw: Value,
}

/// One entry of `GET /table/{t}/jobs` (the job's ZooKeeper metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableJob {
    pub job_id: String,
    /// With type suffix.
    pub table: String,
    pub job_type: String,
    /// `submissionTimeMs`: the controller rewrites it with every progress write and heartbeat, so it
    /// is the time the job last showed life (the RebalanceChecker reads it so too).
    pub submission_time_ms: Option<u64>,
    /// The status inside `REBALANCE_PROGRESS_STATS`, for rebalance jobs.
    pub status: Option<String>,
    /// `startTimeMs` inside `REBALANCE_PROGRESS_STATS`: when the job started (fixed for its life).
    pub start_time_ms: Option<u64>,
    /// `originalJobId` inside `REBALANCE_CONTEXT`: the first attempt's id when the RebalanceChecker
    /// retried a job (`<id>_2`, ...), else the job's own id.
    pub original_job_id: Option<String>,
}

impl RebalanceResult {
    fn from_value(raw: Value) -> RebalanceResult {
        let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
        let pre_checks = raw["preChecksResult"]
            .as_object()
            .map(|checks| {
                checks
                    .iter()
                    .map(|(name, check)| (name.clone(), (text(&check["preCheckStatus"]), text(&check["message"]))))
                    .collect()
            })
            .unwrap_or_default();
        let num_servers = &raw["rebalanceSummaryResult"]["serverInfo"]["numServers"];
        let count = |value: &Value| value.as_u64().and_then(|n| u32::try_from(n).ok());
        let servers =
            count(&num_servers["valueBeforeRebalance"]).zip(count(&num_servers["expectedValueAfterRebalance"]));
        RebalanceResult {
            job_id: raw["jobId"].as_str().map(str::to_string),
            status: text(&raw["status"]),
            description: text(&raw["description"]),
            pre_checks,
            servers,
            segments_to_move: raw["rebalanceSummaryResult"]["segmentInfo"]["totalSegmentsToBeMoved"].as_u64(),
            raw,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJob {
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    table_name: String,
    #[serde(default)]
    job_type: String,
    #[serde(default)]
    submission_time_ms: Option<Value>,
    #[serde(rename = "REBALANCE_PROGRESS_STATS", default)]
    progress_stats: Option<String>,
    #[serde(rename = "REBALANCE_CONTEXT", default)]
    context: Option<String>,
}

impl Pinot {
    /// `POST /tables/{table}/rebalance?<parameters>`. `parameters` are sent as given (`type` among
    /// them; `dryRun=true` changes nothing). A table unknown to the controller is [`PinotError::TableNotFound`];
    /// a rebalance already running is HTTP 409 ([`PinotError::is_conflict`]).
    pub async fn rebalance(
        &self,
        table: &str,
        parameters: &BTreeMap<String, String>,
    ) -> Result<RebalanceResult, PinotError> {
        let query: Vec<(&str, &str)> = parameters.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let call = Call {
            endpoint: Endpoint {
                method: "POST",
                template: "/tables/{table}/rebalance",
            },
            segments: &["tables", table, "rebalance"],
            query: &query,
        };
        let shown = table_with_type(table, parameters.get("type").map(String::as_str));
        let raw: Value = self.table_json(&call, &shown).await?;
        Ok(RebalanceResult::from_value(raw))
    }

    /// `GET /rebalanceStatus/{jobId}`. Synchronous (`downtime=true`) rebalances are not tracked: 404.
    pub async fn rebalance_status(&self, job_id: &str) -> Result<RebalanceStatus, PinotError> {
        let call = Call {
            endpoint: get("/rebalanceStatus/{jobId}"),
            segments: &["rebalanceStatus", job_id],
            query: &[],
        };
        let raw: Value = self.json(&call).await?;
        let stats = &raw["tableRebalanceProgressStats"];
        Ok(RebalanceStatus {
            status: stats["status"].as_str().unwrap_or_default().to_string(),
            time_elapsed_seconds: raw["timeElapsedSinceStartInSeconds"].as_u64().unwrap_or(0),
            completion_message: stats["completionStatusMsg"].as_str().unwrap_or_default().to_string(),
            raw,
        })
    }

    /// `DELETE /tables/{table}/rebalance?type=`: cancels the running rebalance; the cancelled job ids
    /// (none is not an error).
    pub async fn cancel_rebalance(&self, table: &str, table_type: TableType) -> Result<Vec<String>, PinotError> {
        let call = Call {
            endpoint: Endpoint {
                method: "DELETE",
                template: "/tables/{table}/rebalance",
            },
            segments: &["tables", table, "rebalance"],
            query: &[("type", table_type.as_str())],
        };
        let mut ids: Vec<String> = self.table_json(&call, &table_type.with_type(table)).await?;
        ids.sort();
        Ok(ids)
    }

    /// `GET /table/{table}/jobs?jobTypes=`: the table's controller jobs (both types for a raw name),
    /// sorted by table and job id. `job_types` empty: every type.
    pub async fn table_jobs(&self, table: &str, job_types: &[&str]) -> Result<Vec<TableJob>, PinotError> {
        let types = job_types.join(",");
        let query: Vec<(&str, &str)> = if types.is_empty() {
            Vec::new()
        } else {
            vec![("jobTypes", types.as_str())]
        };
        let call = Call {
            endpoint: get("/table/{table}/jobs"),
            segments: &["table", table, "jobs"],
            query: &query,
        };
        let jobs: BTreeMap<String, RawJob> = self.table_json(&call, table).await?;
        let mut out: Vec<TableJob> = jobs
            .into_iter()
            .map(|(id, job)| {
                // Both are JSON documents stored as strings in the job's ZooKeeper record.
                let embedded = |text: &Option<String>| {
                    text.as_deref()
                        .and_then(|text| serde_json::from_str::<Value>(text).ok())
                        .unwrap_or(Value::Null)
                };
                let (stats, context) = (embedded(&job.progress_stats), embedded(&job.context));
                TableJob {
                    status: stats["status"].as_str().map(str::to_string),
                    start_time_ms: stats["startTimeMs"].as_u64(),
                    original_job_id: context["originalJobId"].as_str().map(str::to_string),
                    job_id: if job.job_id.is_empty() { id } else { job.job_id },
                    table: job.table_name,
                    job_type: job.job_type,
                    submission_time_ms: match job.submission_time_ms {
                        Some(Value::String(ms)) => ms.parse().ok(),
                        Some(Value::Number(ms)) => ms.as_u64(),
                        _ => None,
                    },
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.table, &a.job_id).cmp(&(&b.table, &b.job_id)));
        Ok(out)
    }
}

/// The table as errors name it: `kf_metrics_REALTIME` for `kf_metrics` with `type=REALTIME`.
fn table_with_type(table: &str, table_type: Option<&str>) -> String {
    match table_type.and_then(TableType::parse) {
        Some(kind) => kind.with_type(raw_table_name(table)),
        None => table.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_answer_is_summarised() {
        let raw = serde_json::json!({
            "jobId": "j1", "status": "DONE", "description": "Dry-run mode",
            "preChecksResult": {"isMinimizeDataMovement": {"preCheckStatus": "PASS", "message": "ok"}},
            "rebalanceSummaryResult": {
                "serverInfo": {"numServers": {"valueBeforeRebalance": 6, "expectedValueAfterRebalance": 9}},
                "segmentInfo": {"totalSegmentsToBeMoved": 12}
            }
        });
        let result = RebalanceResult::from_value(raw);
        assert_eq!(result.job_id.as_deref(), Some("j1"));
        assert_eq!(result.servers, Some((6, 9)));
        assert_eq!(result.segments_to_move, Some(12));
        assert_eq!(result.pre_checks["isMinimizeDataMovement"].0, "PASS");
    }

    #[test]
    fn tables_are_named_with_their_type() {
        assert_eq!(table_with_type("kf_metrics", Some("REALTIME")), "kf_metrics_REALTIME");
        assert_eq!(
            table_with_type("kf_metrics_REALTIME", Some("realtime")),
            "kf_metrics_REALTIME"
        );
        assert_eq!(table_with_type("kf_metrics", None), "kf_metrics");
    }
}
