//! Fault matrix, Helm: the real helm CLI, talking to the API server through the fault proxy
//! (tests/it/common/kube_proxy.rs), upgrades a single-AZ customer grown 3 -> 4 nodes. Faults are
//! aimed at `POST secrets`: helm's first write of an upgrade (the new release record), which
//! neither the planner nor kfscale's own reads send. Cells: helm stuck on a held request past
//! `helm.timeout_minutes` (kfscale stops it and runs it again), 500 InternalError, 429 beyond
//! client-go's own retries, 403 Forbidden (permanent), the API server going away while helm
//! runs, and the new release record written with its answer lost.
use anyhow::{Result, ensure};

use crate::common::customer::Customer;
use crate::common::customer_proxies::customer_through_kube_proxy;
use crate::common::fault_proxy::Fault;
use crate::common::faults::{Ended, LiveApply, assert_failed_in, assert_resumed_without_repeating, assert_ridden_out};
use crate::common::leftovers::helm_history;

const CREATE_SECRET: &str = "POST secrets";

/// Applies 3 -> 4, arming `arm` when helm_upgrade starts; returns how the apply ended.
async fn apply_with_fault(customer: &Customer, arm: impl FnOnce()) -> Result<Ended> {
    LiveApply::arming_at(customer, 4, "helm_upgrade", arm).await
}

/// How often helm_upgrade finished in the apply: once, however many tries it took.
fn upgrades_recorded(ended: &Ended) -> usize {
    ended
        .events
        .iter()
        .filter(|e| e["event"] == "step_finished" && e["step"] == "helm_upgrade")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn helm_stuck_past_its_timeout_is_stopped_and_run_again() -> Result<()> {
    let (mut customer, proxy) = customer_through_kube_proxy("helm-timeout").await?;
    // helm's --timeout 6 s; kfscale stops a helm still running 1.5 s later.
    customer.edit_config("plain_http: true}", "plain_http: true, timeout_minutes: 0.1}")?;
    let ended = apply_with_fault(&customer, || proxy.inject(CREATE_SECRET, Fault::Hold, Some(1))).await?;
    assert_ridden_out(&customer.repo, &ended, "helm_upgrade", "did not finish within 7 s")?;
    ensure!(upgrades_recorded(&ended) == 1);
    ensure!(
        proxy.count(CREATE_SECRET) == proxy.forwarded(CREATE_SECRET) + 1,
        "the held write was not sent"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn helm_5xx_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = customer_through_kube_proxy("helm-5xx").await?;
    let ended = apply_with_fault(&customer, || {
        proxy.fail(
            CREATE_SECRET,
            500,
            "InternalError",
            "Internal error occurred: injected",
            Some(1),
        )
    })
    .await?;
    assert_ridden_out(&customer.repo, &ended, "helm_upgrade", "Internal error occurred")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn helm_throttling_beyond_client_go_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = customer_through_kube_proxy("helm-429").await?;
    // client-go retries a 429 with Retry-After up to 10 times by itself; the 11th reaches helm,
    // which fails, and kfscale runs the step again.
    let ended = apply_with_fault(&customer, || {
        proxy.fail(
            CREATE_SECRET,
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            Some(12),
        )
    })
    .await?;
    assert_ridden_out(&customer.repo, &ended, "helm_upgrade", "helm upgrade")?;
    ensure!(proxy.count(CREATE_SECRET) - proxy.forwarded(CREATE_SECRET) == 12);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn helm_forbidden_stops_the_apply_naming_the_call_and_a_rerun_resumes() -> Result<()> {
    let (customer, proxy) = customer_through_kube_proxy("helm-403").await?;
    let ended = apply_with_fault(&customer, || {
        proxy.fail(
            CREATE_SECRET,
            403,
            "Forbidden",
            "secrets is forbidden: User \"kfscale\" cannot create resource \"secrets\"",
            None,
        )
    })
    .await?;
    let before = assert_failed_in(
        &customer.repo,
        &ended,
        "helm_upgrade",
        &["helm upgrade", "forbidden", "kubeconfig's user"],
    )?;
    ensure!(
        ended.retries_in("helm_upgrade").is_empty(),
        "a permanent error was retried"
    );
    proxy.clear_all();
    let resumed = LiveApply::start(&customer, 4, "resume.log")?.end().await?;
    assert_resumed_without_repeating(&customer.repo, &resumed, &before)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn helm_losing_the_api_server_mid_upgrade_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = customer_through_kube_proxy("helm-away").await?;
    let mut apply = LiveApply::start(&customer, 4, "apply.log")?;
    // The step announces the helm command line just before it runs it.
    apply
        .until("helm upgrade running", |e| {
            e["event"] == "info"
                && e["step"] == "helm_upgrade"
                && e["message"].as_str().is_some_and(|m| m.starts_with("helm upgrade"))
        })
        .await?;
    proxy.go_away();
    apply.retrying("helm_upgrade").await?;
    proxy.come_back().await?;
    let ended = apply.end().await?;
    assert_ridden_out(&customer.repo, &ended, "helm_upgrade", "helm upgrade")?;
    Ok(())
}

/// Applied, answer lost (#15 item 1): the API server stores helm's new release record and the
/// answer is lost (500), so helm stops with the revision written `pending-upgrade` and nothing
/// deployed from it. kfscale rolls that revision back (Helm refuses to upgrade a pending release)
/// and upgrades once more. Counted on Helm's side: exactly three new revisions (the lost one, left
/// `pending-upgrade` by Helm's rollback, which does not rewrite it; the rollback, superseded; the
/// upgrade, deployed), and exactly one upgrade ever completed.
#[tokio::test(flavor = "multi_thread")]
async fn helm_record_written_with_its_answer_lost_is_rolled_back_and_upgraded_once() -> Result<()> {
    let (customer, proxy) = customer_through_kube_proxy("helm-lost").await?;
    let before = helm_history(&customer).await?;
    let ended = apply_with_fault(&customer, || {
        proxy.fail_after_applying(
            CREATE_SECRET,
            500,
            "InternalError",
            "Internal error occurred: injected after the write",
            Some(1),
        )
    })
    .await?;
    assert_ridden_out(&customer.repo, &ended, "helm_upgrade", "Internal error occurred")?;
    ensure!(upgrades_recorded(&ended) == 1);
    let history = helm_history(&customer).await?;
    let new: Vec<_> = history
        .iter()
        .filter(|(revision, ..)| before.iter().all(|(old, ..)| old < revision))
        .map(|(_, status, description)| (status.as_str(), description.as_str()))
        .collect();
    let last_before = before.last().map_or(0, |(revision, ..)| *revision);
    ensure!(
        new == [
            ("pending-upgrade", "Preparing upgrade"),
            ("superseded", format!("Rollback to {last_before}").as_str()),
            ("deployed", "Upgrade complete"),
        ],
        "new revisions: {new:?}"
    );
    Ok(())
}
