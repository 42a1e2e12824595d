//! The controller's background work on the model clock: servers loading segments (cluster.rs), each
//! no-downtime rebalance job stepping through TableRebalancer's loop (wait for the external view to
//! converge on the monitored segments, then the next assignment, until the ideal state is the target),
//! and the RebalanceChecker aborting stuck jobs and retrying failed ones. Events are processed in time
//! order, jumping over idle stretches, so advancing the clock by an hour costs what happens in it.
use std::collections::BTreeSet;

use serde_json::json;

use super::assignment::{self, Target};
use super::cluster::{Assignment, Cluster, ERROR};
use super::jobs::{self, ABORTED, CANCELLED, DONE, FAILED, IN_PROGRESS, Job, NO_OP};
use super::next_step::next_assignment;
use super::params::RebalanceConfig;

pub struct Controller {
    pub cluster: Cluster,
    /// Every rebalance job tracked in ZK, oldest first.
    pub jobs: Vec<Job>,
    /// Wall-clock milliseconds at model time 0 (Pinot reports epoch milliseconds).
    pub epoch_ms: u64,
    checker_next_ms: Option<u64>,
    counter: u64,
}

/// How a job starts, beyond its config.
pub struct JobStart<'a> {
    pub id: String,
    pub original_id: String,
    pub attempt: i32,
    pub config: &'a RebalanceConfig,
    pub done_early: bool,
}

impl Controller {
    pub fn new(cluster: Cluster, epoch_ms: u64) -> Controller {
        let period = (cluster.timing.rebalance_checker_period_seconds * 1000.0) as u64;
        Controller {
            cluster,
            jobs: Vec::new(),
            epoch_ms,
            checker_next_ms: (period > 0).then_some(period),
            counter: 0,
        }
    }

    pub fn new_job_id(&mut self, now: u64) -> String {
        self.counter += 1;
        jobs::new_job_id(self.counter, self.epoch_ms + now)
    }

    pub fn wall(&self, model_ms: u64) -> u64 {
        self.epoch_ms + model_ms
    }

    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|job| job.id == id)
    }

    /// The job of `table` that ZK shows IN_PROGRESS, which blocks a new rebalance (409).
    pub fn in_progress(&self, table: &str) -> Option<&Job> {
        self.jobs.iter().find(|job| job.table == table && job.in_progress())
    }

    /// Runs everything due up to `now`, in time order.
    pub fn advance(&mut self, now: u64) {
        loop {
            let next_job = self
                .jobs
                .iter()
                .filter(|j| j.in_progress() && j.alive && !j.stalled)
                .map(|j| j.next_check_ms)
                .min();
            let t = [self.cluster.next_transition(), next_job, self.checker_next_ms]
                .into_iter()
                .flatten()
                .min();
            let Some(t) = t.filter(|&t| t <= now) else { break };
            self.cluster.apply_transitions(t);
            for index in 0..self.jobs.len() {
                let job = &self.jobs[index];
                if job.in_progress() && job.alive && !job.stalled && job.next_check_ms <= t {
                    self.step(index, t);
                }
            }
            if let Some(due) = self.checker_next_ms.filter(|&due| due <= t) {
                self.run_checker(t);
                let period = (self.cluster.timing.rebalance_checker_period_seconds * 1000.0) as u64;
                self.checker_next_ms = Some(due + period.max(1));
            }
        }
    }

    /// Starts a tracked (no-downtime) rebalance job at `now` with a precomputed target, as
    /// `rebalanceTableAsync` does once the dry run said DONE. Returns the job's index.
    pub fn start_job(&mut self, table_name: &str, start: JobStart<'_>, target: Target, now: u64) -> usize {
        let table = &self.cluster.tables[table_name];
        let current = table.ideal.clone();
        let config = start.config.clone();
        let mut job = Job {
            id: start.id,
            original_id: start.original_id,
            attempt: start.attempt,
            allow_retries: true,
            table: table_name.to_string(),
            config: config.clone(),
            status: IN_PROGRESS,
            start_ms: now,
            updated_ms: now,
            time_to_finish_s: 0,
            completion: None,
            min_available: 0,
            initial: current.clone(),
            target: target.assignment.clone(),
            step_from: current.clone(),
            monitor: segments_to_move(&current, &target.assignment),
            next_check_ms: now,
            wait_started_ms: now,
            wait_deadline_ms: now + config.external_view_stabilization_timeout_ms.max(0) as u64,
            previous_remaining: None,
            extensions: 0,
            alive: true,
            done_early: start.done_early,
            stalled: false,
            stats: json!({}),
        };
        // A non-dry-run rebalance persists the instance partitions it computed.
        if let Some(table) = self.cluster.tables.get_mut(table_name) {
            table.instance_partitions = target.instances.clone();
        }
        if current == target.assignment {
            // Only reached from the RebalanceChecker's retries: the observer records the no-op.
            job.status = NO_OP;
            job.completion = Some("Instance unchanged and table is already balanced".into());
            self.write_stats(&mut job, now);
            self.jobs.push(job);
            return self.jobs.len() - 1;
        }
        self.write_stats(&mut job, now);
        match min_available(&current, &target.assignment, &config) {
            Ok(min) => job.min_available = min,
            Err(message) => self.finish(&mut job, FAILED, message, now),
        }
        self.jobs.push(job);
        self.jobs.len() - 1
    }

    /// One pass of the job's loop at model time `t`.
    fn step(&mut self, index: usize, t: u64) {
        let mut job = std::mem::replace(&mut self.jobs[index], placeholder());
        self.step_job(&mut job, t);
        self.jobs[index] = job;
    }

    fn step_job(&mut self, job: &mut Job, t: u64) {
        let Some(table) = self.cluster.tables.get(&job.table) else {
            return self.finish(job, FAILED, "Caught exception while waiting for ExternalView to converge, aborting the rebalance: Failed to find the IdealState".into(), t);
        };
        let remaining = remaining_replicas(&table.external, &table.ideal, &job.monitor, &job.config);
        let converged = match remaining {
            Err(message) => {
                let message = format!(
                    "Caught exception while waiting for ExternalView to converge, aborting the rebalance: {message}"
                );
                return self.finish(job, FAILED, message, t);
            }
            Ok(0) => true,
            Ok(left) => {
                let previous = *job.previous_remaining.get_or_insert(left);
                if t < job.wait_deadline_ms {
                    false
                } else if left < previous {
                    // Progress was made during the wait: Pinot extends the timeout.
                    job.previous_remaining = Some(left);
                    job.extensions += 1;
                    job.wait_deadline_ms = t + job.config.external_view_stabilization_timeout_ms.max(0) as u64;
                    false
                } else if job.config.best_efforts {
                    true
                } else {
                    let message = format!(
                        "Caught exception while waiting for ExternalView to converge, aborting the rebalance: \
                         ExternalView has not made progress for the last {}ms, timeout after spending {}ms waiting ({} \
                         extensions)",
                        job.config.external_view_stabilization_timeout_ms,
                        t - job.wait_started_ms,
                        job.extensions
                    );
                    return self.finish(job, FAILED, message, t);
                }
            }
        };
        if !converged {
            self.write_stats(job, t);
            let interval = job.config.external_view_check_interval_ms.max(1) as u64;
            let wake = self
                .cluster
                .next_transition_of(&job.table)
                .unwrap_or(job.wait_deadline_ms)
                .min(job.wait_deadline_ms);
            job.next_check_ms = align(wake.max(t + interval), job.wait_started_ms, interval);
            return;
        }
        let current = table.ideal.clone();
        if current == job.target {
            let message = format!(
                "Finished rebalancing with minAvailableReplicas: {}, enableStrictReplicaGroup: false, bestEfforts: {} in {} ms.",
                job.min_available,
                job.config.best_efforts,
                t - job.start_ms
            );
            return self.finish(job, DONE, message, t);
        }
        let next = next_assignment(
            &current,
            &job.target,
            job.min_available,
            job.config.low_disk_mode,
            job.config.batch_size_per_server,
        );
        let mut monitor: BTreeSet<String> = current
            .keys()
            .filter(|s| current.get(*s) != next.get(*s))
            .cloned()
            .collect();
        monitor.extend(segments_to_move(&next, &job.target));
        self.cluster.set_ideal(&job.table, next.clone(), t);
        job.step_from = current;
        job.monitor = monitor;
        job.wait_started_ms = t;
        job.wait_deadline_ms = t + job.config.external_view_stabilization_timeout_ms.max(0) as u64;
        job.previous_remaining = None;
        job.extensions = 0;
        job.next_check_ms = t + job.config.external_view_check_interval_ms.max(1) as u64;
        if job.done_early && next == job.target {
            // The fault: DONE while the servers are still loading the last step.
            let message = format!(
                "Finished rebalancing with minAvailableReplicas: {}, enableStrictReplicaGroup: false, bestEfforts: {} in {} ms.",
                job.min_available,
                job.config.best_efforts,
                t - job.start_ms
            );
            return self.finish(job, DONE, message, t);
        }
        self.write_stats(job, t);
    }

    /// The observer's stats write (START/IDEAL_STATE_CHANGE/EXTERNAL_VIEW triggers folded into one).
    fn write_stats(&self, job: &mut Job, t: u64) {
        let Some(table) = self.cluster.tables.get(&job.table) else {
            return;
        };
        let start = self.wall(job.start_ms);
        let initial_to_target = job
            .stats
            .get("initialToTargetStateConvergence")
            .cloned()
            .unwrap_or_else(|| jobs::state_difference(&job.target, &job.initial));
        let finished = job.status != IN_PROGRESS;
        job.stats = json!({
            "status": job.status,
            "startTimeMs": start,
            "timeToFinishInSeconds": job.time_to_finish_s,
            "completionStatusMsg": job.completion,
            "rebalanceProgressStatsOverall": jobs::progress(&job.initial, &job.target, &table.external, table.segment_size_bytes, start, self.wall(t)),
            "rebalanceProgressStatsCurrentStep": if finished && job.status == DONE {
                jobs::zero_progress()
            } else {
                jobs::progress(&job.step_from, &table.ideal, &table.external, table.segment_size_bytes, self.wall(job.wait_started_ms), self.wall(t))
            },
            "initialToTargetStateConvergence": initial_to_target,
            "currentToTargetConvergence": if finished && job.status == DONE { jobs::zero_state() } else { jobs::state_difference(&job.target, &table.ideal) },
            "externalViewToIdealStateConvergence": if finished && job.status == DONE { jobs::zero_state() } else { jobs::state_difference(&table.ideal, &table.external) },
        });
        job.updated_ms = t;
    }

    fn finish(&self, job: &mut Job, status: &'static str, message: String, t: u64) {
        job.status = status;
        job.completion = Some(message);
        job.time_to_finish_s = (t - job.start_ms) / 1000;
        self.write_stats(job, t);
    }

    /// `DELETE /tables/{t}/rebalance`: every IN_PROGRESS job of the table becomes CANCELLED (its thread
    /// notices at its next ZK write and stops where it is). Returns the cancelled job ids.
    pub fn cancel(&mut self, table: &str, status: &'static str, now: u64) -> Vec<String> {
        let mut cancelled = Vec::new();
        for index in 0..self.jobs.len() {
            if self.jobs[index].table == table && self.jobs[index].in_progress() {
                let mut job = std::mem::replace(&mut self.jobs[index], placeholder());
                job.status = status;
                // The ZK record keeps the last stats with only the status changed.
                job.stats["status"] = json!(status);
                job.updated_ms = now;
                cancelled.push(job.id.clone());
                self.jobs[index] = job;
            }
        }
        cancelled
    }

    /// A controller restart: no job thread survives; ZK keeps their IN_PROGRESS records.
    pub fn restart(&mut self) {
        for job in &mut self.jobs {
            job.alive = false;
        }
    }

    /// RebalanceChecker.retryRebalanceTables at model time `t`.
    fn run_checker(&mut self, t: u64) {
        let tables: BTreeSet<String> = self.jobs.iter().map(|j| j.table.clone()).collect();
        for table in tables {
            let stuck = self.jobs.iter().any(|j| {
                j.table == table
                    && j.in_progress()
                    && t.saturating_sub(j.last_write_ms(t)) >= j.config.heartbeat_timeout_ms.max(0) as u64
            });
            let Some(candidate) = self.retry_candidate(&table, t) else {
                if stuck {
                    self.cancel(&table, ABORTED, t);
                }
                continue;
            };
            if stuck {
                self.cancel(&table, ABORTED, t);
            }
            let (original, attempt, config, started) = {
                let job = &self.jobs[candidate];
                (job.original_id.clone(), job.attempt, job.config.clone(), job.start_ms)
            };
            let delay = (config.retry_initial_delay_ms.max(0) as f64 * 2f64.powi(attempt - 1)) as u64;
            if started + delay > t || self.in_progress(&table).is_some() {
                continue;
            }
            let Some(table_state) = self.cluster.tables.get(&table) else {
                continue;
            };
            let Ok(target) = assignment::target(&self.cluster, table_state, &config) else {
                continue;
            };
            let start = JobStart {
                id: format!("{original}_{}", attempt + 1),
                original_id: original,
                attempt: attempt + 1,
                config: &config,
                done_early: false,
            };
            self.start_job(&table, start, target, t);
        }
    }

    /// RebalanceChecker.getCandidateJobs + getLatestJob: the job to retry, if any.
    fn retry_candidate(&self, table: &str, t: u64) -> Option<usize> {
        let jobs: Vec<(usize, &Job)> = self
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| j.table == table && j.allow_retries)
            .collect();
        let latest_started = jobs.iter().max_by_key(|(_, j)| j.start_ms).map(|(i, _)| *i)?;
        let latest_completed = jobs
            .iter()
            .filter(|(_, j)| j.status == DONE || j.status == NO_OP)
            .max_by_key(|(_, j)| j.start_ms)
            .map(|(i, _)| *i);
        if latest_completed == Some(latest_started) {
            return None;
        }
        let mut skip: BTreeSet<&str> = BTreeSet::new();
        let mut candidates: Vec<(usize, &Job)> = Vec::new();
        for &(index, job) in &jobs {
            match job.status {
                DONE | NO_OP | CANCELLED => {
                    skip.insert(&job.original_id);
                }
                FAILED | ABORTED => candidates.push((index, job)),
                _ => {
                    if t.saturating_sub(job.last_write_ms(t)) < job.config.heartbeat_timeout_ms.max(0) as u64 {
                        // Actively running: no retry for the table.
                        return None;
                    }
                    candidates.push((index, job));
                }
            }
        }
        candidates.retain(|(_, j)| !skip.contains(j.original_id.as_str()));
        // Originals whose attempts reached maxAttempts are out.
        let exhausted: BTreeSet<&str> = candidates
            .iter()
            .filter(|(_, j)| j.attempt >= j.config.max_attempts)
            .map(|(_, j)| j.original_id.as_str())
            .collect();
        candidates
            .into_iter()
            .filter(|(_, j)| !exhausted.contains(j.original_id.as_str()))
            .max_by_key(|(_, j)| j.start_ms)
            .map(|(i, _)| i)
    }
}

/// Segments whose replicas differ between two assignments (`SegmentAssignmentUtils.getSegmentsToMove`).
pub fn segments_to_move(current: &Assignment, target: &Assignment) -> BTreeSet<String> {
    current
        .keys()
        .filter(|s| current.get(*s) != target.get(*s))
        .cloned()
        .collect()
}

/// The min available replicas of a no-downtime rebalance, or the failure Pinot reports for it.
fn min_available(current: &Assignment, target: &Assignment, config: &RebalanceConfig) -> Result<i32, String> {
    let moving = segments_to_move(current, target);
    let replicas = moving
        .iter()
        .filter_map(|s| target.get(s))
        .map(|m| m.len() as i32)
        .min()
        .unwrap_or(i32::MAX);
    let mut min = if config.min_available_replicas >= 0 {
        if config.min_available_replicas >= replicas {
            return Err(format!(
                "Illegal config for minReplicasToKeepUpForNoDowntime: {}, must be less than number of replicas: {replicas}, \
                 aborting the rebalance",
                config.min_available_replicas
            ));
        }
        config.min_available_replicas
    } else {
        (replicas + config.min_available_replicas).max(0)
    };
    let current_replicas = moving
        .iter()
        .filter_map(|s| current.get(s))
        .map(|m| m.len() as i32)
        .min()
        .unwrap_or(i32::MAX);
    if min > current_replicas {
        min = current_replicas;
    }
    Ok(min)
}

/// `getNumRemainingSegmentReplicasToProcess` over the monitored segments; `Err` for an ERROR replica
/// without best efforts.
fn remaining_replicas(
    external: &Assignment,
    ideal: &Assignment,
    monitor: &BTreeSet<String>,
    config: &RebalanceConfig,
) -> Result<usize, String> {
    let mut remaining = 0;
    for segment in monitor {
        let Some(wanted) = ideal.get(segment) else { continue };
        let shown = external.get(segment);
        for (instance, state) in wanted {
            if state == "OFFLINE" {
                continue;
            }
            match shown.and_then(|m| m.get(instance)) {
                Some(s) if s == state => {}
                Some(s) if s == ERROR => {
                    if !config.best_efforts {
                        return Err("Found segments in ERROR state".into());
                    }
                }
                _ => remaining += 1,
            }
        }
        if config.low_disk_mode
            && let Some(shown) = shown
        {
            remaining += shown.keys().filter(|i| !wanted.contains_key(*i)).count();
        }
    }
    Ok(remaining)
}

/// The first check time of the grid `start + k * interval` at or after `at`.
fn align(at: u64, start: u64, interval: u64) -> u64 {
    if at <= start {
        return start;
    }
    start + (at - start).div_ceil(interval) * interval
}

fn placeholder() -> Job {
    Job {
        id: String::new(),
        original_id: String::new(),
        attempt: 0,
        allow_retries: false,
        table: String::new(),
        config: RebalanceConfig::from_query(&[]).expect("the defaults parse"),
        status: CANCELLED,
        start_ms: 0,
        updated_ms: 0,
        time_to_finish_s: 0,
        completion: None,
        min_available: 0,
        initial: Assignment::new(),
        target: Assignment::new(),
        step_from: Assignment::new(),
        monitor: BTreeSet::new(),
        next_check_ms: 0,
        wait_started_ms: 0,
        wait_deadline_ms: 0,
        previous_remaining: None,
        extensions: 0,
        alive: false,
        done_early: false,
        stalled: false,
        stats: json!({}),
    }
}
