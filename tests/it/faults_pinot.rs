//! Fault matrix, Pinot (issue #7): one apply 6 -> 9 nodes (one zone) per cell, whose
//! pinot_rebalance step rebalances the profile's two tables on an in-process Pinot fake (the
//! built-in synchronous `downtime=true` rebalance, then a wait until every segment is GOOD):
//! - timeout: with pinot.timeout_seconds 1, segmentsStatus answers after 3 s, armed when the step
//!   starts (it is read while the step waits for the segments);
//! - 5xx: the rebalance POST (endpoint `mutations`) answers 500 twice;
//! - throttling: the rebalance POST answers 429 twice;
//! - permanent: the rebalance POST answers 403;
//! - going away: the controller restarts (503 for 60 model seconds, 3 s here) right after the
//!   first rebalance POST, while the step waits for the segments. live_apply_pinot's
//!   `a_rebalance_whose_controller_died_is_cancelled_and_issued_again` shows the same restart
//!   during a tracked job;
//! - applied, answer lost: the first rebalance POST is carried out, then answered 500 (#15 item 1).
//!
//! Faults on the POST need no arming: planning only reads (its dry runs are another endpoint).
//! Retriable cells: the apply succeeds, counts the retry, carries out one rebalance per table, and
//! every segment ends GOOD. The permanent cell fails naming Pinot, the call and the fix; with the
//! fault gone a re-run resumes without repeating the steps done before.
use anyhow::{Result, ensure};
use kfscale_fakes::pinot::Fault;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster};
use crate::common::fake_faults::{run_watching, starts};
use crate::common::faults::{Ended, assert_failed_in, assert_resumed_without_repeating, assert_retried_and_succeeded};
use crate::common::pinot::{PinotForCluster, TABLES, pinot_for, seed};

/// The tables the built-in profile rebalances by hand.
const PLANNED: usize = 2;
/// Model seconds per real second of the Pinot fake.
const CLOCK_SPEED: f64 = 20.0;
const STEP: &str = "pinot_rebalance";

/// A 6-node single-zone cluster (Kafka copies fast, so the steps before Pinot take seconds) and the
/// chart's Pinot for it; `pinot_timeout` seconds per Pinot call.
async fn pinot_customer(prefix: &str, pinot_timeout: u64) -> Result<(Customer, PinotForCluster)> {
    let customer = customer_cluster(CustomerSpec {
        prefix,
        zones: Some(&["us-east-1a"]),
        kafka_speed: 50.0,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        ..CustomerSpec::default()
    })
    .await?;
    let pinot = pinot_for(&customer.rig, &seed(&customer.cluster.id, None)?, CLOCK_SPEED).await?;
    let section =
        pinot
            .config_section("")
            .replacen("timeout_seconds: 5", &format!("timeout_seconds: {pinot_timeout}"), 1);
    customer.configure(&section)?;
    Ok((customer, pinot))
}

fn apply(
    customer: &Customer,
    cell: &str,
    watch: impl FnMut(Option<&serde_json::Value>) -> Result<()>,
) -> Result<Ended> {
    let command = customer.command(&customer.apply_args("9")?);
    run_watching(command, &customer.config.with_file_name(format!("{cell}.log")), watch)
}

/// Answers of `endpoint` with HTTP `code` so far.
fn answered(pinot: &PinotForCluster, endpoint: &str, code: u16) -> usize {
    pinot
        .fake
        .requests()
        .iter()
        .filter(|r| r.endpoint == endpoint && r.code == code)
        .count()
}

/// One rebalance carried out per planned table, and every segment of every table GOOD.
async fn assert_rebalanced_once_and_good(pinot: &PinotForCluster) -> Result<()> {
    let carried_out = answered(pinot, "rebalance", 200);
    ensure!(carried_out == PLANNED, "{carried_out} rebalance POSTs carried out");
    for table in TABLES {
        let (_, not_good, _) = pinot.table(table).await?;
        ensure!(not_good == 0, "{table} has {not_good} segments not GOOD");
    }
    Ok(())
}

fn http_error(code: u16, count: u32) -> Fault {
    Fault::HttpError {
        endpoint: "mutations".into(),
        code,
        message: None,
        applied: false,
        count: Some(count),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_timeout_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, pinot) = pinot_customer("fp-timeout", 1).await?;
    let slow = Fault::Latency {
        endpoint: "segmentsStatus".into(),
        millis: 3000,
        count: Some(1),
    };
    let mut slow = Some(slow);
    let finished = apply(&customer, "timeout", |event| {
        if starts(event, STEP)
            && let Some(fault) = slow.take()
        {
            pinot.fake.fault(fault)?;
        }
        Ok(())
    })?;
    assert_retried_and_succeeded(&customer.repo, &finished, STEP)?;
    ensure!(
        finished
            .retries_in(STEP)
            .iter()
            .any(|e| e["error"].as_str().is_some_and(|m| m.contains("no answer within 1 s"))),
        "{:?}",
        finished.retries_in(STEP)
    );
    assert_rebalanced_once_and_good(&pinot).await
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_5xx_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, pinot) = pinot_customer("fp-5xx", 5).await?;
    pinot.fake.fault(http_error(500, 2))?;
    let finished = apply(&customer, "5xx", |_| Ok(()))?;
    let retries = assert_retried_and_succeeded(&customer.repo, &finished, STEP)?;
    ensure!(retries >= 2, "{retries} retries for two 500s");
    ensure!(answered(&pinot, "rebalance", 500) == 2);
    assert_rebalanced_once_and_good(&pinot).await
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_throttling_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, pinot) = pinot_customer("fp-429", 5).await?;
    pinot.fake.fault(http_error(429, 2))?;
    let finished = apply(&customer, "429", |_| Ok(()))?;
    let retries = assert_retried_and_succeeded(&customer.repo, &finished, STEP)?;
    ensure!(retries >= 2, "{retries} retries for two 429s");
    ensure!(answered(&pinot, "rebalance", 429) == 2);
    assert_rebalanced_once_and_good(&pinot).await
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_permanent_error_stops_the_apply_and_a_rerun_resumes() -> Result<()> {
    let (customer, pinot) = pinot_customer("fp-403", 5).await?;
    pinot.fake.fault(http_error(403, 1))?;
    let failed = apply(&customer, "403", |_| Ok(()))?;
    let before = assert_failed_in(
        &customer.repo,
        &failed,
        STEP,
        &["Pinot controller POST /tables/", "/rebalance", "HTTP 403"],
    )?;
    ensure!(answered(&pinot, "rebalance", 403) == 1 && answered(&pinot, "rebalance", 200) == 0);
    let moved = customer.kafka.reassignments_sent();

    pinot.fake.clear_faults();
    let resumed = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    assert_resumed_without_repeating(&customer.repo, &resumed.into(), &before)?;
    ensure!(
        customer.kafka.reassignments_sent() == moved,
        "Kafka moves were sent again"
    );
    assert_rebalanced_once_and_good(&pinot).await
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_going_away_mid_step_is_retried_and_the_apply_succeeds() -> Result<()> {
    let (customer, pinot) = pinot_customer("fp-restart", 5).await?;
    let mut restarted_at = None;
    let finished = apply(&customer, "restart", |_| {
        if restarted_at.is_none() && pinot.mutations("rebalance") >= 1 {
            pinot.fake.fault(Fault::Restart { seconds: Some(60.0) })?;
            restarted_at = Some(pinot.fake.requests().len());
        }
        Ok(())
    })?;
    ensure!(restarted_at.is_some(), "no rebalance POST seen:\n{}", finished.stderr);
    assert_retried_and_succeeded(&customer.repo, &finished, STEP)?;
    let unavailable = pinot.fake.requests()[restarted_at.unwrap_or(0)..]
        .iter()
        .filter(|r| r.code == 503)
        .count();
    ensure!(unavailable >= 1, "the restarting controller answered nothing with 503");
    assert_rebalanced_once_and_good(&pinot).await
}

/// Applied, answer lost (#15 item 1): the controller starts the first rebalance and its answer is
/// lost (500). The step retries and finds the rebalance done or running rather than POST it again:
/// the controller received exactly one rebalance POST per planned table, and every segment ends GOOD.
#[tokio::test(flavor = "multi_thread")]
async fn pinot_rebalance_applied_with_its_answer_lost_is_not_posted_again() -> Result<()> {
    let (customer, pinot) = pinot_customer("fp-lost", 5).await?;
    pinot.fake.fault(Fault::HttpError {
        endpoint: "rebalance".into(),
        code: 500,
        message: Some("Internal error: the answer was lost after the rebalance started".into()),
        applied: true,
        count: Some(1),
    })?;
    let finished = apply(&customer, "lost", |_| Ok(()))?;
    assert_retried_and_succeeded(&customer.repo, &finished, STEP)?;
    ensure!(
        answered(&pinot, "rebalance", 500) == 1,
        "the lost answer was never given"
    );
    let posted = pinot.mutations("rebalance");
    ensure!(
        posted == PLANNED as u64,
        "{posted} rebalance POSTs reached the controller for {PLANNED} tables"
    );
    for table in TABLES {
        let (_, not_good, _) = pinot.table(table).await?;
        ensure!(not_good == 0, "{table} has {not_good} segments not GOOD");
    }
    Ok(())
}
