//! `kfscale verify` on the rig after an apply: a cluster grown 6 -> 12 nodes with the Kafka fake
//! (running clock: producers and consumers move), an in-process Pinot fake following the pods and a
//! Grafana fake with Kloudfuse-like rules (its Kloudfuse folder the control plane's). Right after the apply every check is GREEN; then a stopped
//! pod, a BAD segment, a lagging partition, a leftover throttle and a firing rule are injected one
//! at a time, and each turns exactly its own check RED with the evidence named (exit 3), and GREEN
//! again once removed. The apply itself recorded the rules firing before it and its checklist.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::Pod;
use kfscale_fakes::grafana::{GrafanaFake, InstanceState, Seed as GrafanaSeed};
use kfscale_fakes::pinot::Fault;
use kfscale_kafka::{ConfigChange, ConfigOp, ConfigResource};
use kfscale_rig::faults;
use serde_json::Value;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, succeeded, text};
use crate::common::pinot::{pinot_for, seed};

const TOKEN: &str = "glsa_kfscale_rig_test_token";
const CHECKS: [&str; 11] = [
    "workloads",
    "spread",
    "pinot-segments",
    "pinot-freshness",
    "kafka-lag",
    "kafka-reassignments",
    "kafka-throttles",
    "kafka-leaders",
    "helm-release",
    "control-plane-alerts",
    "alerting",
];

/// `kfscale verify --json` with a 1 s lag window: (exit code, report).
fn verify(customer: &Customer) -> Result<(i32, Value)> {
    let output = customer.kfscale(&["verify", "--config", customer.config_arg()?, "--json", "--window", "1"]);
    let (stdout, stderr) = text(&output);
    let code = output.status.code().context("verify was killed")?;
    let report = serde_json::from_str(&stdout).with_context(|| format!("verify exit {code}: {stderr}\n{stdout}"))?;
    Ok((code, report))
}

/// Check name -> status.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or(&Value::Null)
}

/// Polls verify until `done` holds for its report (the rig's pod runner and controllers need a
/// moment to act on a fault); fails with the last report after a minute.
async fn verify_until(customer: &Customer, what: &str, done: impl Fn(&Value) -> bool) -> Result<(i32, Value)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, report) = verify(customer)?;
        if done(&report) {
            return Ok((code, report));
        }
        ensure!(
            Instant::now() < deadline,
            "verify never showed {what}; last report: {report:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Exactly `red` is RED, every other check GREEN, exit 3; returns the red check's evidence.
async fn only_red(customer: &Customer, red: &str) -> Result<Vec<String>> {
    let (code, report) = verify_until(customer, &format!("{red} RED"), |r| {
        statuses(r).get(red).map(String::as_str) == Some("RED")
    })
    .await?;
    let expected: BTreeMap<String, String> = CHECKS
        .iter()
        .map(|name| (name.to_string(), if *name == red { "RED" } else { "GREEN" }.to_string()))
        .collect();
    assert_eq!(statuses(&report), expected, "{report:#}");
    assert_eq!(code, 3, "some check red: exit 3");
    assert_eq!(report["status"], "RED");
    Ok(check(&report, red)["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect())
}

async fn all_green(customer: &Customer, after: &str) -> Result<Value> {
    let (code, report) = verify_until(customer, &format!("every check GREEN {after}"), |r| {
        statuses(r).values().all(|s| s == "GREEN") && statuses(r).len() == CHECKS.len()
    })
    .await?;
    assert_eq!(code, 0);
    assert_eq!(report["status"], "GREEN");
    Ok(report)
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_is_green_after_an_apply_and_each_fault_turns_exactly_its_check_red() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "verify",
        kafka_speed: 50.0,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        ..CustomerSpec::default()
    })
    .await?;
    let pinot = pinot_for(&customer.rig, &seed(&customer.cluster.id, None)?, 20.0).await?;
    let grafana = GrafanaFake::start(&GrafanaSeed::example(), 0, Some(TOKEN.into())).await?;
    std::fs::write(customer.config.with_file_name("grafana-token"), format!("{TOKEN}\n"))?;
    customer.configure(&format!(
        "{}grafana: {{url: \"{}\", token_file: grafana-token}}\nvalidate: {{control_plane_alerts: {{folders: [Kloudfuse]}}}}\n",
        pinot.config_section(""),
        grafana.api_url()
    ))?;
    // A rule firing before the apply stays allowed after it (YELLOW at most, never RED).
    let apply = succeeded(customer.apply(12)?, "apply 6 -> 12")?;
    let (_, stderr) = text(&apply);
    assert!(!stderr.contains(TOKEN), "the token never shows");

    // The apply recorded what fired before it, and its own run of the checklist.
    let state = customer.state()?;
    assert_eq!(state["run"]["alerting_before"]["firing"], serde_json::json!([]));
    assert_eq!(state["run"]["alerting_before"]["rules"], 4);
    let recorded = &customer.step_record("validate")?["observed"]["checks"];
    let recorded_statuses = statuses(recorded);
    assert_eq!(
        recorded_statuses.keys().cloned().collect::<Vec<_>>(),
        {
            let mut names: Vec<String> = CHECKS.iter().map(|s| s.to_string()).collect();
            names.sort();
            names
        },
        "{recorded:#}"
    );
    assert!(recorded_statuses.values().all(|s| s == "GREEN"), "{recorded:#}");
    assert!(!std::fs::read_to_string(customer.repo.join(".kfscale/state.json"))?.contains(TOKEN));

    // Right after the apply: all green.
    let started = Instant::now();
    let report = all_green(&customer, "after the apply").await?;
    eprintln!(
        "verify after the apply: {} ms in the report, {} ms wall with the process, requests {}",
        report["elapsed_ms"],
        started.elapsed().as_millis(),
        report["requests"]
    );
    assert_eq!(report["lag_window_ms"], 1000);
    assert_eq!(report["lag_samples"], 3);
    let lag = check(&report, "kafka-lag")["evidence"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(lag.contains("(3 samples)") && lag.contains("limit 100000"), "{lag}");
    assert!(
        check(&report, "alerting")["summary"]
            .as_str()
            .is_some_and(|s| s.contains("1 rules in 1 groups; 0 firing before the apply")),
        "{report:#}"
    );

    // 1. A stopped pod: one ingester pod fails its readiness probe.
    let client = customer.rig.kube_client().await?;
    let pods = kube::Api::<Pod>::namespaced(client.clone(), &customer.cluster.id)
        .list(&Default::default())
        .await?;
    let pod = pods
        .items
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .find(|name| name.starts_with("ingester-"))
        .context("an ingester pod")?;
    faults::set(client.clone(), &customer.cluster.id, faults::Fault::NotReady, &[&pod]).await?;
    let evidence = only_red(&customer, "workloads").await?;
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    let (ready, replicas) = evidence[0]
        .strip_prefix("not Ready: ingester ")
        .and_then(|counts| counts.split_once('/'))
        .with_context(|| format!("the workload is named: {evidence:?}"))?;
    assert_eq!(
        ready.parse::<u32>()? + 1,
        replicas.parse::<u32>()?,
        "one pod down: {evidence:?}"
    );
    faults::set(client.clone(), &customer.cluster.id, faults::Fault::NotReady, &[]).await?;
    all_green(&customer, "once the pod is Ready again").await?;

    // 2. A BAD segment: one replica of kf_logs in ERROR.
    pinot.fake.fault(Fault::BadSegment {
        table: "kf_logs_REALTIME".into(),
        segment: None,
        instance: None,
    })?;
    let evidence = only_red(&customer, "pinot-segments").await?;
    assert!(
        evidence[0].starts_with("kf_logs_REALTIME: ") && evidence[0].ends_with(" UPDATING, 1 BAD"),
        "{evidence:?}"
    );
    assert!(
        evidence[1].starts_with("  segment kf_logs__") && evidence[1].ends_with(" is ERROR"),
        "the segment and its server are named: {evidence:?}"
    );
    pinot.fake.clear_faults();
    all_green(&customer, "once the segment recovered").await?;

    // 3. A lagging partition: kf_logs_REALTIME stops consuming partition 3 while it is produced to.
    let kafka = &customer.kafka.fake;
    kafka.with_cluster(|c| c.set_consume_rate("kf_logs_REALTIME", "kf_logs_topic", Some(3), 0.0))?;
    let evidence = only_red(&customer, "kafka-lag").await?;
    assert!(
        evidence[1].starts_with("group kf_logs_REALTIME kf_logs_topic-3: lag ")
            && evidence[1].ends_with(" (rising), not consuming while its log grows"),
        "{evidence:?}"
    );
    assert_eq!(evidence.len(), 2, "only that partition: {evidence:?}");
    kafka.with_cluster(|c| {
        let end = c
            .partition("kf_logs_topic", 3)
            .map_or(0, |p| p.log.log_end_offset(c.now_ms));
        c.commit_offset("kf_logs_REALTIME", "kf_logs_topic", 3, end - 2000)?;
        c.set_consume_rate("kf_logs_REALTIME", "kf_logs_topic", Some(3), 500.0)
    })?;
    all_green(&customer, "once the partition consumes again").await?;

    // 4. A leftover throttle on broker 101, set the way kafka-configs sets it.
    let admin = customer.kafka_admin()?;
    let throttle = |op: ConfigOp| ConfigChange {
        resource: ConfigResource::Broker(101),
        name: "leader.replication.throttled.rate".into(),
        op,
    };
    admin
        .incremental_alter_configs(&[throttle(ConfigOp::Set("1000000".into()))])
        .await?;
    let evidence = only_red(&customer, "kafka-throttles").await?;
    assert_eq!(evidence, ["broker 101: leader.replication.throttled.rate=1000000"]);
    admin.incremental_alter_configs(&[throttle(ConfigOp::Delete)]).await?;
    all_green(&customer, "once the throttle is removed").await?;

    // 5. A control-plane rule that did not fire before the apply fires now.
    grafana.set_rule("Ingester not ready", InstanceState::Alerting, None)?;
    let evidence = only_red(&customer, "control-plane-alerts").await?;
    assert_eq!(
        evidence,
        ["Kloudfuse / kfuse-control-plane / Ingester not ready: firing (1 instance(s)), not firing before the apply"]
    );
    grafana.reset();
    let report = all_green(&customer, "once the rule is quiet").await?;

    // The text form: one line per check, the verdict last.
    let output = customer.kfscale(&["verify", "--config", customer.config_arg()?, "--window", "0"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    for name in CHECKS {
        assert!(
            stdout.lines().any(|l| l.starts_with("GREEN ") && l.contains(name)),
            "{name}: {stdout}"
        );
    }
    assert!(stdout.contains("Verify: GREEN. 11 green, 0 yellow, 0 red"), "{stdout}");
    eprintln!("verify requests per run: {}", report["requests"]);
    Ok(())
}
