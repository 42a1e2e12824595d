//! Fault matrix, EKS: a single-AZ node group grown 3 -> 4 through the fault proxy in front of moto
//! (tests/it/common/eks_proxy.rs), with `cluster.aws.timeout_seconds: 1`. Faults on
//! UpdateNodegroupConfig are armed from the start (the planner only describes the group); more
//! of them than the SDK's 3 attempts, so kfscale's own retry is what carries the apply. Every
//! retry must send the request token recorded before the first try, and moto must see one update.
//! Cells: a held request (attempt timeout), 500 ServerException, ThrottlingException,
//! InvalidParameterException (permanent), EKS going away during the wait for the nodes, and an
//! update carried out whose answer is lost.
use std::collections::BTreeSet;

use anyhow::{Result, ensure};

use crate::common::customer::Customer;
use crate::common::customer_proxies::customer_through_eks_proxy;
use crate::common::eks_proxy::{EksProxy, UPDATE_NODEGROUP_CONFIG};
use crate::common::fault_proxy::Fault;
use crate::common::faults::{LiveApply, assert_failed_in, assert_resumed_without_repeating, assert_ridden_out};

/// The SDK's attempts per call (its standard retry mode).
const SDK_ATTEMPTS: u32 = 3;

/// The EKS proxy's customer, giving up on an EKS attempt after 1 s.
async fn eks_customer(prefix: &str) -> Result<(Customer, EksProxy)> {
    let (mut customer, proxy) = customer_through_eks_proxy(prefix).await?;
    let endpoint = format!("endpoint: \"{}\"}}", proxy.url());
    customer.edit_config(&endpoint, &endpoint.replace('}', ", timeout_seconds: 1}"))?;
    Ok((customer, proxy))
}

/// One update reached moto, every try carried the same request token, and the group has 4 nodes.
async fn assert_one_update(customer: &Customer, proxy: &EksProxy, tries: usize) -> Result<()> {
    ensure!(
        proxy.count(UPDATE_NODEGROUP_CONFIG) == tries,
        "{} tries, expected {tries}",
        proxy.count(UPDATE_NODEGROUP_CONFIG)
    );
    ensure!(
        proxy.forwarded(UPDATE_NODEGROUP_CONFIG) == 1,
        "moto got more than one update"
    );
    assert_one_token_and_four_nodes(customer, proxy).await
}

/// Every try carried the same request token, and the group has 4 nodes.
async fn assert_one_token_and_four_nodes(customer: &Customer, proxy: &EksProxy) -> Result<()> {
    let tokens: BTreeSet<Option<String>> = proxy.tokens().into_iter().collect();
    ensure!(tokens.len() == 1 && !tokens.contains(&None), "tokens: {tokens:?}");
    ensure!(customer.eks_desired_size().await? == Some(4));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_timeout_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = eks_customer("eks-timeout").await?;
    proxy.inject(UPDATE_NODEGROUP_CONFIG, Fault::Hold, Some(SDK_ATTEMPTS));
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_ridden_out(&customer.repo, &ended, "node_pool", "EKS UpdateNodegroupConfig")?;
    assert_one_update(&customer, &proxy, SDK_ATTEMPTS as usize + 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_5xx_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = eks_customer("eks-5xx").await?;
    proxy.fail(UPDATE_NODEGROUP_CONFIG, 500, "ServerException", SDK_ATTEMPTS);
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_ridden_out(&customer.repo, &ended, "node_pool", "ServerException")?;
    assert_one_update(&customer, &proxy, SDK_ATTEMPTS as usize + 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_throttling_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = eks_customer("eks-throttle").await?;
    proxy.fail(UPDATE_NODEGROUP_CONFIG, 400, "ThrottlingException", SDK_ATTEMPTS);
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_ridden_out(&customer.repo, &ended, "node_pool", "ThrottlingException")?;
    assert_one_update(&customer, &proxy, SDK_ATTEMPTS as usize + 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_permanent_error_stops_the_apply_naming_the_call_and_a_rerun_resumes() -> Result<()> {
    let (customer, proxy) = eks_customer("eks-invalid").await?;
    proxy.fail(UPDATE_NODEGROUP_CONFIG, 400, "InvalidParameterException", u32::MAX);
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    let before = assert_failed_in(
        &customer.repo,
        &ended,
        "node_pool",
        &[
            "EKS UpdateNodegroupConfig",
            "InvalidParameterException",
            "min <= desired <= max",
        ],
    )?;
    ensure!(
        ended.retries_in("node_pool").is_empty(),
        "a permanent error was retried"
    );
    ensure!(
        proxy.count(UPDATE_NODEGROUP_CONFIG) == 1,
        "the SDK retried a permanent error"
    );
    proxy.clear_all();
    let resumed = LiveApply::start(&customer, 4, "resume.log")?.end().await?;
    assert_resumed_without_repeating(&customer.repo, &resumed, &before)?;
    assert_one_update(&customer, &proxy, 2).await
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_going_away_mid_wait_is_ridden_out_and_the_apply_succeeds() -> Result<()> {
    let (customer, proxy) = eks_customer("eks-away").await?;
    let mut apply = LiveApply::start(&customer, 4, "apply.log")?;
    apply
        .until("the wait for the nodes", |e| {
            e["event"] == "waiting" && e["step"] == "node_pool"
        })
        .await?;
    proxy.go_away();
    apply.retrying("node_pool").await?;
    proxy.come_back().await?;
    let ended = apply.end().await?;
    assert_ridden_out(&customer.repo, &ended, "node_pool", "EKS DescribeNodegroup")?;
    assert_one_update(&customer, &proxy, 1).await
}

/// Applied, answer lost (#15 item 1): every one of the SDK's attempts reaches moto and is carried
/// out, and its answer is lost (500). kfscale's own retry reads the group, finds it at 4 and sends
/// nothing more: moto saw exactly the SDK's attempts, all with one token (which EKS treats as one
/// request), and the step reports what it did (done, not skipped).
#[tokio::test(flavor = "multi_thread")]
async fn eks_update_applied_with_its_answer_lost_is_not_sent_again() -> Result<()> {
    let (customer, proxy) = eks_customer("eks-lost").await?;
    proxy.fail_after_applying(UPDATE_NODEGROUP_CONFIG, 500, "ServerException", SDK_ATTEMPTS);
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_ridden_out(&customer.repo, &ended, "node_pool", "ServerException")?;
    ensure!(
        proxy.forwarded(UPDATE_NODEGROUP_CONFIG) == SDK_ATTEMPTS as usize,
        "{} updates reached moto, expected the SDK's {SDK_ATTEMPTS} and none from kfscale's retry",
        proxy.forwarded(UPDATE_NODEGROUP_CONFIG)
    );
    assert_one_token_and_four_nodes(&customer, &proxy).await
}
