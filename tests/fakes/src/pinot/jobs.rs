//! Rebalance jobs as the controller tracks them in ZooKeeper: TableRebalanceProgressStats and
//! TableRebalanceContext, written by the job's observer on progress and as a heartbeat. The stats a
//! client reads are that last write, so a job whose controller died shows its last state for ever (or
//! until the RebalanceChecker aborts it).
use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::cluster::Assignment;
use super::params::RebalanceConfig;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const DONE: &str = "DONE";
pub const FAILED: &str = "FAILED";
pub const NO_OP: &str = "NO_OP";
pub const CANCELLED: &str = "CANCELLED";
pub const ABORTED: &str = "ABORTED";

pub struct Job {
    pub id: String,
    pub original_id: String,
    pub attempt: i32,
    pub allow_retries: bool,
    pub table: String,
    pub config: RebalanceConfig,
    pub status: &'static str,
    /// Model times.
    pub start_ms: u64,
    /// The last write to ZK (the job metadata's submissionTimeMs).
    pub updated_ms: u64,
    pub time_to_finish_s: u64,
    pub completion: Option<String>,
    pub min_available: i32,
    /// Ideal state when the job started, its target, and the ideal state at the start of the current step.
    pub initial: Assignment,
    pub target: Assignment,
    pub step_from: Assignment,
    /// Segments whose convergence the job waits for in this step.
    pub monitor: BTreeSet<String>,
    pub next_check_ms: u64,
    pub wait_started_ms: u64,
    pub wait_deadline_ms: u64,
    pub previous_remaining: Option<usize>,
    pub extensions: u32,
    /// A controller thread runs the job. False after a controller restart: the job is orphaned in ZK.
    pub alive: bool,
    /// Fault: report DONE as soon as the ideal state reaches the target, before the external view does.
    pub done_early: bool,
    /// Fault: the job makes no progress (its thread is stuck) though its controller lives and heartbeats.
    pub stalled: bool,
    /// The stats as last written.
    pub stats: Value,
}

impl Job {
    pub fn in_progress(&self) -> bool {
        self.status == IN_PROGRESS
    }

    /// When the job last wrote to ZK as seen at `now`: a live job heartbeats every heartbeat interval.
    pub fn last_write_ms(&self, now: u64) -> u64 {
        if self.alive && self.in_progress() {
            let interval = self.config.heartbeat_interval_ms.max(1) as u64;
            self.updated_ms + (now.saturating_sub(self.updated_ms) / interval) * interval
        } else {
            self.updated_ms
        }
    }

    pub fn context(&self) -> Value {
        json!({
            "jobId": self.id,
            "originalJobId": self.original_id,
            "config": self.config.to_json(),
            "attemptId": self.attempt,
            "allowRetries": self.allow_retries,
        })
    }

    /// `GET /rebalanceStatus/{jobId}`: ServerRebalanceJobStatusResponse.
    pub fn status_response(&self, now: u64, epoch_ms: u64) -> Value {
        let elapsed = if self.stats["status"] == DONE {
            0
        } else {
            (epoch_ms + now).saturating_sub(self.stats["startTimeMs"].as_u64().unwrap_or(epoch_ms + now)) / 1000
        };
        json!({
            "timeElapsedSinceStartInSeconds": elapsed,
            "tableRebalanceProgressStats": self.stats,
            "tableRebalanceContext": self.context(),
        })
    }

    /// The job's ZK metadata, as `GET /table/{t}/jobs` lists it (all values strings).
    pub fn metadata(&self, now: u64, epoch_ms: u64) -> Value {
        json!({
            "jobId": self.id,
            "tableName": self.table,
            "jobType": "TABLE_REBALANCE",
            "submissionTimeMs": (epoch_ms + self.last_write_ms(now)).to_string(),
            "REBALANCE_PROGRESS_STATS": self.stats.to_string(),
            "REBALANCE_CONTEXT": self.context().to_string(),
        })
    }
}

/// RebalanceStateStats (`getDifferenceBetweenTableRebalanceStates`): how far `source` is from `target`.
/// Jackson writes the public fields under their Java names, underscore included.
pub fn state_difference(target: &Assignment, source: &Assignment) -> Value {
    let (mut missing, mut segments, mut replicas) = (0u32, 0u32, 0u32);
    for (segment, wanted) in target {
        let Some(have) = source.get(segment) else {
            missing += 1;
            segments += 1;
            continue;
        };
        let mut converged = true;
        for (instance, state) in wanted {
            if state == "OFFLINE" {
                continue;
            }
            if have.get(instance) != Some(state) {
                replicas += 1;
                converged = false;
            }
        }
        if !converged {
            segments += 1;
        }
    }
    let percent = if target.is_empty() {
        0.0
    } else {
        f64::from(segments) / target.len() as f64 * 100.0
    };
    json!({
        "_segmentsMissing": missing,
        "_segmentsToRebalance": segments,
        "_percentSegmentsToRebalance": percent,
        "_replicasToRebalance": replicas,
    })
}

pub fn zero_state() -> Value {
    state_difference(&Assignment::new(), &Assignment::new())
}

/// RebalanceProgressStats of the change `from` -> `to`, given what the external view shows now.
pub fn progress(
    from: &Assignment,
    to: &Assignment,
    external: &Assignment,
    segment_size: u64,
    start_wall_ms: u64,
    now_wall_ms: u64,
) -> Value {
    let replicas = |a: &Assignment| -> BTreeSet<(String, String)> {
        a.iter()
            .flat_map(|(s, m)| m.keys().map(move |i| (s.clone(), i.clone())))
            .collect()
    };
    let (before, after) = (replicas(from), replicas(to));
    let shown = |segment: &str, instance: &str| external.get(segment).and_then(|m| m.get(instance));
    let adds: Vec<&(String, String)> = after.difference(&before).collect();
    let deletes: Vec<&(String, String)> = before.difference(&after).collect();
    let remaining_adds = adds
        .iter()
        .filter(|(s, i)| shown(s, i) != to.get(s).and_then(|m| m.get(i)))
        .count();
    let remaining_deletes = deletes.iter().filter(|(s, i)| shown(s, i).is_some()).count();
    let converge = after
        .intersection(&before)
        .filter(|(s, i)| shown(s, i) != to.get(s).and_then(|m| m.get(i)))
        .count();
    let percent = |total: usize, remaining: usize| {
        if total == 0 {
            0.0
        } else {
            remaining as f64 / total as f64 * 100.0
        }
    };
    let elapsed = now_wall_ms.saturating_sub(start_wall_ms) as f64 / 1000.0;
    let estimate = |total: usize, remaining: usize| {
        let done = total - remaining;
        if done == 0 {
            if total == 0 { 0.0 } else { -1.0 }
        } else {
            remaining as f64 / done as f64 * elapsed
        }
    };
    json!({
        "totalSegmentsToBeAdded": adds.len(),
        "totalSegmentsToBeDeleted": deletes.len(),
        "totalRemainingSegmentsToBeAdded": remaining_adds,
        "totalRemainingSegmentsToBeDeleted": remaining_deletes,
        "totalRemainingSegmentsToConverge": converge,
        "totalCarryOverSegmentsToBeAdded": 0,
        "totalCarryOverSegmentsToBeDeleted": 0,
        "totalUniqueNewUntrackedSegmentsDuringRebalance": 0,
        "isForceCommittingConsumingSegments": false,
        "totalSegmentsForceCommitted": 0,
        "percentageRemainingSegmentsToBeAdded": percent(adds.len(), remaining_adds),
        "percentageRemainingSegmentsToBeDeleted": percent(deletes.len(), remaining_deletes),
        "estimatedTimeToCompleteAddsInSeconds": estimate(adds.len(), remaining_adds),
        "estimatedTimeToCompleteDeletesInSeconds": estimate(deletes.len(), remaining_deletes),
        "averageSegmentSizeInBytes": segment_size,
        "totalEstimatedDataToBeMovedInBytes": segment_size * adds.len() as u64,
        "startTimeMs": start_wall_ms,
    })
}

/// An all-zero RebalanceProgressStats (the current step of a finished job).
pub fn zero_progress() -> Value {
    let mut value = progress(&Assignment::new(), &Assignment::new(), &Assignment::new(), 0, 0, 0);
    value["startTimeMs"] = json!(0);
    value
}

/// A UUID-shaped job id (TableRebalancer.createUniqueRebalanceJobIdentifier uses UUID.randomUUID);
/// derived from a counter and the start time so runs are reproducible.
pub fn new_job_id(counter: u64, salt: u64) -> String {
    let mut state = counter.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_look_like_uuids_and_differ() {
        let (a, b) = (new_job_id(1, 7), new_job_id(2, 7));
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.split('-').map(str::len).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12]);
    }

    #[test]
    fn state_difference_counts_like_the_observer() {
        let target: Assignment = [
            (
                "a".to_string(),
                [
                    ("s1".to_string(), "ONLINE".to_string()),
                    ("s2".to_string(), "ONLINE".to_string()),
                ]
                .into(),
            ),
            ("b".to_string(), [("s1".to_string(), "ONLINE".to_string())].into()),
        ]
        .into();
        let source: Assignment = [("a".to_string(), [("s1".to_string(), "ONLINE".to_string())].into())].into();
        let diff = state_difference(&target, &source);
        assert_eq!(
            (diff["_segmentsMissing"].as_u64(), diff["_segmentsToRebalance"].as_u64()),
            (Some(1), Some(2))
        );
        assert_eq!(
            (
                diff["_replicasToRebalance"].as_u64(),
                diff["_percentSegmentsToRebalance"].as_f64()
            ),
            (Some(1), Some(100.0))
        );
    }
}
