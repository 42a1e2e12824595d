//! Fault matrix, GKE (issue #7): one apply growing the rig's shared zonal pool 3 -> 4 per cell
//! (live_apply_gke's customer: the chart on the pool, Kafka and Pinot fakes), with the fault set
//! on the rig's GKE fake:
//! - timeout: with cluster.gcp.timeout_seconds 2, operations.get answers after 5 s (twice);
//! - 5xx: setSize answers 503 UNAVAILABLE twice;
//! - throttling: setSize answers 429 RESOURCE_EXHAUSTED twice;
//! - permanent: setSize answers 403 PERMISSION_DENIED;
//! - going away: every method answers 503 from the moment setSize returned its operation (the step
//!   follows it, then waits for the nodes) until kfscale shows it retried;
//! - applied, answer lost: setSize starts its operation, then answers 503 (issue #15 item 1); the
//!   same for setAutoscaling, on an apply to 7 (beyond the pool's max of 6 per zone).
//!
//! Faults on setSize and operations.get need no arming: planning only reads the pool. Retriable
//! cells: the apply succeeds, counts the retry, the pool is resized once, to 4. The permanent cell
//! fails naming GKE, setSize and the fix; with the fault gone a re-run resizes.
//!
//! The pool is shared: these run in the nextest group `rig-gke-pools` and put it back when they end.
use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use kfscale_rig::gke::{self, ZONAL_CLUSTER, ZONAL_LOCATION, ZONAL_POOL};
use kfscale_rig::wait;
use serde_json::{Value, json};

use crate::common::customer::{kfscale_command, path};
use crate::common::fake_faults::{retries_in, run_watching};
use crate::common::faults::{Ended, assert_failed_in, assert_resumed_without_repeating, assert_retried_and_succeeded};
use crate::live_apply_gke::{
    GkeCustomer, SET_AUTOSCALING, SET_SIZE, WAIT, add_fault, delta, fake_counts, gke_customer, zonal_bounds,
    zonal_selector,
};

const STEP: &str = "node_pool";
const OPERATIONS_GET: &str = "container.projects.locations.operations.get";

fn apply(live: &GkeCustomer, cell: &str, watch: impl FnMut(Option<&Value>) -> Result<()>) -> Result<Ended> {
    apply_to(live, "4", cell, watch)
}

fn apply_to(
    live: &GkeCustomer,
    nodes: &str,
    cell: &str,
    watch: impl FnMut(Option<&Value>) -> Result<()>,
) -> Result<Ended> {
    let command = kfscale_command(
        &live.rig,
        &[
            "apply",
            "--config",
            path(&live.config)?,
            "--nodes",
            nodes,
            "--auto-approve",
        ],
    );
    run_watching(command, &live.config.with_file_name(format!("{cell}.log")), watch)
}

/// The pool at 4 nodes, all Ready, resized by `set_size_calls` setSize requests since `before`.
async fn assert_resized(live: &GkeCustomer, before: &BTreeMap<String, u64>, set_size_calls: u64) -> Result<()> {
    let calls = delta(before, &fake_counts(&live.rig, "mutations").await?);
    ensure!(
        calls == BTreeMap::from([(SET_SIZE.to_string(), set_size_calls)]),
        "mutations: {calls:?}"
    );
    let sizes = gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?;
    ensure!(sizes == BTreeMap::from([(ZONAL_LOCATION.to_string(), 4)]), "{sizes:?}");
    wait::ready_nodes(&live.rig.kube_client().await?, &zonal_selector(), 4, WAIT).await?;
    Ok(())
}

/// Requests the fake answered for `method` with HTTP `code` since the `from`th.
async fn answered(live: &GkeCustomer, from: usize, method: &str, code: u64) -> Result<usize> {
    let url = format!("{}/requests", live.rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    let requests: Value = reqwest::get(&url).await?.error_for_status()?.json().await?;
    let requests = requests.as_array().cloned().unwrap_or_default();
    Ok(requests
        .iter()
        .skip(from)
        .filter(|r| {
            let m = r["api_method"].as_str().or_else(|| r["apiMethod"].as_str());
            (method == "*" || m == Some(method)) && r["code"].as_u64().or_else(|| r["status"].as_u64()) == Some(code)
        })
        .count())
}

async fn requests_so_far(live: &GkeCustomer) -> Result<usize> {
    let url = format!("{}/requests", live.rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    let requests: Value = reqwest::get(&url).await?.error_for_status()?.json().await?;
    Ok(requests.as_array().map_or(0, Vec::len))
}

fn set_size_error(code: u16, status: &str, count: u32) -> Value {
    json!({"kind": "http_error", "method": SET_SIZE, "code": code, "status": status, "count": count})
}

#[tokio::test(flavor = "multi_thread")]
async fn gke_timeout_is_retried_and_the_apply_succeeds() -> Result<()> {
    let live = gke_customer("fg-timeout").await?;
    let config = std::fs::read_to_string(&live.config)?;
    ensure!(config.contains("access_token_file: "), "{config}");
    std::fs::write(
        &live.config,
        config.replacen("access_token_file: ", "timeout_seconds: 2, access_token_file: ", 1),
    )?;
    let (before, from) = (
        fake_counts(&live.rig, "mutations").await?,
        requests_so_far(&live).await?,
    );
    add_fault(
        &live.rig,
        json!({"kind": "latency", "method": OPERATIONS_GET, "millis": 5000, "count": 2}),
    )
    .await?;
    let finished = apply(&live, "timeout", |_| Ok(()))?;
    assert_retried_and_succeeded(&live.customer.repo, &finished, STEP)?;
    ensure!(
        finished
            .retries_in(STEP)
            .iter()
            .any(|e| e["error"].as_str().is_some_and(|m| m.contains("no answer within 2 s"))),
        "{:?}",
        finished.retries_in(STEP)
    );
    ensure!(answered(&live, from, OPERATIONS_GET, 200).await? >= 1);
    assert_resized(&live, &before, 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn gke_5xx_is_retried_and_the_apply_succeeds() -> Result<()> {
    let live = gke_customer("fg-5xx").await?;
    let (before, from) = (
        fake_counts(&live.rig, "mutations").await?,
        requests_so_far(&live).await?,
    );
    add_fault(&live.rig, set_size_error(503, "UNAVAILABLE", 2)).await?;
    let finished = apply(&live, "5xx", |_| Ok(()))?;
    let retries = assert_retried_and_succeeded(&live.customer.repo, &finished, STEP)?;
    ensure!(retries >= 2, "{retries} retries for two 503s");
    ensure!(answered(&live, from, SET_SIZE, 503).await? == 2);
    // Two refused, one carried out.
    assert_resized(&live, &before, 3).await
}

#[tokio::test(flavor = "multi_thread")]
async fn gke_throttling_is_retried_and_the_apply_succeeds() -> Result<()> {
    let live = gke_customer("fg-429").await?;
    let (before, from) = (
        fake_counts(&live.rig, "mutations").await?,
        requests_so_far(&live).await?,
    );
    add_fault(&live.rig, set_size_error(429, "RESOURCE_EXHAUSTED", 2)).await?;
    let finished = apply(&live, "429", |_| Ok(()))?;
    let retries = assert_retried_and_succeeded(&live.customer.repo, &finished, STEP)?;
    ensure!(retries >= 2, "{retries} retries for two 429s");
    ensure!(answered(&live, from, SET_SIZE, 429).await? == 2);
    assert_resized(&live, &before, 3).await
}

#[tokio::test(flavor = "multi_thread")]
async fn gke_permanent_error_stops_the_apply_and_a_rerun_resumes() -> Result<()> {
    let live = gke_customer("fg-403").await?;
    let before = fake_counts(&live.rig, "mutations").await?;
    add_fault(&live.rig, set_size_error(403, "PERMISSION_DENIED", 1)).await?;
    let failed = apply(&live, "403", |_| Ok(()))?;
    let finished_before = assert_failed_in(
        &live.customer.repo,
        &failed,
        STEP,
        &["GKE", "setSize", "PERMISSION_DENIED", "roles/container.admin"],
    )?;
    let sizes = gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?;
    ensure!(sizes == BTreeMap::from([(ZONAL_LOCATION.to_string(), 3)]), "{sizes:?}");

    // The fault was used up: the re-run resizes.
    let resumed = kfscale_command(&live.rig, &["apply", "--config", path(&live.config)?]).output()?;
    assert_resumed_without_repeating(&live.customer.repo, &resumed.into(), &finished_before)?;
    assert_resized(&live, &before, 2).await
}

#[tokio::test(flavor = "multi_thread")]
async fn gke_going_away_mid_step_is_retried_and_the_apply_succeeds() -> Result<()> {
    let live = gke_customer("fg-away").await?;
    let (before, from) = (
        fake_counts(&live.rig, "mutations").await?,
        requests_so_far(&live).await?,
    );
    let control = format!("{}/faults", live.rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    let http = reqwest::Client::new();
    // The watcher runs blocked in place: it may wait on a request.
    let blocking = |request: reqwest::RequestBuilder| -> Result<()> {
        tokio::runtime::Handle::current().block_on(async { request.send().await?.error_for_status() })?;
        Ok(())
    };
    let (mut armed, mut cleared) = (false, false);
    let finished = apply(&live, "going-away", |event| {
        let sent = event.is_some_and(|e| {
            e["event"] == "info"
                && e["step"] == STEP
                && e["message"].as_str().is_some_and(|m| m.starts_with("setSize "))
        });
        if !armed && sent {
            blocking(
                http.post(&control)
                    .json(&json!({"kind": "http_error", "method": "*", "code": 503})),
            )?;
            armed = true;
        } else if armed && !cleared && retries_in(event, STEP) {
            blocking(http.delete(&control))?;
            cleared = true;
        }
        Ok(())
    })?;
    ensure!(
        armed && cleared,
        "armed {armed}, cleared {cleared}:\n{}",
        finished.stderr
    );
    assert_retried_and_succeeded(&live.customer.repo, &finished, STEP)?;
    ensure!(answered(&live, from, "*", 503).await? >= 1);
    assert_resized(&live, &before, 1).await
}

/// Applied, answer lost (#15 item 1): the fake starts setSize's operation, then answers 503. The
/// step retries, finds its operation running on the pool (`operations.list`), follows it and sends no
/// second setSize: exactly one reached GKE, and the step reports the resize as its own (done).
#[tokio::test(flavor = "multi_thread")]
async fn gke_set_size_applied_with_its_answer_lost_is_not_sent_again() -> Result<()> {
    let live = gke_customer("fg-lost").await?;
    let (before, from) = (
        fake_counts(&live.rig, "mutations").await?,
        requests_so_far(&live).await?,
    );
    let mut lost = set_size_error(503, "UNAVAILABLE", 1);
    lost["applied"] = json!(true);
    add_fault(&live.rig, lost).await?;
    let finished = apply(&live, "lost", |_| Ok(()))?;
    assert_retried_and_succeeded(&live.customer.repo, &finished, STEP)?;
    ensure!(answered(&live, from, SET_SIZE, 503).await? == 1);
    assert_resized(&live, &before, 1).await
}

/// Applied, answer lost, on setAutoscaling (#15 item 1): an apply to 7 nodes, beyond the pool's max
/// of 6 per zone, widens the bounds first; the fake starts that operation, then answers 503. The
/// step retries, finds the bounds widened (or its operation running) and sends no second
/// setAutoscaling: exactly one of each call reached GKE, and the pool ends at 7 within (1, 7).
#[tokio::test(flavor = "multi_thread")]
async fn gke_set_autoscaling_applied_with_its_answer_lost_is_not_sent_again() -> Result<()> {
    let live = gke_customer("fg-lost-bounds").await?;
    let (before, from) = (
        fake_counts(&live.rig, "mutations").await?,
        requests_so_far(&live).await?,
    );
    let lost = json!({"kind": "http_error", "method": SET_AUTOSCALING, "code": 503, "status": "UNAVAILABLE",
                      "count": 1, "applied": true});
    add_fault(&live.rig, lost).await?;
    let finished = apply_to(&live, "7", "lost-bounds", |_| Ok(()))?;
    assert_retried_and_succeeded(&live.customer.repo, &finished, STEP)?;
    ensure!(answered(&live, from, SET_AUTOSCALING, 503).await? == 1);
    let calls = delta(&before, &fake_counts(&live.rig, "mutations").await?);
    ensure!(
        calls == BTreeMap::from([(SET_AUTOSCALING.to_string(), 1), (SET_SIZE.to_string(), 1)]),
        "mutations: {calls:?}"
    );
    ensure!(
        zonal_bounds(&live.rig).await? == Some((1, 7)),
        "bounds not widened to 7"
    );
    let sizes = gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?;
    ensure!(sizes == BTreeMap::from([(ZONAL_LOCATION.to_string(), 7)]), "{sizes:?}");
    wait::ready_nodes(&live.rig.kube_client().await?, &zonal_selector(), 7, WAIT).await?;
    Ok(())
}
