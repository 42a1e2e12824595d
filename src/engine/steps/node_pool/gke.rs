//! Grow a GKE node pool. `setSize` takes the node count per zone; when the pool autoscales and the
//! new size is outside its bounds, the bounds are widened first (`setAutoscaling`), or the
//! autoscaler would pull the pool back. Each call returns an operation whose name is recorded
//! before waiting: a resumed apply polls the recorded operation and never sends the call again.
//! Every call is preceded by a fresh look at the pool, so a change that already happened (by an
//! earlier apply whose answer was lost, or by someone else) is not made twice. Done = the resize
//! operation DONE without error, every zone at its planned size, and that many Ready nodes with
//! `cloud.google.com/gke-nodepool=<pool>`.
use std::future::Future;

use kfscale_gke::{Autoscaling, Gke, GkeError, NodePool, Operation, PoolRef};

use super::call_sent::CallSent;
use crate::connect::NodePoolClient;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::engine::report::progress::Progress as Report;
use crate::plan::{PoolSize, grow_only};

/// The handles this step records: the operation names of its two calls.
const AUTOSCALING_OPERATION: HandleKey<String> = HandleKey::new("autoscaling_operation");
const RESIZE_OPERATION: HandleKey<String> = HandleKey::new("resize_operation");
/// That a call went out, answered or not (see `call_sent`).
static AUTOSCALING_SENT: HandleKey<bool> = HandleKey::new("autoscaling_sent");
static RESIZE_SENT: HandleKey<bool> = HandleKey::new("resize_sent");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let NodePoolClient::Gke { gke, pool } = &ctx.systems.node_pool else {
        return Err(StepError::failed(
            "the GKE node-pool step was given another cloud's pool",
        ));
    };
    let target = &ctx.plan.node_pool.after;
    let PoolSize::Gke { per_zone, .. } = *target else {
        return Err(StepError::failed(format!(
            "the plan has no per-zone count for GKE {pool}; fix: make a new plan with this kfscale.yaml (`kfscale plan`)"
        )));
    };
    let total = target.total();

    let mut acted = widen_autoscaling(ctx, gke, pool, per_zone).await?;
    acted |= resize(ctx, gke, pool, per_zone).await?;

    let (kube, selector, name) = (&ctx.systems.kube, &ctx.systems.pool_selector, &pool.pool);
    let what = format!("{total} Ready nodes of GKE pool {name}");
    let (this, what) = (&*ctx, what.as_str());
    let ready = ctx
        .wait_for(
            what,
            ctx.settings.node_pool_timeout,
            || async move {
                // A retriable error comes back as such: the wait counts it and asks again.
                let found = gke.node_pool(pool).await?;
                let nodes = kube.nodes().await?;
                let ready = nodes
                    .iter()
                    .filter(|n| super::takes_pods(selector, n))
                    .count() as u32;
                let zones = found.locations.len() as u32;
                if zones * per_zone != total {
                    return Err(StepError::failed(format!(
                        "GKE {pool} spans {zones} zone(s) now, but the plan's {total} nodes are {per_zone} per zone; fix: make a new plan (`kfscale plan`) for the pool as it is"
                    )));
                }
                let sized = at_size(&found, per_zone);
                let text = format!("zones {}, {ready}/{total} nodes Ready", zone_sizes(&found));
                this.report(Report::new(this.step.as_str(), what, &text).counted(f64::from(ready), f64::from(total), "nodes"));
                Ok(((sized && ready >= total).then_some(ready), text))
            },
        )
        .await?;
    ctx.observe("ready_nodes", &ready);
    let summary = format!("{name} has {ready} Ready nodes ({per_zone} per zone)");
    Ok(if acted {
        Outcome::Done(summary)
    } else {
        Outcome::Skipped(summary)
    })
}

/// The autoscaling bounds that let the pool hold `per_zone` nodes in each of its `zones`, when the
/// current ones do not; None when they already do or the pool does not autoscale. Bounds only widen.
/// Whole-pool bounds (`total_*`), when set, are the ones GKE applies, so those are widened instead.
pub fn widened_bounds(current: Autoscaling, per_zone: u32, zones: u32) -> Option<Autoscaling> {
    if !current.enabled {
        return None;
    }
    let total = per_zone * zones;
    let mut wanted = current;
    if current.total_min_node_count > 0 || current.total_max_node_count > 0 {
        wanted.total_min_node_count = current.total_min_node_count.min(total);
        wanted.total_max_node_count = current.total_max_node_count.max(total);
    } else {
        wanted.min_node_count = current.min_node_count.min(per_zone);
        wanted.max_node_count = current.max_node_count.max(per_zone);
    }
    (wanted != current).then_some(wanted)
}

/// setAutoscaling when the bounds are too narrow for the new size (or polls the recorded one).
/// True when this apply widened them.
async fn widen_autoscaling(
    ctx: &mut StepContext<'_>,
    gke: &Gke,
    pool: &PoolRef,
    per_zone: u32,
) -> Result<bool, StepError> {
    if poll_recorded(ctx, gke, pool, &AUTOSCALING_OPERATION, "setAutoscaling").await? {
        return Ok(true);
    }
    let sent = &CallSent::from_state(ctx, &AUTOSCALING_SENT);
    let operation = send_when_accepted(ctx, pool, "setAutoscaling", || async move {
        if let Some(ours) = sent_and_running(gke, pool, sent, AUTOSCALING_TYPE).await? {
            return Ok(Attempt::Sent(ours));
        }
        let found = gke.node_pool(pool).await?;
        let zones = found.locations.len().max(1) as u32;
        let Some(bounds) = found.autoscaling.and_then(|a| widened_bounds(a, per_zone, zones)) else {
            return Ok(Attempt::NotNeeded);
        };
        if let Some(busy) = busy(&found) {
            return Ok(Attempt::Later(busy));
        }
        sent.send(gke.set_autoscaling(pool, bounds), refused_for_now)
            .await
            .map(Attempt::Sent)
    })
    .await;
    let ours = sent.record(ctx)?;
    let Some(operation) = operation? else {
        return Ok(ours);
    };
    let what = format!("bounds widened for {per_zone} per zone");
    follow_sent(
        ctx,
        gke,
        pool,
        &AUTOSCALING_OPERATION,
        "setAutoscaling",
        &operation,
        &what,
    )
    .await?;
    Ok(true)
}

/// setSize to `per_zone` unless every zone has it already (or polls the recorded one). True when
/// this apply resized.
async fn resize(ctx: &mut StepContext<'_>, gke: &Gke, pool: &PoolRef, per_zone: u32) -> Result<bool, StepError> {
    if poll_recorded(ctx, gke, pool, &RESIZE_OPERATION, "setSize").await? {
        return Ok(true);
    }
    let found = gke.node_pool(pool).await?;
    for (zone, size) in &found.size_per_zone {
        grow_only(
            format!("GKE pool {} size in zone {zone}", pool.pool),
            u64::from(*size),
            u64::from(per_zone),
        )?;
    }
    let sent = &CallSent::from_state(ctx, &RESIZE_SENT);
    let operation = send_when_accepted(ctx, pool, "setSize", || async move {
        if let Some(ours) = sent_and_running(gke, pool, sent, RESIZE_TYPE).await? {
            return Ok(Attempt::Sent(ours));
        }
        let found = gke.node_pool(pool).await?;
        if at_size(&found, per_zone) {
            return Ok(Attempt::NotNeeded);
        }
        if let Some(busy) = busy(&found) {
            return Ok(Attempt::Later(busy));
        }
        sent.send(gke.set_size(pool, per_zone), refused_for_now)
            .await
            .map(Attempt::Sent)
    })
    .await;
    let ours = sent.record(ctx)?;
    let Some(operation) = operation? else {
        return Ok(ours);
    };
    let what = format!("{per_zone} nodes per zone");
    follow_sent(ctx, gke, pool, &RESIZE_OPERATION, "setSize", &operation, &what).await?;
    Ok(true)
}

/// The operation types GKE gives the two calls (setAutoscaling is reported as a cluster update).
const RESIZE_TYPE: &str = "SET_NODE_POOL_SIZE";
const AUTOSCALING_TYPE: &str = "UPDATE_CLUSTER";

/// After a call that may have been carried out without its answer arriving: the operation of
/// `kind` GKE is running on the pool, which is that call's (one operation runs on a cluster at a
/// time, and kfscale holds the lock). Following it instead of sending again keeps the call once.
async fn sent_and_running(
    gke: &Gke,
    pool: &PoolRef,
    sent: &CallSent,
    kind: &str,
) -> Result<Option<Operation>, GkeError> {
    if !sent.maybe_carried_out() {
        return Ok(None);
    }
    let running = gke.running_operations_on(pool).await?;
    Ok(running.into_iter().find(|op| op.operation_type == kind))
}

/// A call GKE accepted: its operation recorded under `key` before anything waits on it, then
/// followed to its end (GKE must know an operation it has just returned).
async fn follow_sent(
    ctx: &mut StepContext<'_>,
    gke: &Gke,
    pool: &PoolRef,
    key: &HandleKey<String>,
    call: &str,
    operation: &Operation,
    what: &str,
) -> Result<(), StepError> {
    ctx.record_handle(key, &operation.name)?;
    ctx.info(&format!("{call} {}: {what} (operation {})", pool.pool, operation.name));
    let name = &operation.name;
    match follow_operation(ctx, gke, pool, key, call, name).await? {
        Followed::Done => Ok(()),
        Followed::Unknown => Err(StepError::failed(format!(
            "GKE {call} on {pool}: operations.get does not know operation {name}, which {call} just returned; fix: check that cluster.gcp.location in kfscale.yaml is the cluster's own location (its region or zone), then re-run `kfscale apply`"
        ))),
    }
}

/// What one try at a mutation came to.
enum Attempt {
    Sent(Operation),
    /// The pool already is as wanted: nothing to send.
    NotNeeded,
    /// Not now (the pool is changing, GKE refused for the moment): why.
    Later(String),
}

/// Tries `attempt` until it sends its call or finds it unneeded, waiting while GKE refuses for a
/// reason that passes: another operation running on the cluster (400 FAILED_PRECONDITION) or the
/// concurrent-operation quota (429). Those refusals changed nothing, so trying again repeats no
/// mutation; any other error stops the step.
async fn send_when_accepted<F, Fut>(
    ctx: &StepContext<'_>,
    pool: &PoolRef,
    call: &str,
    attempt: F,
) -> Result<Option<Operation>, StepError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Attempt, GkeError>>,
{
    let attempt = &attempt;
    ctx.wait_for(
        &format!("GKE to accept {call} on {pool}"),
        ctx.settings.node_pool_timeout,
        || async move {
            match attempt().await {
                Ok(Attempt::Sent(operation)) => Ok((Some(Some(operation)), String::new())),
                Ok(Attempt::NotNeeded) => Ok((Some(None), String::new())),
                Ok(Attempt::Later(why)) => Ok((None, why)),
                Err(err) if refused_for_now(&err) => {
                    ctx.note_retry(&format!("{call} on {pool}"), &err.to_string());
                    Ok((None, err.to_string()))
                }
                // Retriable ones (UNAVAILABLE, a timeout) are counted and asked again by the wait.
                Err(err) => Err(err.into()),
            }
        },
    )
    .await
}

/// Follows the operation recorded under `key` by an earlier run of this step, if any. True when
/// it ended well; false when there is none, or GKE no longer knows it (operations are kept for a
/// while only): the caller then reads the pool and acts only if the change is missing.
async fn poll_recorded(
    ctx: &mut StepContext<'_>,
    gke: &Gke,
    pool: &PoolRef,
    key: &HandleKey<String>,
    call: &str,
) -> Result<bool, StepError> {
    let Some(name) = ctx.handle(key) else {
        return Ok(false);
    };
    ctx.info(&format!("resuming: following {call} operation {name} recorded earlier"));
    match follow_operation(ctx, gke, pool, key, call, &name).await? {
        Followed::Done => Ok(true),
        Followed::Unknown => {
            ctx.info(&format!(
                "GKE no longer knows operation {name}; reading the pool instead"
            ));
            ctx.forget_handle(key)?;
            Ok(false)
        }
    }
}

/// How a followed operation ended.
enum Followed {
    /// DONE without error.
    Done,
    /// operations.get answers NOT_FOUND.
    Unknown,
}

/// Polls operation `name` until DONE. One that ended with an error changed nothing: its handle is
/// dropped so the next apply acts again, and the step fails with GKE's reason.
async fn follow_operation(
    ctx: &mut StepContext<'_>,
    gke: &Gke,
    pool: &PoolRef,
    key: &HandleKey<String>,
    call: &str,
    name: &str,
) -> Result<Followed, StepError> {
    let done = ctx
        .wait_for(
            &format!("GKE {call} operation {name}"),
            ctx.settings.node_pool_timeout,
            || async move {
                match gke.operation(pool, name).await {
                    Ok(operation) => {
                        let status = operation.status.clone();
                        Ok((operation.is_done().then_some(Some(operation)), status))
                    }
                    Err(err) if err.code() == Some("NOT_FOUND") => Ok((Some(None), String::new())),
                    // A slow or throttled read says nothing about the operation: the wait counts
                    // it (a retriable error) and asks again.
                    Err(err) => Err(err.into()),
                }
            },
        )
        .await?;
    let Some(done) = done else {
        return Ok(Followed::Unknown);
    };
    if let Some(error) = done.error {
        ctx.forget_handle(key)?;
        return Err(StepError::failed(format!(
            "GKE {call} on {pool} failed: operation {name} ended with: {error}; it changed nothing. fix: see `gcloud container operations describe {name} --location {}`, resolve the cause, then re-run `kfscale apply`",
            pool.location
        )));
    }
    Ok(Followed::Done)
}

/// Every zone of the pool has `per_zone` nodes.
fn at_size(found: &NodePool, per_zone: u32) -> bool {
    !found.locations.is_empty()
        && found
            .locations
            .iter()
            .all(|zone| found.size_per_zone.get(zone) == Some(&per_zone))
}

/// Why the pool cannot take a change now (it is being created, changed or deleted), if so.
fn busy(found: &NodePool) -> Option<String> {
    match found.status.as_str() {
        "RUNNING" | "RUNNING_WITH_ERROR" => None,
        status => Some(format!("the pool is {status}")),
    }
}

/// GKE refused the call for a reason that passes, having changed nothing.
fn refused_for_now(err: &GkeError) -> bool {
    err.is_retriable() && matches!(err.code(), Some("FAILED_PRECONDITION" | "RESOURCE_EXHAUSTED"))
}

fn zone_sizes(found: &NodePool) -> String {
    found
        .size_per_zone
        .iter()
        .map(|(zone, size)| format!("{zone}: {size}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_zone_bounds(min: u32, max: u32) -> Autoscaling {
        Autoscaling {
            enabled: true,
            min_node_count: min,
            max_node_count: max,
            ..Autoscaling::default()
        }
    }

    #[test]
    fn bounds_that_hold_the_new_size_are_left_alone() {
        assert_eq!(widened_bounds(per_zone_bounds(1, 6), 4, 1), None);
        assert_eq!(widened_bounds(per_zone_bounds(1, 6), 6, 3), None);
    }

    #[test]
    fn a_per_zone_max_below_the_new_size_rises_to_it() {
        assert_eq!(widened_bounds(per_zone_bounds(1, 6), 7, 3), Some(per_zone_bounds(1, 7)));
    }

    #[test]
    fn a_per_zone_min_above_the_new_size_falls_to_it() {
        assert_eq!(widened_bounds(per_zone_bounds(3, 6), 2, 1), Some(per_zone_bounds(2, 6)));
    }

    #[test]
    fn whole_pool_bounds_widen_by_the_total() {
        let total = Autoscaling {
            enabled: true,
            total_min_node_count: 3,
            total_max_node_count: 9,
            ..Autoscaling::default()
        };
        let widened = widened_bounds(total, 4, 3).expect("12 is above 9");
        assert_eq!((widened.total_min_node_count, widened.total_max_node_count), (3, 12));
        assert_eq!((widened.min_node_count, widened.max_node_count), (0, 0));
    }

    #[test]
    fn a_pool_without_autoscaling_needs_no_bounds() {
        let off = Autoscaling {
            enabled: false,
            ..per_zone_bounds(1, 2)
        };
        assert_eq!(widened_bounds(off, 5, 1), None);
    }
}
