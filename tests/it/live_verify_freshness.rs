//! `kfscale verify` on the rig, runbook validation items 5, 8 and 9: recent data visible in Pinot
//! (`pinot-freshness`, from the Pinot fake's `consumingSegmentsInfo`) and the control plane's alerts
//! reported apart from the customer's (`control-plane-alerts` / `alerting`, by the folder or label
//! convention of `validate.control_plane_alerts`). A chart installed at 6 nodes, no apply: fresh
//! consumers are GREEN; a partition stalled past `validate.max_freshness_lag_seconds` is RED and
//! named (and GREEN under a higher limit); a stopped consumer is RED; a silent server or unreported
//! lags are YELLOW.
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::grafana::{GrafanaFake, InstanceState, Seed as GrafanaSeed};
use kfscale_fakes::pinot::{ConsumerSetting, PinotFake, ServerAnswer};
use kfscale_pinot::{Pinot, Target};
use serde_json::Value;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, text};
use crate::common::pinot::{PARTITIONS, TABLES, seed};

/// `kfscale verify --json --window 0`: (exit code, report).
fn verify(customer: &Customer) -> Result<(i32, Value)> {
    let output = customer.kfscale(&["verify", "--config", customer.config_arg()?, "--json", "--window", "0"]);
    let (stdout, stderr) = text(&output);
    let code = output.status.code().context("verify was killed")?;
    let report = serde_json::from_str(&stdout).with_context(|| format!("verify exit {code}: {stderr}\n{stdout}"))?;
    Ok((code, report))
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or(&Value::Null)
}

fn status(report: &Value, name: &str) -> String {
    check(report, name)["status"].as_str().unwrap_or("(absent)").to_string()
}

fn evidence(report: &Value, name: &str) -> Vec<String> {
    check(report, name)["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect()
}

fn summary(report: &Value, name: &str) -> String {
    check(report, name)["summary"].as_str().unwrap_or_default().to_string()
}

fn consumer(partition: u32) -> ConsumerSetting {
    ConsumerSetting {
        table: "kf_logs".into(),
        partition,
        stalled_seconds: None,
        records_lag: None,
        availability_lag_ms: None,
        not_calculated: false,
        consumer_state: None,
    }
}

/// The seconds of `Server_... 912.3 s` in an evidence line.
fn lag_seconds(line: &str) -> Option<f64> {
    line.rsplit(": ").next()?.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_shows_recent_data_per_partition_and_the_control_plane_alerts_apart() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "fresh",
        ..CustomerSpec::default()
    })
    .await?;
    let pinot = PinotFake::start(&seed(&customer.cluster.id, None)?, 0, ModelClock::new(0.0)).await?;
    let grafana = GrafanaFake::start(&GrafanaSeed::example(), 0, None).await?;
    let configure = |validate: &str| {
        customer.configure(&format!(
            "pinot: {{url: \"{}\", timeout_seconds: 5}}\ngrafana: {{url: \"{}\"}}\nvalidate: {{{validate}}}\n",
            pinot.api_url(),
            grafana.api_url()
        ))
    };
    configure("control_plane_alerts: {folders: [Kloudfuse]}")?;

    // Fresh consumers on every partition of the six tables: GREEN, one request per table.
    let asked = pinot.requests().len();
    let started = Instant::now();
    let (_, report) = verify(&customer)?;
    let elapsed = started.elapsed();
    assert_eq!(status(&report, "pinot-freshness"), "GREEN", "{report:#}");
    assert!(
        summary(&report, "pinot-freshness").starts_with(&format!(
            "recent data visible: {} partitions of {} REALTIME tables, limit 300.0 s",
            PARTITIONS as usize * TABLES.len(),
            TABLES.len()
        )),
        "{report:#}"
    );
    let consuming_calls = pinot.requests()[asked..]
        .iter()
        .filter(|r| r.endpoint.contains("consumingSegmentsInfo"))
        .count();
    assert_eq!(
        consuming_calls,
        TABLES.len(),
        "one consumingSegmentsInfo per REALTIME table"
    );
    eprintln!("verify with freshness: {} ms wall", elapsed.as_millis());

    // The alerts in two groups: the Kloudfuse folder's 3 rules, the customer's 1.
    assert_eq!(status(&report, "control-plane-alerts"), "GREEN", "{report:#}");
    assert!(
        summary(&report, "control-plane-alerts").starts_with("3 rules in 1 groups; no baseline recorded"),
        "{report:#}"
    );
    assert!(
        summary(&report, "alerting").starts_with("1 rules in 1 groups; no baseline recorded"),
        "{report:#}"
    );
    grafana.set_rule("Ingester not ready", InstanceState::Alerting, None)?;
    grafana.set_rule("Checkout latency p99", InstanceState::Alerting, None)?;
    let (code, report) = verify(&customer)?;
    assert_eq!(
        evidence(&report, "control-plane-alerts"),
        [
            "Kloudfuse / kfuse-control-plane / Ingester not ready: firing (1 instance(s)); no apply recorded what fired before"
        ]
    );
    assert_eq!(
        status(&report, "control-plane-alerts"),
        "RED",
        "the runbook wants them quiet"
    );
    assert_eq!(
        evidence(&report, "alerting"),
        ["Customer / slo / Checkout latency p99: firing (1 instance(s)); no apply recorded what fired before"]
    );
    assert_eq!(status(&report, "alerting"), "YELLOW", "the customer's own alert");
    assert_eq!(code, 3);
    // A label convention instead: the two critical rules.
    configure("control_plane_alerts: {labels: {severity: critical}}")?;
    let (_, report) = verify(&customer)?;
    assert!(
        summary(&report, "control-plane-alerts").starts_with("2 rules in 1 groups"),
        "{report:#}"
    );
    assert_eq!(status(&report, "control-plane-alerts"), "GREEN", "{report:#}");
    assert_eq!(evidence(&report, "alerting").len(), 2, "{report:#}");
    // No convention: not split, said so.
    configure("")?;
    let (_, report) = verify(&customer)?;
    assert_eq!(status(&report, "control-plane-alerts"), "YELLOW");
    assert!(summary(&report, "control-plane-alerts").contains("validate.control_plane_alerts"));
    assert!(
        summary(&report, "alerting").starts_with("4 rules in 2 groups"),
        "{report:#}"
    );
    grafana.reset();
    configure("control_plane_alerts: {folders: [Kloudfuse]}")?;

    // Partition 3 of kf_logs stalled 15 minutes while its stream grows: RED, named with its server.
    pinot.set_consumer(ConsumerSetting {
        stalled_seconds: Some(900.0),
        ..consumer(3)
    })?;
    let (code, report) = verify(&customer)?;
    assert_eq!(status(&report, "pinot-freshness"), "RED", "{report:#}");
    assert_eq!(code, 3);
    let lines = evidence(&report, "pinot-freshness");
    assert_eq!(lines.len(), 1, "only that partition: {lines:?}");
    assert!(
        lines[0].starts_with("kf_logs_REALTIME partition 3 (segment kf_logs__3__") && lines[0].contains("): Server_"),
        "{lines:?}"
    );
    let lag = lag_seconds(&lines[0]).with_context(|| format!("a lag in seconds: {lines:?}"))?;
    assert!((900.0..960.0).contains(&lag), "stalled 900 s ago: {lines:?}");
    assert!(
        summary(&report, "pinot-freshness").starts_with("1 partition(s) behind their stream"),
        "{report:#}"
    );
    // The same stall under a 20-minute limit is within it.
    configure("control_plane_alerts: {folders: [Kloudfuse]}, max_freshness_lag_seconds: 1200")?;
    let (_, report) = verify(&customer)?;
    assert_eq!(status(&report, "pinot-freshness"), "GREEN", "{report:#}");
    assert!(
        summary(&report, "pinot-freshness").contains("worst kf_logs_REALTIME partition 3: 9"),
        "{report:#}"
    );
    configure("control_plane_alerts: {folders: [Kloudfuse]}")?;

    // A consumer stopped (NOT_CONSUMING): RED whatever its timestamps.
    pinot.reset_consumers();
    pinot.set_consumer(ConsumerSetting {
        consumer_state: Some("NOT_CONSUMING".into()),
        ..consumer(5)
    })?;
    let (_, report) = verify(&customer)?;
    let lines = evidence(&report, "pinot-freshness");
    assert_eq!(status(&report, "pinot-freshness"), "RED");
    assert!(
        lines.len() == 1
            && lines[0].starts_with("kf_logs_REALTIME partition 5 ")
            && lines[0].ends_with(" NOT_CONSUMING"),
        "{lines:?}"
    );

    // Lags NOT_CALCULATED: unknown, not fresh (YELLOW), and no RED.
    pinot.reset_consumers();
    pinot.set_consumer(ConsumerSetting {
        not_calculated: true,
        ..consumer(7)
    })?;
    let (code, report) = verify(&customer)?;
    assert_eq!(status(&report, "pinot-freshness"), "YELLOW", "{report:#}");
    let lines = evidence(&report, "pinot-freshness");
    assert!(
        lines.len() == 1
            && lines[0].starts_with("kf_logs_REALTIME partition 7 ")
            && lines[0].ends_with("(lag not fully reported)"),
        "{lines:?}"
    );
    assert_ne!(code, 3, "{report:#}");

    // A server that does not answer the controller: its partitions unreported (YELLOW).
    pinot.reset_consumers();
    let client = Pinot::connect(Target::Url(pinot.api_url()), Duration::from_secs(10)).await?;
    let info = client.consuming_segments_info("kf_logs").await?;
    let server = info
        .segments
        .values()
        .flatten()
        .next()
        .map(|c| c.server.clone())
        .context("a consumer of kf_logs")?;
    pinot.set_consumer_server(&server, ServerAnswer::None);
    let (_, report) = verify(&customer)?;
    assert_eq!(status(&report, "pinot-freshness"), "YELLOW", "{server}: {report:#}");
    let lines = evidence(&report, "pinot-freshness");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("1 server(s) did not answer the controller")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("no server reports a consumer")),
        "the partitions it served are named: {lines:?}"
    );
    pinot.reset_consumers();
    let (_, report) = verify(&customer)?;
    assert_eq!(status(&report, "pinot-freshness"), "GREEN", "{report:#}");
    Ok(())
}
