//! Rebalance the Pinot tables the plan names, with the plan's versioned parameter set. Per table:
//! - a job this apply recorded is followed (`GET /rebalanceStatus/{jobId}`);
//! - a job it started but had no time to record (killed between the POST and the checkpoint) is
//!   found among the table's jobs and adopted: before each POST the step records the table's job ids
//!   as they were (`posted_<table>`), so any other job of the table is this apply's. (Ids, not
//!   times: the controller's clock need not agree with this machine's.) A resumed apply never
//!   POSTs a rebalance the controller already has;
//! - a dry run that finds nothing to move skips the POST (this is also how a resumed apply sees that
//!   a synchronous `downtime=true` rebalance, which leaves no job, already happened);
//! - a job whose controller died is cancelled and issued again (a failover does not resume it).
//!
//! Done = the job DONE (or the synchronous answer) and every segment of the table GOOD; segments or
//! job figures that stop moving for `pinot.stall_minutes` fail the step as a stall.
//!
//! Tables are rebalanced one at a time: they move segments onto the same new servers, which load
//! one segment at a time, so running them together would finish no sooner, would make a stall
//! impossible to pin on one table, and would leave a resumed apply more than one job to find.
use std::collections::BTreeMap;

use kfscale_pinot::{Pinot, TableJob, TableType, raw_table_name};
use serde::{Deserialize, Serialize};

use super::job::{self as pinot_job, JobEnd};
use super::segments::wait_all_good;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::plan::TableRebalance;
use crate::verify::shown_counts;

/// Controller failovers survived per table in one run before giving up.
const MAX_REISSUES: usize = 3;

/// Recorded before a POST: what the table's jobs were, so a job that appears later is this apply's.
#[derive(Debug, Serialize, Deserialize)]
struct Posted {
    at: String,
    known_jobs: Vec<String>,
}

/// The state keys of one table's handles.
struct Keys {
    /// The table's jobs as they were just before this apply's POST.
    posted: HandleKey<Posted>,
    /// The job this apply follows.
    job: HandleKey<String>,
    /// Jobs never to follow or adopt again: failed ones already reported, orphans cancelled.
    abandoned: HandleKey<Vec<String>>,
    /// The table's result, once every segment is GOOD.
    done: HandleKey<String>,
}

impl Keys {
    fn of(table: &str) -> Keys {
        Keys {
            posted: HandleKey::named(format!("posted_{table}")),
            job: HandleKey::named(format!("job_{table}")),
            abandoned: HandleKey::named(format!("abandoned_{table}")),
            done: HandleKey::named(format!("done_{table}")),
        }
    }
}

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let tables = ctx.plan.pinot.tables.clone();
    if tables.is_empty() {
        return Ok(Outcome::Skipped("no Pinot table needs a manual rebalance".into()));
    }
    let pinot = ctx.systems.pinot.clone().ok_or_else(|| {
        StepError::failed("the plan rebalances Pinot tables but kfscale has no Pinot client; fix: report this")
    })?;
    let (mut acted, mut summaries) = (false, Vec::new());
    for table in &tables {
        let (changed, summary) = rebalance_table(ctx, &pinot, table).await?;
        acted |= changed;
        summaries.push(summary);
    }
    let summary = summaries.join("; ");
    Ok(if acted {
        Outcome::Done(summary)
    } else {
        Outcome::Skipped(summary)
    })
}

/// One table, from wherever an earlier run left it to all segments GOOD. Returns whether this run
/// started or adopted a rebalance, and a summary.
async fn rebalance_table(
    ctx: &mut StepContext<'_>,
    pinot: &Pinot,
    table: &TableRebalance,
) -> Result<(bool, String), StepError> {
    let name = table.table.as_str();
    let keys = Keys::of(name);
    if let Some(summary) = ctx.handle(&keys.done) {
        return Ok((false, summary));
    }
    let (mut acted, mut reissues) = (false, 0);
    let how = loop {
        let job_id = match find_job(ctx, pinot, table, &keys).await? {
            Found::Job(id) => {
                acted = true;
                id
            }
            Found::None { known_jobs } => {
                let posted_earlier = posted_before(ctx, &keys);
                match start(ctx, pinot, table, &keys, known_jobs).await? {
                    // A POST of this apply went out before (recorded): its answer was lost, or the
                    // step failed after it (a stall). The rebalance it asked for was carried out and
                    // the dry run finds nothing left to move: the change is this apply's.
                    Started::NothingToMove(description) if posted_earlier => {
                        acted = true;
                        break format!("nothing to move: rebalanced by this apply's earlier POST ({description})");
                    }
                    Started::Job(id) => {
                        acted = true;
                        id
                    }
                    Started::Synchronous(description) => {
                        acted = true;
                        break format!("rebalanced ({description})");
                    }
                    Started::NothingToMove(description) => break format!("nothing to move ({description})"),
                }
            }
        };
        match pinot_job::follow(ctx, pinot, table, &job_id).await? {
            JobEnd::Done(message) => {
                ctx.info(&format!("rebalance job {job_id} of {name} is DONE: {message}"));
                break format!("rebalanced by job {job_id}");
            }
            JobEnd::Retried(retry) => {
                ctx.info(&format!(
                    "the controller aborted job {job_id} of {name} and retried it as {retry}: following {retry}"
                ));
                ctx.record_handle(&keys.job, &retry)?;
            }
            JobEnd::Orphaned { silent } => {
                reissues += 1;
                if reissues > MAX_REISSUES {
                    return Err(StepError::failed(format!(
                        "Pinot rebalance of {name}: the controller lost the job {MAX_REISSUES} times in a row (last {job_id}); fix: check why the pinot-controller pods restart (their logs, memory), then re-run `kfscale apply`"
                    )));
                }
                abandon(ctx, &keys, &job_id)?;
                ctx.info(&format!(
                    "job {job_id} of {name} is IN_PROGRESS without a heartbeat for {}: its controller is gone and a failover does not resume it; cancelling it and rebalancing again",
                    crate::engine::wait::stall::shown(silent)
                ));
                let kind = table_type(table)?;
                pinot.cancel_rebalance(raw_table_name(name), kind).await?;
            }
            JobEnd::Unknown => {
                abandon(ctx, &keys, &job_id)?;
                ctx.info(&format!(
                    "the controller has no record of job {job_id} of {name}: rebalancing again"
                ));
            }
            JobEnd::Failed { status, message } => {
                // Reported once: a re-run after the fix starts a new rebalance instead of failing
                // on this job again.
                abandon(ctx, &keys, &job_id)?;
                return Err(StepError::failed(pinot_job::failure_message(
                    table, &job_id, &status, &message,
                )));
            }
        }
    };
    let counts = wait_all_good(ctx, pinot, std::slice::from_ref(&table.table)).await?;
    let servers = pinot
        .external_view(name)
        .await?
        .serving_instances(table_type(table)?)
        .len();
    let segments = counts.get(name).map(shown_counts).unwrap_or_default();
    let summary = format!(
        "{name}: {how}; segments {segments} on {servers} servers (planned {})",
        table.servers_after
    );
    ctx.observe(name, &BTreeMap::from([("summary", &summary)]));
    ctx.record_handle(&keys.done, &summary)?;
    Ok((acted, summary))
}

enum Found {
    Job(String),
    /// No job to follow; the table's job ids now.
    None {
        known_jobs: Vec<String>,
    },
}

/// The job to follow: the recorded one, else one this apply posted but did not record. A running
/// job this apply did not start stops the step (two rebalances of one table conflict).
async fn find_job(
    ctx: &mut StepContext<'_>,
    pinot: &Pinot,
    table: &TableRebalance,
    keys: &Keys,
) -> Result<Found, StepError> {
    let name = table.table.as_str();
    let abandoned: Vec<String> = ctx.handle(&keys.abandoned).unwrap_or_default();
    if let Some(recorded) = ctx.handle(&keys.job)
        && !abandoned.contains(&recorded)
    {
        return Ok(Found::Job(recorded));
    }
    let jobs = pinot.table_jobs(name, &["TABLE_REBALANCE"]).await?;
    if let Some(posted) = ctx.handle(&keys.posted)
        && let Some(ours) = newest(
            jobs.iter()
                .filter(|job| !posted.known_jobs.contains(&job.job_id) && !abandoned.contains(&job.job_id)),
        )
    {
        ctx.info(&format!(
            "adopting rebalance job {} of {name} ({}): this apply posted it at {} and was stopped before recording it",
            ours.job_id,
            ours.status.as_deref().unwrap_or("status unknown"),
            posted.at
        ));
        ctx.record_handle(&keys.job, &ours.job_id)?;
        return Ok(Found::Job(ours.job_id.clone()));
    }
    if let Some(running) = jobs.iter().find(|job| job.status.as_deref() == Some("IN_PROGRESS")) {
        return Err(StepError::failed(format!(
            "a rebalance of {name} is running (job {}) that this apply did not start; fix: let it finish (GET /rebalanceStatus/{}) or cancel it (DELETE /tables/{}/rebalance?type={}), then re-run `kfscale apply`",
            running.job_id,
            running.job_id,
            raw_table_name(name),
            table.table_type
        )));
    }
    Ok(Found::None {
        known_jobs: jobs.into_iter().map(|job| job.job_id).collect(),
    })
}

enum Started {
    /// A tracked job (IN_PROGRESS), recorded.
    Job(String),
    /// `downtime=true`: the controller replaced the ideal state and answered DONE; no job to follow.
    Synchronous(String),
    /// The dry run (or the rebalance) found the table balanced.
    NothingToMove(String),
}

/// Dry run, then (when something moves) record the intent and POST the rebalance.
async fn start(
    ctx: &mut StepContext<'_>,
    pinot: &Pinot,
    table: &TableRebalance,
    keys: &Keys,
    known_jobs: Vec<String>,
) -> Result<Started, StepError> {
    let name = table.table.as_str();
    let raw = raw_table_name(name);
    let mut dry_run = table.parameters.clone();
    dry_run.insert("dryRun".into(), "true".into());
    let preview = pinot.rebalance(raw, &dry_run).await?;
    match preview.status.as_str() {
        "NO_OP" => return Ok(Started::NothingToMove(preview.description)),
        "DONE" if preview.segments_to_move == Some(0) => return Ok(Started::NothingToMove(preview.description)),
        "DONE" => {}
        other => {
            return Err(StepError::failed(format!(
                "the dry run of {name}'s rebalance answered {other}: {}; fix: check the table and the parameter set (profile.pinot.parameter_sets in kfscale.yaml), then re-run `kfscale apply`",
                preview.description
            )));
        }
    }
    ctx.record_handle(
        &keys.posted,
        &Posted {
            at: crate::time::now_rfc3339(),
            known_jobs,
        },
    )?;
    let query: Vec<String> = table.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    ctx.info(&format!(
        "POST /tables/{raw}/rebalance?{} ({} segment(s) to move{})",
        query.join("&"),
        preview.segments_to_move.map_or("?".into(), |n| n.to_string()),
        preview.servers.map_or(String::new(), |(before, after)| format!(
            ", servers {before} -> {after}"
        ))
    ));
    let answer = pinot.rebalance(raw, &table.parameters).await.map_err(|err| {
        if err.is_conflict() {
            StepError::failed(format!(
                "{err} (a rebalance of {name} started between kfscale's check and its POST); re-running `kfscale apply` adopts it if this apply started it"
            ))
        } else {
            err.into()
        }
    })?;
    match answer.status.as_str() {
        "IN_PROGRESS" => {
            let id = answer.job_id.ok_or_else(|| {
                StepError::failed(format!(
                    "the controller started the rebalance of {name} without a job id; fix: follow it in the controller (GET /table/{raw}/jobs), then re-run `kfscale apply`"
                ))
            })?;
            ctx.record_handle(&keys.job, &id)?;
            ctx.info(&format!("rebalance job {id} of {name} started"));
            Ok(Started::Job(id))
        }
        "DONE" => Ok(Started::Synchronous(answer.description)),
        "NO_OP" => Ok(Started::NothingToMove(answer.description)),
        other => Err(StepError::failed(format!(
            "the rebalance of {name} answered {other}: {}; fix: read the pinot-controller log, fix the cause (parameters: profile.pinot.parameter_sets in kfscale.yaml), then re-run `kfscale apply`",
            answer.description
        ))),
    }
}

/// Whether an earlier try of this apply recorded that it was about to POST the table's rebalance.
fn posted_before(ctx: &mut StepContext<'_>, keys: &Keys) -> bool {
    ctx.handle(&keys.posted).is_some()
}

/// Marks a job as never to be followed or adopted again (recorded before acting on that decision).
fn abandon(ctx: &mut StepContext<'_>, keys: &Keys, job_id: &str) -> Result<(), StepError> {
    let mut abandoned: Vec<String> = ctx.handle(&keys.abandoned).unwrap_or_default();
    if !abandoned.iter().any(|id| id == job_id) {
        abandoned.push(job_id.to_string());
    }
    ctx.record_handle(&keys.abandoned, &abandoned)
}

/// The most recently started job (a retry starts after the job it retries).
fn newest<'a>(jobs: impl Iterator<Item = &'a TableJob>) -> Option<&'a TableJob> {
    jobs.max_by_key(|job| (job.start_time_ms, job.job_id.clone()))
}

fn table_type(table: &TableRebalance) -> Result<TableType, StepError> {
    TableType::parse(&table.table_type).ok_or_else(|| {
        StepError::failed(format!(
            "Pinot table {} has type {:?}, not REALTIME or OFFLINE; fix: plan again",
            table.table, table.table_type
        ))
    })
}
