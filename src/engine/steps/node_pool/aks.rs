//! Grow an AKS agent pool through Azure Resource Manager. The pool is read, its count (and, when the
//! autoscaler is on, its bounds, widened to hold the new count: AKS keeps the count within them and
//! the autoscaler would shrink the pool back) changed in the body as read, and PUT back with
//! `If-Match` on the eTag read, so a change made by someone in between is never overwritten. The PUT
//! returns the `Azure-AsyncOperation` URL, recorded before anything waits on it: a resumed apply
//! follows the recorded operation and never sends the PUT again. ARM shows a PUT's count at once, so
//! a PUT whose answer was lost (the apply killed in between) is found in the pool itself: it is
//! waited for, not repeated. Done = the pool Succeeded at its count, and that many Ready nodes with
//! `kubernetes.azure.com/agentpool=<pool>`.
use std::future::Future;
use std::time::Duration;

use kfscale_aks::{Accepted, AgentPool, Aks, AksError, OperationState, PoolRef, scaled};

use super::call_sent::CallSent;
use crate::connect::NodePoolClient;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::engine::report::progress::Progress as Report;
use crate::plan::PoolSize;

/// The handle this step records: the operation's status URL.
const OPERATION: HandleKey<String> = HandleKey::new("async_operation");
/// That a PUT went out, answered or not (see `resize`).
static PUT_SENT: HandleKey<bool> = HandleKey::new("put_sent");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let NodePoolClient::Aks { aks, pool } = &ctx.systems.node_pool else {
        return Err(StepError::failed(
            "the AKS node-pool step was given another cloud's pool",
        ));
    };
    let PoolSize::Aks { count: total, .. } = ctx.plan.node_pool.after else {
        return Err(StepError::failed(format!(
            "the plan sizes another kind of pool than AKS {pool}; fix: make a new plan with this kfscale.yaml (`kfscale plan`)"
        )));
    };
    let acted = resize(ctx, aks, pool, total).await?;

    let (kube, selector) = (&ctx.systems.kube, &ctx.systems.pool_selector);
    let what = format!("{total} Ready nodes of AKS agent pool {}", pool.pool);
    let (this, what) = (&*ctx, what.as_str());
    let ready = ctx
        .wait_for(what, ctx.settings.node_pool_timeout, || async move {
            // A retriable error comes back as such: the wait counts it and asks again.
            let found = aks.agent_pool(pool).await?;
            if found.count != total {
                return Err(StepError::failed(format!(
                    "AKS {pool} now asks for {} nodes, not the plan's {total}: someone else changed it; fix: make a new plan (`kfscale plan`) for the pool as it is",
                    found.count
                )));
            }
            if found.provisioning_state == "Failed" {
                return Err(StepError::failed(format!(
                    "AKS {pool} is Failed; fix: see `az aks nodepool show -g {} --cluster-name {} -n {}` and the Activity log, resolve the cause, then re-run `kfscale apply` (its PUT reconciles the pool)",
                    pool.resource_group, pool.cluster, pool.pool
                )));
            }
            let nodes = kube.nodes().await?;
            let ready = nodes
                .iter()
                .filter(|n| super::takes_pods(selector, n))
                .count() as u32;
            let text = format!("pool {} at {}, {ready}/{total} nodes Ready", found.provisioning_state, found.count);
            this.report(Report::new(this.step.as_str(), what, &text).counted(f64::from(ready), f64::from(total), "nodes"));
            Ok(((found.provisioning_state == "Succeeded" && ready >= total).then_some(ready), text))
        })
        .await?;
    ctx.observe("ready_nodes", &ready);
    let summary = format!("{} has {ready} Ready nodes", pool.pool);
    Ok(if acted {
        Outcome::Done(summary)
    } else {
        Outcome::Skipped(summary)
    })
}

/// The autoscaler's bounds widened to hold `total`, when it is on.
pub fn widened(found: &AgentPool, total: u32) -> Option<(u32, u32)> {
    match (found.enable_auto_scaling, found.min_count, found.max_count) {
        (true, Some(min), Some(max)) => Some((min.min(total), max.max(total))),
        _ => None,
    }
}

/// The pool already asks for `total` (within bounds that hold it) and is not Failed: nothing to send.
fn at_target(found: &AgentPool, total: u32) -> bool {
    found.count == total
        && found.provisioning_state != "Failed"
        && widened(found, total)
            == found
                .min_count
                .zip(found.max_count)
                .filter(|_| found.enable_auto_scaling)
}

/// Follows a recorded operation, or sends the PUT unless the pool already asks for `total`. True
/// when this apply resized.
async fn resize(ctx: &mut StepContext<'_>, aks: &Aks, pool: &PoolRef, total: u32) -> Result<bool, StepError> {
    if let Some(url) = ctx.handle(&OPERATION) {
        ctx.info(&format!(
            "resuming: following the PUT's operation {url} recorded earlier"
        ));
        match follow(ctx, aks, pool, &url).await? {
            Followed::Succeeded => return Ok(true),
            Followed::Unknown => {
                ctx.info("ARM no longer knows that operation; reading the pool instead");
                ctx.forget_handle(&OPERATION)?;
            }
        }
    }
    let sent = &CallSent::from_state(ctx, &PUT_SENT);
    let accepted = send_when_accepted(ctx, pool, || async move {
        let found = aks.agent_pool(pool).await?;
        if at_target(&found, total) {
            // Asked for already (by an apply whose answer was lost, or by someone else): wait for it.
            return Ok(Attempt::NotNeeded);
        }
        if !found.is_settled() {
            return Ok(Attempt::Later(
                format!("the pool is {}", found.provisioning_state),
                None,
            ));
        }
        let body = scaled(&found, total, widened(&found, total));
        // A refusal that changed nothing (409, 429, 412) leaves no mark.
        let put = aks.put_agent_pool(pool, &body, found.etag.as_deref());
        sent.send(put, AksError::refused_for_now)
            .await
            .map(|accepted| Attempt::Sent(Box::new(accepted)))
    })
    .await;
    let ours = sent.record(ctx)?;
    let Some(accepted) = accepted? else {
        // Asked for already: by this apply's PUT whose answer was lost, or by someone else.
        return Ok(ours);
    };
    let Some(url) = accepted.async_operation else {
        ctx.info(&format!("PUT {}: {total} nodes, done at once", pool.pool));
        return Ok(true);
    };
    ctx.record_handle(&OPERATION, &url)?;
    ctx.info(&format!("PUT {}: count {total} (operation {url})", pool.pool));
    match follow(ctx, aks, pool, &url).await? {
        Followed::Succeeded => Ok(true),
        Followed::Unknown => Err(StepError::failed(format!(
            "AKS {pool}: ARM does not know the operation {url} the PUT just returned; fix: check cluster.azure.endpoint in kfscale.yaml, then re-run `kfscale apply`"
        ))),
    }
}

/// What one try at the PUT came to.
enum Attempt {
    Sent(Box<Accepted>),
    /// The pool already asks for the count: nothing to send.
    NotNeeded,
    /// Not now (the pool is changing, ARM refused for the moment): why, and how long ARM asked to wait.
    Later(String, Option<Duration>),
}

/// Tries `attempt` until it sends the PUT or finds it unneeded, waiting while ARM refuses for a reason
/// that passes, having changed nothing: another operation on the cluster (409), throttling (429, for
/// at least its `Retry-After`), a pool changed since read (412, read again). Other errors stop the step
/// (retriable ones are retried by the wait and the runner).
async fn send_when_accepted<F, Fut>(
    ctx: &StepContext<'_>,
    pool: &PoolRef,
    attempt: F,
) -> Result<Option<Accepted>, StepError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Attempt, AksError>>,
{
    let attempt = &attempt;
    ctx.wait_for(
        &format!("ARM to accept the PUT of {pool}"),
        ctx.settings.node_pool_timeout,
        || async move {
            let (why, retry_after) = match attempt().await {
                Ok(Attempt::Sent(accepted)) => return Ok((Some(Some(*accepted)), String::new())),
                Ok(Attempt::NotNeeded) => return Ok((Some(None), String::new())),
                Ok(Attempt::Later(why, retry_after)) => (why, retry_after),
                Err(err) if err.refused_for_now() => {
                    ctx.note_retry(&format!("PUT of {pool}"), &err.to_string());
                    (err.to_string(), err.retry_after())
                }
                Err(err) => return Err(err.into()),
            };
            honour_retry_after(ctx, retry_after).await?;
            Ok((None, why))
        },
    )
    .await
}

/// Waits out the part of ARM's `Retry-After` that the wait's own pause does not cover.
async fn honour_retry_after(ctx: &StepContext<'_>, retry_after: Option<Duration>) -> Result<(), StepError> {
    let Some(extra) = retry_after.and_then(|d| d.checked_sub(ctx.settings.poll_interval)) else {
        return Ok(());
    };
    if ctx.cancel.sleep(extra).await {
        Ok(())
    } else {
        Err(StepError::Interrupted)
    }
}

/// How a followed operation ended.
enum Followed {
    Succeeded,
    /// ARM answers 404 for it (operations are kept for a while only).
    Unknown,
}

/// Polls the operation at `url` until it ends. One that Failed or was Canceled: its handle is
/// dropped (the next apply's PUT reconciles the pool) and the step fails with ARM's reason and a fix.
async fn follow(ctx: &mut StepContext<'_>, aks: &Aks, pool: &PoolRef, url: &str) -> Result<Followed, StepError> {
    let ended = ctx
        .wait_for(
            &format!("ARM operation of {}", pool.pool),
            ctx.settings.node_pool_timeout,
            || async move {
                match aks.operation(pool, url).await {
                    Ok(status) => {
                        let text = status.status.clone();
                        Ok((status.is_done().then_some(Some(status)), text))
                    }
                    Err(err) if err.http_status() == Some(404) => Ok((Some(None), String::new())),
                    // A slow or throttled read says nothing about the operation: the wait counts it and
                    // asks again.
                    Err(err) => Err(err.into()),
                }
            },
        )
        .await?;
    let Some(status) = ended else {
        return Ok(Followed::Unknown);
    };
    if status.state == OperationState::Succeeded {
        return Ok(Followed::Succeeded);
    }
    ctx.forget_handle(&OPERATION)?;
    let (code, message) = status
        .error
        .unwrap_or_else(|| (status.status.clone(), "no error given".into()));
    let fix = if code.eq_ignore_ascii_case("QuotaExceeded") {
        "the subscription's vCPU quota for this VM family in the region is too small for the new nodes: request a higher quota (portal: Subscriptions > Usage + quotas), then re-run `kfscale apply`".to_string()
    } else {
        format!(
            "see `az aks nodepool show -g {} --cluster-name {} -n {}` and the cluster's Activity log, resolve the cause, then re-run `kfscale apply` (its PUT reconciles the pool)",
            pool.resource_group, pool.cluster, pool.pool
        )
    };
    Err(StepError::failed(format!(
        "AKS {pool}: the PUT's operation {}: {code}: {message}; fix: {fix}",
        status.status
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pool(count: u32, autoscaling: Option<(u32, u32)>, state: &str) -> AgentPool {
        let mut properties = json!({"count": count, "provisioningState": state, "vmSize": "Standard_D8s_v5"});
        if let Some((min, max)) = autoscaling {
            properties["enableAutoScaling"] = json!(true);
            properties["minCount"] = json!(min);
            properties["maxCount"] = json!(max);
        }
        AgentPool::from_json(json!({"properties": properties})).unwrap()
    }

    #[test]
    fn bounds_widen_only_as_far_as_the_new_count() {
        assert_eq!(widened(&pool(3, Some((1, 4)), "Succeeded"), 6), Some((1, 6)));
        assert_eq!(widened(&pool(3, Some((1, 8)), "Succeeded"), 6), Some((1, 8)));
        assert_eq!(widened(&pool(3, None, "Succeeded"), 6), None);
    }

    #[test]
    fn a_pool_asking_for_the_count_is_not_sent_again_unless_it_failed() {
        assert!(at_target(&pool(6, None, "Updating"), 6));
        assert!(at_target(&pool(6, Some((1, 8)), "Succeeded"), 6));
        assert!(
            !at_target(&pool(6, None, "Failed"), 6),
            "a Failed pool is reconciled by a new PUT"
        );
        assert!(!at_target(&pool(3, None, "Succeeded"), 6));
    }
}
