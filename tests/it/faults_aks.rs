//! Fault matrix, AKS (issue #19): one apply growing the rig's shared agent pool `kfuse` 3 -> 6 per
//! cell (live_apply_aks's customer: the chart on the pool, Kafka and Pinot fakes), with the fault set
//! on the rig's AKS fake (`/_control/faults`):
//! - throttling: the PUT answers 429 TooManyRequests with `Retry-After: 1`, twice;
//! - busy cluster: the PUT answers 409 OperationNotAllowed (another operation runs), twice;
//! - permanent: the PUT answers 403 AuthorizationFailed (no role assignment);
//! - the operation fails: the PUT is accepted, its operation ends `Failed` with QuotaExceeded;
//! - applied, answer lost: ARM carries the PUT out, then answers 500 (issue #15 item 1).
//!
//! Faults on the PUT need no arming: planning only reads the pool. Retriable cells: the apply
//! succeeds, counts the retries, the pool ends at 6. Permanent cells fail naming AKS, ARM's code and
//! the fix; with the fault gone a re-run PUTs again and succeeds.
//!
//! The pools are shared: these run in the nextest group `rig-aks-pools` and put them back when they end.
use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use kfscale_rig::{RigEnv, wait};
use serde_json::{Value, json};

use crate::common::customer::kfscale_command;
use crate::common::fake_faults::run_watching;
use crate::common::faults::{Ended, assert_failed_in, assert_resumed_without_repeating, assert_ridden_out};
use crate::live_apply_aks::{
    AksCustomer, KFUSE_POOL, KFUSE_SEED, PUT, aks_customer, arm, azure_section, mutations, pool_ref, pool_selector,
};
use crate::live_apply_gke::{WAIT, delta};

const STEP: &str = "node_pool";

fn apply(live: &AksCustomer, cell: &str) -> Result<Ended> {
    let command = kfscale_command(
        &live.rig,
        &["apply", "--config", live.config()?, "--nodes", "6", "--auto-approve"],
    );
    run_watching(
        command,
        &live.installed.config.with_file_name(format!("{cell}.log")),
        |_| Ok(()),
    )
}

async fn add_fault(rig: &RigEnv, fault: Value) -> Result<()> {
    let url = format!("{}/faults", rig.get("KFSCALE_RIG_AKS_CONTROL")?);
    reqwest::Client::new()
        .post(&url)
        .json(&fault)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

fn put_error(code: u16, error_code: &str, retry_after_seconds: Option<u64>, count: u32) -> Value {
    json!({"kind": "http_error", "method": PUT, "code": code, "error_code": error_code,
           "retry_after_seconds": retry_after_seconds, "count": count})
}

/// The pool at 6, Succeeded, with 6 Ready nodes, after `puts` PUTs since `before` (refused ones count).
async fn assert_resized(live: &AksCustomer, before: &BTreeMap<String, u64>, puts: u64) -> Result<()> {
    let calls = delta(before, &mutations(&live.rig).await?);
    ensure!(
        calls == BTreeMap::from([(PUT.to_string(), puts)]),
        "mutations: {calls:?}"
    );
    let found = arm(&live.rig)?.agent_pool(&pool_ref(&live.rig, KFUSE_POOL)?).await?;
    ensure!(
        (found.count, found.provisioning_state.as_str()) == (6, "Succeeded"),
        "{found:?}"
    );
    wait::ready_nodes(&live.rig.kube_client().await?, &pool_selector(KFUSE_POOL), 6, WAIT).await?;
    Ok(())
}

async fn pool_count(live: &AksCustomer) -> Result<u32> {
    Ok(arm(&live.rig)?
        .agent_pool(&pool_ref(&live.rig, KFUSE_POOL)?)
        .await?
        .count)
}

#[tokio::test(flavor = "multi_thread")]
async fn aks_throttling_is_waited_out_for_its_retry_after() -> Result<()> {
    let live = aks_customer("fa-429", KFUSE_POOL, azure_section(KFUSE_POOL)).await?;
    let before = mutations(&live.rig).await?;
    add_fault(&live.rig, put_error(429, "TooManyRequests", Some(1), 2)).await?;
    let finished = apply(&live, "429")?;
    let retries = assert_ridden_out(&live.installed.customer.repo, &finished, STEP, "throttling")?;
    ensure!(retries >= 2, "{retries} retries for two 429s");
    // Two refused, one carried out.
    assert_resized(&live, &before, 3).await
}

/// Applied, answer lost (#15 item 1): ARM accepts the PUT (the pool asks for 6 and starts
/// Updating), then the answer is a 500. The step's retry reads the pool, finds it already asking
/// for 6 and waits for it: exactly one PUT reached ARM.
#[tokio::test(flavor = "multi_thread")]
async fn aks_put_applied_with_its_answer_lost_is_not_sent_again() -> Result<()> {
    let live = aks_customer("fa-lost", KFUSE_POOL, azure_section(KFUSE_POOL)).await?;
    let before = mutations(&live.rig).await?;
    let mut lost = put_error(500, "InternalServerError", None, 1);
    lost["applied"] = json!(true);
    add_fault(&live.rig, lost).await?;
    let finished = apply(&live, "lost")?;
    assert_ridden_out(&live.installed.customer.repo, &finished, STEP, "InternalServerError")?;
    assert_resized(&live, &before, 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn aks_busy_cluster_is_waited_out() -> Result<()> {
    let live = aks_customer("fa-409", KFUSE_POOL, azure_section(KFUSE_POOL)).await?;
    let before = mutations(&live.rig).await?;
    add_fault(&live.rig, put_error(409, "OperationNotAllowed", None, 2)).await?;
    let finished = apply(&live, "409")?;
    let retries = assert_ridden_out(&live.installed.customer.repo, &finished, STEP, "another operation")?;
    ensure!(retries >= 2, "{retries} retries for two 409s");
    assert_resized(&live, &before, 3).await
}

#[tokio::test(flavor = "multi_thread")]
async fn aks_missing_role_stops_the_apply_and_a_rerun_resumes() -> Result<()> {
    let live = aks_customer("fa-403", KFUSE_POOL, azure_section(KFUSE_POOL)).await?;
    let before = mutations(&live.rig).await?;
    add_fault(&live.rig, put_error(403, "AuthorizationFailed", None, 1)).await?;
    let failed = apply(&live, "403")?;
    let finished_before = assert_failed_in(
        &live.installed.customer.repo,
        &failed,
        STEP,
        &["AuthorizationFailed", "az role assignment create", KFUSE_POOL],
    )?;
    ensure!(pool_count(&live).await? == KFUSE_SEED);

    // The fault was used up: the re-run PUTs.
    let resumed = kfscale_command(&live.rig, &["apply", "--config", live.config()?]).output()?;
    assert_resumed_without_repeating(&live.installed.customer.repo, &resumed.into(), &finished_before)?;
    assert_resized(&live, &before, 2).await
}

#[tokio::test(flavor = "multi_thread")]
async fn aks_failed_operation_names_the_quota_and_a_rerun_puts_again() -> Result<()> {
    let live = aks_customer("fa-quota", KFUSE_POOL, azure_section(KFUSE_POOL)).await?;
    let before = mutations(&live.rig).await?;
    add_fault(&live.rig, json!({"kind": "operation_error", "count": 1})).await?;
    let failed = apply(&live, "quota")?;
    let finished_before = assert_failed_in(
        &live.installed.customer.repo,
        &failed,
        STEP,
        &["QuotaExceeded", "request a higher quota", KFUSE_POOL],
    )?;

    let resumed = kfscale_command(&live.rig, &["apply", "--config", live.config()?]).output()?;
    assert_resumed_without_repeating(&live.installed.customer.repo, &resumed.into(), &finished_before)?;
    // One PUT whose operation failed, one that worked.
    assert_resized(&live, &before, 2).await
}
