//! Following one Pinot rebalance job (`GET /rebalanceStatus/{jobId}`) to its end. Besides DONE and
//! the failures Pinot reports, it recognises three ends Pinot does not spell out:
//! - the job's controller died: a failover does not resume a rebalance, the job stays IN_PROGRESS in
//!   ZooKeeper and stops heartbeating (its `submissionTimeMs` no longer moves);
//! - the controller's RebalanceChecker aborted it and retried it under a new id (`<jobId>_2`);
//! - the controller does not know the job at all.
//!
//! A job that keeps heartbeating but whose progress figures stay the same for `pinot.stall_minutes`
//! is a stall, reported with the figures and what to do.
use std::cell::RefCell;
use std::time::Duration;

use kfscale_pinot::{Pinot, RebalanceStatus, raw_table_name};
use serde_json::Value;

use crate::engine::context::{StepContext, StepError};
use crate::engine::report::progress::Progress as Report;
use crate::engine::wait::stall::{StallWatch, shown};
use crate::plan::TableRebalance;

/// Pinot's default `heartbeatIntervalInMs` (RebalanceConfig).
const DEFAULT_HEARTBEAT_MS: u64 = 300_000;
/// A live job writes its record at least once per heartbeat interval; this many intervals of
/// silence means no controller thread runs it any more.
const SILENT_INTERVALS: u64 = 3;

#[derive(Debug, PartialEq)]
pub enum JobEnd {
    /// DONE (or NO_OP), with the controller's completion message.
    Done(String),
    /// Failed, cancelled, aborted without a retry, or a status this client does not know.
    Failed { status: String, message: String },
    /// IN_PROGRESS without a heartbeat for this long: its controller is gone.
    Orphaned { silent: Duration },
    /// Aborted and retried by the RebalanceChecker as this job.
    Retried(String),
    /// `GET /rebalanceStatus/{jobId}` is 404: the controller has no record of it.
    Unknown,
}

pub async fn follow(
    ctx: &StepContext<'_>,
    pinot: &Pinot,
    table: &TableRebalance,
    job_id: &str,
) -> Result<JobEnd, StepError> {
    let name = table.table.as_str();
    let silence_limit = Duration::from_millis(heartbeat_ms(table) * SILENT_INTERVALS);
    let stall: RefCell<StallWatch<JobProgress>> = RefCell::new(StallWatch::new(ctx.settings.pinot_stall));
    let what = format!("rebalance job {job_id} of {name}");
    ctx.wait_for(&what, ctx.settings.pinot_timeout, || async {
        let status = match pinot.rebalance_status(job_id).await {
            Ok(status) => status,
            Err(err) if err.status() == Some(404) => return Ok((Some(JobEnd::Unknown), String::new())),
            Err(err) if err.is_retriable() => {
                ctx.note_retry(&what, &err.to_string());
                if let Some(flat) = stall.borrow_mut().note(None) {
                    return Err(StepError::failed(format!(
                        "Pinot rebalance job {job_id} of {name}: the controller has not answered for {} (pinot.stall_minutes): {err}; fix: bring the Pinot controller back, then re-run `kfscale apply` to resume following the job",
                        shown(flat)
                    )));
                }
                return Ok((None, format!("controller not answering: {err}")));
            }
            Err(err) => return Err(err.into()),
        };
        let end = match status.status.as_str() {
            "DONE" | "NO_OP" => JobEnd::Done(status.completion_message),
            "IN_PROGRESS" => {
                if let Some(silent) = silence(pinot, name, job_id, &status).await
                    && silent >= silence_limit
                {
                    return Ok((Some(JobEnd::Orphaned { silent }), String::new()));
                }
                let progress = JobProgress::of(&status.raw);
                let shown_progress = progress.to_string();
                ctx.report(figures(ctx.step.as_str(), &what, &format!("IN_PROGRESS, {shown_progress}"), &status.raw));
                if let Some(flat) = stall.borrow_mut().note(Some(progress)) {
                    return Err(StepError::failed(stall_message(table, job_id, &shown_progress, flat)));
                }
                return Ok((None, format!("IN_PROGRESS, {shown_progress}")));
            }
            "ABORTED" => match retry_of(pinot, name, job_id).await? {
                Some(retry) => JobEnd::Retried(retry),
                None => JobEnd::Failed {
                    status: status.status,
                    message: status.completion_message,
                },
            },
            _ => JobEnd::Failed {
                status: status.status,
                message: status.completion_message,
            },
        };
        Ok((Some(end), String::new()))
    })
    .await
}

/// The message of a job that ended badly: what happened and what to do.
pub fn failure_message(table: &TableRebalance, job_id: &str, status: &str, message: &str) -> String {
    let name = &table.table;
    let why = match status {
        "CANCELLED" => format!("it was cancelled (DELETE /tables/{}/rebalance)", raw_table_name(name)),
        "ABORTED" => {
            "the controller aborted it (no heartbeat: its controller died or hung) and has not retried it".to_string()
        }
        _ => format!(
            "the controller says: {}",
            if message.is_empty() { "(no message)" } else { message }
        ),
    };
    format!(
        "Pinot rebalance job {job_id} of {name} ended {status}: {why}; fix: read the pinot-controller log for job {job_id} (GET /rebalanceStatus/{job_id}), fix the cause (the parameters come from profile.pinot.parameter_sets in kfscale.yaml), then re-run `kfscale apply`, which starts a new rebalance of {name}"
    )
}

/// How long the job has not written its record, by the controller's own clock: its start time plus
/// the elapsed time it reports is the controller's now; `submissionTimeMs` is its last write. None
/// when a figure is missing (an older controller) or the jobs list cannot be read now.
async fn silence(pinot: &Pinot, table: &str, job_id: &str, status: &RebalanceStatus) -> Option<Duration> {
    let started = status.raw["tableRebalanceProgressStats"]["startTimeMs"].as_u64()?;
    let controller_now = started + status.time_elapsed_seconds * 1000;
    let jobs = pinot.table_jobs(table, &["TABLE_REBALANCE"]).await.ok()?;
    let last_write = jobs.iter().find(|job| job.job_id == job_id)?.submission_time_ms?;
    Some(Duration::from_millis(controller_now.saturating_sub(last_write)))
}

/// The RebalanceChecker's retry of an aborted job: a newer attempt with the same original job.
async fn retry_of(pinot: &Pinot, table: &str, job_id: &str) -> Result<Option<String>, StepError> {
    let jobs = pinot.table_jobs(table, &["TABLE_REBALANCE"]).await?;
    let original = jobs
        .iter()
        .find(|job| job.job_id == job_id)
        .and_then(|job| job.original_job_id.clone())
        .unwrap_or_else(|| job_id.to_string());
    Ok(jobs
        .iter()
        .filter(|job| job.job_id != job_id && job.original_job_id.as_deref() == Some(original.as_str()))
        .filter(|job| job.status.as_deref() == Some("IN_PROGRESS") || job.status.as_deref() == Some("DONE"))
        .max_by_key(|job| (job.start_time_ms, job.job_id.clone()))
        .map(|job| job.job_id.clone()))
}

fn heartbeat_ms(table: &TableRebalance) -> u64 {
    table
        .parameters
        .get("heartbeatIntervalInMs")
        .and_then(|ms| ms.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(DEFAULT_HEARTBEAT_MS)
}

fn stall_message(table: &TableRebalance, job_id: &str, progress: &str, flat: Duration) -> String {
    let raw = raw_table_name(&table.table);
    format!(
        "Pinot rebalance job {job_id} of {} made no progress for {} (pinot.stall_minutes): {progress}; fix: check the pinot-server pods receiving segments (Ready, disk, logs) and the pinot-controller log; to stop the job: DELETE /tables/{raw}/rebalance?type={}; then re-run `kfscale apply` (it follows the job again, or reports how it ended)",
        table.table,
        shown(flat),
        table.table_type
    )
}

/// What `kfscale status` shows of a running job: segment replicas added of those to add, and the
/// controller's own estimate of the time left (`estimatedTimeToCompleteAddsInSeconds`, -1 while it
/// cannot tell).
fn figures(step: &str, what: &str, text: &str, raw: &Value) -> Report {
    let overall = &raw["tableRebalanceProgressStats"]["rebalanceProgressStatsOverall"];
    let report = Report::new(step, what, text);
    let report = match (
        overall["totalSegmentsToBeAdded"].as_f64(),
        overall["totalRemainingSegmentsToBeAdded"].as_f64(),
    ) {
        (Some(total), Some(remaining)) => report.counted(total - remaining, total, "segments"),
        _ => report,
    };
    let estimate = overall["estimatedTimeToCompleteAddsInSeconds"]
        .as_f64()
        .filter(|seconds| *seconds >= 0.0)
        .map(|seconds| seconds.ceil() as u64);
    report.eta(estimate, "the Pinot controller's estimate")
}

/// The figures of `tableRebalanceProgressStats` that move while a job makes progress (no times,
/// which change on every write).
#[derive(Debug, Clone, PartialEq)]
struct JobProgress {
    to_add: Option<u64>,
    to_delete: Option<u64>,
    to_converge: Option<u64>,
    /// `currentToTargetConvergence._segmentsToRebalance` (older controllers have only these two).
    ideal_from_target: Option<u64>,
    /// `externalViewToIdealStateConvergence._segmentsToRebalance`.
    view_from_ideal: Option<u64>,
}

impl JobProgress {
    fn of(raw: &Value) -> JobProgress {
        let stats = &raw["tableRebalanceProgressStats"];
        let overall = &stats["rebalanceProgressStatsOverall"];
        JobProgress {
            to_add: overall["totalRemainingSegmentsToBeAdded"].as_u64(),
            to_delete: overall["totalRemainingSegmentsToBeDeleted"].as_u64(),
            to_converge: overall["totalRemainingSegmentsToConverge"].as_u64(),
            ideal_from_target: stats["currentToTargetConvergence"]["_segmentsToRebalance"].as_u64(),
            view_from_ideal: stats["externalViewToIdealStateConvergence"]["_segmentsToRebalance"].as_u64(),
        }
    }
}

impl std::fmt::Display for JobProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let figure = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
        if self.to_add.is_some() || self.to_delete.is_some() {
            write!(
                f,
                "{} segment replica(s) still to add, {} to delete",
                figure(self.to_add),
                figure(self.to_delete)
            )
        } else {
            write!(
                f,
                "{} segment(s) from the target, {} not yet as the ideal state says",
                figure(self.ideal_from_target),
                figure(self.view_from_ideal)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn table(parameters: &[(&str, &str)]) -> TableRebalance {
        TableRebalance {
            table: "kf_metrics_REALTIME".into(),
            table_type: "REALTIME".into(),
            parameters: parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            servers_before: 6,
            servers_after: 12,
            why: String::new(),
        }
    }

    #[test]
    fn status_figures_come_from_the_controllers_progress_stats() {
        let raw = json!({"tableRebalanceProgressStats": {"rebalanceProgressStatsOverall": {
            "totalSegmentsToBeAdded": 40, "totalRemainingSegmentsToBeAdded": 10,
            "estimatedTimeToCompleteAddsInSeconds": 12.2}}});
        let report = figures("pinot_rebalance", "job", "IN_PROGRESS", &raw);
        assert_eq!(
            (report.done, report.total, report.eta_seconds),
            (Some(30.0), Some(40.0), Some(13))
        );
        let unknown = json!({"tableRebalanceProgressStats": {"rebalanceProgressStatsOverall": {
            "estimatedTimeToCompleteAddsInSeconds": -1.0}}});
        let report = figures("pinot_rebalance", "job", "IN_PROGRESS", &unknown);
        assert_eq!((report.done, report.eta_seconds), (None, None));
    }

    #[test]
    fn the_heartbeat_interval_comes_from_the_parameters() {
        assert_eq!(heartbeat_ms(&table(&[])), DEFAULT_HEARTBEAT_MS);
        assert_eq!(heartbeat_ms(&table(&[("heartbeatIntervalInMs", "10000")])), 10_000);
        assert_eq!(
            heartbeat_ms(&table(&[("heartbeatIntervalInMs", "x")])),
            DEFAULT_HEARTBEAT_MS
        );
    }

    #[test]
    fn progress_ignores_times_and_reads_old_controllers() {
        let raw = |add: u64, start: u64| {
            json!({"tableRebalanceProgressStats": {"startTimeMs": start,
                "rebalanceProgressStatsOverall": {"totalRemainingSegmentsToBeAdded": add,
                    "totalRemainingSegmentsToBeDeleted": 2, "totalRemainingSegmentsToConverge": 0,
                    "estimatedTimeToCompleteAddsInSeconds": start}}})
        };
        assert_eq!(JobProgress::of(&raw(5, 1)), JobProgress::of(&raw(5, 2)));
        assert_ne!(JobProgress::of(&raw(5, 1)), JobProgress::of(&raw(4, 1)));
        assert_eq!(
            JobProgress::of(&raw(5, 1)).to_string(),
            "5 segment replica(s) still to add, 2 to delete"
        );
        let old = json!({"tableRebalanceProgressStats": {
            "currentToTargetConvergence": {"_segmentsToRebalance": 3},
            "externalViewToIdealStateConvergence": {"_segmentsToRebalance": 1}}});
        assert_eq!(
            JobProgress::of(&old).to_string(),
            "3 segment(s) from the target, 1 not yet as the ideal state says"
        );
    }

    #[test]
    fn a_failure_names_the_job_and_what_to_do() {
        let message = failure_message(&table(&[]), "j-1", "FAILED", "Illegal config");
        assert!(
            message.starts_with(
                "Pinot rebalance job j-1 of kf_metrics_REALTIME ended FAILED: the controller says: Illegal config; fix:"
            ),
            "{message}"
        );
        assert!(message.contains("re-run `kfscale apply`, which starts a new rebalance"));
    }
}
