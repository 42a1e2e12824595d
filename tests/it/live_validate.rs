//! The validate step on the rig: Kafka consumer lag (from the Kafka fake following the test
//! cluster's brokers) must fall under `validate.max_consumer_lag` within
//! `validate.lag_timeout_minutes`. A lag that stays high fails the apply naming the group, topic,
//! partition and lag; a resumed apply waits, and passes once the consumer catches up. Pinot is not
//! observed here (no pinot.url, and the rig has no kubelet to port-forward to): validate says so.
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::common::customer::{CustomerSpec, customer_cluster, text};

const GROUP: &str = "kf_logs_REALTIME";
const TOPIC: &str = "kf_logs_topic";

#[tokio::test(flavor = "multi_thread")]
async fn validate_fails_while_consumer_lag_stays_high_and_passes_once_it_falls() -> Result<()> {
    // The Kafka fake copies replicas fast, so the reassignment before validate ends in seconds.
    let customer = customer_cluster(CustomerSpec {
        prefix: "validate-lag",
        kafka_speed: 50.0,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        ..CustomerSpec::default()
    })
    .await?;
    let kafka = &customer.kafka.fake;
    // The group has consumed nothing of partition 0: its whole log is lag. It consumes as fast as
    // the log grows, so the lag stays (about) that until the test commits the end offset.
    // The end is read at the model instant of the commit: on a running clock a later read would
    // count messages the group consumes meanwhile, which are not lag.
    let end = kafka.with_cluster(|c| -> Result<i64> {
        c.commit_offset(GROUP, TOPIC, 0, 0)?;
        c.partition(TOPIC, 0)
            .map(|p| p.log.log_end_offset(c.now_ms))
            .context("partition 0")
    })?;
    ensure!(end > 100_000, "the seed's log end {end} must exceed the limit");

    customer.configure("validate: {max_consumer_lag: 100000, lag_timeout_minutes: 0.05}\n")?;
    let output = customer.apply(12)?;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}\n{stdout}");
    assert!(
        stderr.contains(
            "step validate failed: consumer lag stayed above validate.max_consumer_lag (100000 messages) for"
        ) && stderr.contains(&format!(
            "(validate.lag_timeout_minutes): 1 partition(s) above the limit: group {GROUP} {TOPIC}-0 lag "
        )) && stderr.contains("; fix: the consumers are not keeping up"),
        "{stderr}"
    );
    assert!(lag_in(&stderr) >= end, "the lag named is the whole log: {stderr}");
    assert_eq!(customer.step_record("validate")?["status"], "failed");
    assert_eq!(customer.step_record("rollout")?["status"], "done");

    // Resumed with time to wait: validate reports the lag while it waits; the consumer catches up.
    customer.configure("validate: {max_consumer_lag: 100000, lag_timeout_minutes: 10}\n")?;
    let mut child = customer
        .command(&["apply", "--config", customer.config_arg()?, "--auto-approve", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let (lines, events) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let event = |line: &str| serde_json::from_str::<Value>(line).unwrap_or(Value::Null);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut seen = Vec::new();
    loop {
        let line = events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .with_context(|| format!("no lag wait reported; events: {seen:#?}"))?;
        let e = event(&line);
        seen.push(line);
        if e["event"] == "waiting"
            && e["step"] == "validate"
            && e["for"].as_str().is_some_and(|w| w.contains("consumer lag"))
        {
            assert!(lag_in(e["progress"].as_str().unwrap_or_default()) >= end, "{e}");
            break;
        }
        if e["event"] == "apply_stopped" {
            bail!("the apply stopped before waiting for the lag: {seen:#?}");
        }
    }
    kafka.with_cluster(|c| {
        let end = c.partition(TOPIC, 0).map_or(0, |p| p.log.log_end_offset(c.now_ms));
        c.commit_offset(GROUP, TOPIC, 0, end)
    })?;
    let finished = loop {
        let line = events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .with_context(|| format!("validate did not finish; events: {seen:#?}"))?;
        let e = event(&line);
        seen.push(line);
        if e["event"] == "step_finished" && e["step"] == "validate" {
            break e;
        }
        ensure!(e["event"] != "apply_stopped", "the apply stopped: {seen:#?}");
    };
    let summary = finished["summary"].as_str().context("summary")?;
    assert!(
        summary.contains("consumer lag at most 100000 on all")
            && summary.contains("Pinot not checked (the plan did not observe it)"),
        "{summary}"
    );
    let status = child.wait()?;
    ensure!(status.success(), "apply failed after validate: {seen:#?}");
    assert_eq!(customer.state()?["run"]["status"], "succeeded");
    Ok(())
}

/// The lag a message or progress line names for the test's partition (0 when it names none).
fn lag_in(text: &str) -> i64 {
    let marker = format!("group {GROUP} {TOPIC}-0 lag ");
    text.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}
