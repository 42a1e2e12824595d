//! Fault matrix, Kubernetes API: a single-AZ customer grown 3 -> 4 nodes, kfscale and helm reaching
//! the API server through the fault proxy (tests/it/common/kube_proxy.rs). The faults are armed
//! when `helm_upgrade` starts and aimed at `GET pods`, which helm does not send and the planner has
//! already sent: the first reads they meet are the rollout step's, in its wait for the upgraded
//! pods. Cells: a read timeout (`kubernetes.timeout_seconds: 2`), 500 InternalError, 429
//! TooManyRequests, 403 Forbidden (permanent), the API server going away mid-wait, and the lock's
//! Lease writes carried out with their answers lost.
use anyhow::{Context, Result, ensure};

use crate::common::customer::Customer;
use crate::common::customer_proxies::customer_through_kube_proxy as kube_customer;
use crate::common::fault_proxy::Fault;
use crate::common::faults::{Ended, LiveApply, assert_failed_in, assert_resumed_without_repeating, assert_ridden_out};
use crate::common::leftovers::kube_of;

const GET_PODS: &str = "GET pods";

/// Applies 3 -> 4, arming `arm` when helm_upgrade starts; returns how the apply ended.
async fn apply_with_fault(customer: &Customer, arm: impl FnOnce()) -> Result<Ended> {
    LiveApply::arming_at(customer, 4, "helm_upgrade", arm).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_read_timeout_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = kube_customer("kube-timeout").await?;
    let ended = apply_with_fault(&customer, || proxy.inject(GET_PODS, Fault::Hold, Some(2))).await?;
    assert_ridden_out(&customer.repo, &ended, "rollout", "Kubernetes API")?;
    ensure!(proxy.count(GET_PODS) > proxy.forwarded(GET_PODS), "no read was held");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_5xx_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = kube_customer("kube-5xx").await?;
    let ended = apply_with_fault(&customer, || {
        proxy.fail(
            GET_PODS,
            500,
            "InternalError",
            "Internal error occurred: injected",
            Some(3),
        )
    })
    .await?;
    assert_ridden_out(&customer.repo, &ended, "rollout", "Internal error occurred")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_throttling_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = kube_customer("kube-429").await?;
    // kfscale's client retries a 429 itself 4 times (200 ms doubling, honouring Retry-After):
    // 10 throttled answers are more than that, so the rollout's wait rides out the rest.
    let ended = apply_with_fault(&customer, || {
        proxy.fail(
            GET_PODS,
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            Some(20),
        )
    })
    .await?;
    assert_ridden_out(&customer.repo, &ended, "rollout", "429")?;
    ensure!(
        proxy.count(GET_PODS) - proxy.forwarded(GET_PODS) == 20,
        "not every 429 was sent"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_forbidden_stops_the_apply_naming_the_call_and_a_rerun_resumes() -> Result<()> {
    let (customer, proxy) = kube_customer("kube-403").await?;
    let ended = apply_with_fault(&customer, || {
        proxy.fail(
            GET_PODS,
            403,
            "Forbidden",
            "pods is forbidden: User \"kfscale\" cannot list resource \"pods\"",
            None,
        )
    })
    .await?;
    let before = assert_failed_in(&customer.repo, &ended, "rollout", &["Kubernetes API", "pods", "RBAC"])?;
    ensure!(ended.retries_in("rollout").is_empty(), "a permanent error was retried");
    proxy.clear_all();
    let resumed = LiveApply::start(&customer, 4, "resume.log")?.end().await?;
    assert_resumed_without_repeating(&customer.repo, &resumed, &before)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_going_away_mid_wait_is_ridden_out_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = kube_customer("kube-away").await?;
    let mut apply = LiveApply::start(&customer, 4, "apply.log")?;
    apply.step_started("rollout").await?;
    proxy.go_away();
    apply.retrying("rollout").await?;
    proxy.come_back().await?;
    let ended = apply.end().await?;
    assert_ridden_out(&customer.repo, &ended, "rollout", "Kubernetes API")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_api_server_while_planning_is_observed_again() -> Result<()> {
    let (customer, proxy) = kube_customer("kube-plan").await?;
    // Armed before anything runs: the planner's pod reads meet it.
    proxy.fail(
        GET_PODS,
        500,
        "InternalError",
        "Internal error occurred: injected",
        Some(2),
    );
    let output = customer.kfscale(&["plan", "--config", customer.config_arg()?, "--nodes", "4"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(output.status.success(), "plan failed ({}):\n{stderr}", output.status);
    ensure!(
        stderr.matches("retrying the observation").count() == 2,
        "expected two retried observations:\n{stderr}"
    );
    ensure!(
        proxy.count(GET_PODS) > proxy.forwarded(GET_PODS) + 1,
        "the faults were not met"
    );
    Ok(())
}

const CREATE_LEASE: &str = "POST leases";
const REPLACE_LEASE: &str = "PUT leases";
const DELETE_LEASE: &str = "DELETE leases";

/// Applied, answer lost (#15 item 1), on the lock's Lease: its create, one renewal and its delete
/// are each carried out by the API server and answered 500.
/// - The create is read back and found to be this apply's (its lock id): no second create, and no
///   refusal naming our own lease as someone else's.
/// - The lost renewal leaves the lease at a version kfscale never saw: the next renewal's conflict
///   is read back and found ours, so the apply goes on (it would stop as if the lock were taken).
/// - The delete is read back: the lease is gone, deleted once.
#[tokio::test(flavor = "multi_thread")]
async fn lock_lease_writes_applied_with_their_answers_lost_keep_the_lock_and_release_it() -> Result<()> {
    let (mut customer, proxy) = kube_customer("kube-lease-lost").await?;
    // A 9 s lease, renewed every 3 s: several renewals while the apply runs.
    customer.set_env("KFSCALE_LOCK_SECONDS", "9");
    let lost = |op: &str| {
        proxy.fail_after_applying(
            op,
            500,
            "InternalError",
            "Internal error occurred: injected after the write",
            Some(1),
        )
    };
    lost(CREATE_LEASE);
    lost(DELETE_LEASE);
    let ended = LiveApply::arming_at(&customer, 4, "helm_upgrade", || lost(REPLACE_LEASE)).await?;
    ended.ensure_succeeded("the apply whose lease answers were lost")?;
    ensure!(
        proxy.forwarded(CREATE_LEASE) == 1 && proxy.answers_lost(CREATE_LEASE) == 1,
        "creates: {} sent, {} answers lost",
        proxy.forwarded(CREATE_LEASE),
        proxy.answers_lost(CREATE_LEASE)
    );
    let requests = proxy.requests();
    let lost_renewal = requests
        .iter()
        .position(|r| r.op == REPLACE_LEASE && r.answer_lost)
        .context("no renewal met the fault: the apply ended before its next renewal")?;
    ensure!(
        requests[lost_renewal + 1..]
            .iter()
            .any(|r| r.op == REPLACE_LEASE && r.forwarded),
        "no renewal after the lost one"
    );
    ensure!(
        proxy.forwarded(DELETE_LEASE) == 1 && proxy.answers_lost(DELETE_LEASE) == 1,
        "deletes: {} sent",
        proxy.forwarded(DELETE_LEASE)
    );
    let lease = kube_of(&customer).await?.lease("kfscale-lock").await?;
    ensure!(lease.is_none(), "the lease is still there: {lease:?}");
    Ok(())
}
