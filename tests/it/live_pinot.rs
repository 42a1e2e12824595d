//! `kfscale snapshot` and `kfscale plan` observing Pinot: a cluster installed on the rig, and a Pinot
//! fake (in-process, clock frozen) seeded with the six Kloudfuse REALTIME tables on the chart's
//! pinot-server pods, reached through `pinot.url`. Also the error paths, and the default port-forward,
//! which cannot work on the rig (its API server has no kubelet to forward to).
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use anyhow::{Context, Result};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{Fault, PinotFake};
use kfscale_rig::{RigEnv, cluster, git};
use serde_json::{Value, json};

use crate::common::pinot::{OFFLINE_SERVERS, REALTIME_SERVERS, TABLES, seed};

use crate::common::customer::run_git;

struct Live {
    rig: RigEnv,
    cluster: cluster::TestCluster,
    config: PathBuf,
    pinot: PinotFake,
    _kafka: crate::common::KafkaForCluster,
}

/// A 6-node cluster with the chart installed, a Pinot fake for its namespace, and a kfscale.yaml
/// with `pinot.url` pointing at the fake.
async fn live_cluster(prefix: &str) -> Result<Live> {
    let rig = RigEnv::from_env()?;
    let name = kfscale_rig::names::unique(prefix);
    let remote = git::seeded_remote(&rig, &name)?;
    let scratch = rig.run_dir()?.join("tests").join(format!("{name}-kfscale"));
    std::fs::create_dir_all(&scratch)?;
    run_git(&scratch, &["clone", "-q", remote.to_str().context("path")?, "customer"])?;
    let values = scratch.join("customer").join("values.yaml");
    let cluster = cluster::install(&rig, prefix, 6, values.to_str().context("path")?, "3.4.0").await?;
    let pinot = PinotFake::start(&seed(&cluster.id, None)?, 0, ModelClock::new(0.0)).await?;
    let kafka = crate::common::kafka_for(&rig, &cluster.id).await?;
    let config = scratch.join("kfscale.yaml");
    std::fs::write(
        &config,
        format!(
            "cluster:\n  aws: {{region: {region}, cluster: {id}, nodegroup: {ng}, endpoint: \"{endpoint}\"}}\n\
             kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
             helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
             values: {{file: customer/values.yaml}}\n\
             git: {{repo: customer, branch: main}}\n\
             profile: {{base: kraft}}\n\
             pinot: {{url: \"{pinot}\", timeout_seconds: 5}}\n\
             {kafka}",
            kafka = kafka.config_section(),
            region = rig.get("AWS_REGION")?,
            endpoint = rig.get("AWS_ENDPOINT_URL_EKS")?,
            kubeconfig = rig.get("KUBECONFIG")?,
            chart = cluster.chart,
            helm = rig.get("KFSCALE_RIG_HELM")?,
            id = cluster.id,
            ng = cluster.nodegroup,
            pinot = pinot.api_url(),
        ),
    )?;
    Ok(Live {
        rig,
        cluster,
        config,
        pinot,
        _kafka: kafka,
    })
}

fn kfscale(rig: &RigEnv, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .args(crate::common::customer::skips_pinot(args).then_some("--skip-pinot"))
        .envs(rig.vars())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kfscale")
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "kfscale failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Requests the fake received since `from`, by endpoint id.
fn requests_since(pinot: &PinotFake, from: usize) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for request in &pinot.requests()[from..] {
        *counts.entry(request.endpoint.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_is_observed_and_the_manual_rebalances_are_planned() -> Result<()> {
    let live = live_cluster("pinot").await?;
    let config = live.config.to_str().context("path")?;
    let snapshot_file = live.config.with_file_name("snapshot.json");
    let snapshot_path = snapshot_file.to_str().context("path")?;

    let output = ok(kfscale(
        &live.rig,
        &["snapshot", "--config", config, "-o", snapshot_path],
    ));
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains("observing pinot ... done in"), "{progress}");
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&snapshot_file)?)?;
    let pinot = &snapshot["pinot"];
    let names: Vec<&str> = pinot["tables"]
        .as_array()
        .context("tables")?
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let expected: Vec<String> = TABLES.iter().map(|t| format!("{t}_REALTIME")).collect();
    assert_eq!(names, expected, "every table, sorted");
    for table in pinot["tables"].as_array().context("tables")? {
        assert_eq!(table["table_type"], "REALTIME");
        assert_eq!(table["server_tag"], "DefaultTenant_REALTIME");
        assert_eq!(table["replication"], 1);
        // 12 partitions x (1 completed + 1 consuming) segments, all loaded.
        assert_eq!(table["segments"], json!({"good": 24, "bad": 0, "updating": 0}));
        let servers = table["servers"].as_array().context("servers")?;
        assert_eq!(servers.len(), REALTIME_SERVERS, "{table}");
        assert!(
            servers.windows(2).all(|w| w[0].as_str() < w[1].as_str()),
            "servers sorted: {servers:?}"
        );
    }
    let instances = pinot["instances"].as_array().context("instances")?;
    assert_eq!(instances.len(), 3 + 3 + REALTIME_SERVERS + OFFLINE_SERVERS + 3);
    let server = format!(
        "Server_pinot-server-realtime-0.pinot-server-realtime-headless.{}.svc.cluster.local_8098",
        live.cluster.id
    );
    let found = instances
        .iter()
        .find(|i| i["name"] == server.as_str())
        .context("server instance")?;
    assert_eq!(
        found,
        &json!({"name": server, "instance_type": "SERVER", "tags": ["DefaultTenant_REALTIME"], "enabled": true})
    );
    assert_eq!(pinot["running_rebalances"], json!([]));

    // One live plan, its requests counted by the fake.
    let before = live.pinot.requests().len();
    let from_cluster = ok(kfscale(
        &live.rig,
        &["plan", "--config", config, "--nodes", "12", "--json"],
    ));
    let counts = requests_since(&live.pinot, before);
    eprintln!("Pinot requests of one plan: {counts:?}");
    let tables = TABLES.len() as u64;
    let instance_count = instances.len() as u64;
    let expected_counts: BTreeMap<String, u64> = [
        ("health", 1),
        ("listTables", 1),
        ("getTable", tables),
        ("externalView", tables),
        ("tableJobs", tables),
        ("segmentsStatus", tables),
        ("listInstances", 1),
        ("getInstance", instance_count),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expected_counts, "O(tables + instances), nothing per segment");

    let plan = crate::common::plan_of(&from_cluster.stdout)?;
    let rebalances = plan["pinot"]["tables"].as_array().context("pinot tables")?;
    let planned: Vec<&str> = rebalances.iter().filter_map(|t| t["table"].as_str()).collect();
    assert_eq!(planned, ["kf_metrics_REALTIME", "kf_metrics_rollup_REALTIME"]);
    assert_eq!(
        plan["pinot"]["parameter_set"], "runbook-2024",
        "chart 3.4.0 takes the older runbook's set"
    );
    for table in rebalances {
        assert_eq!(table["table_type"], "REALTIME");
        assert_eq!(
            table["parameters"],
            json!({"type": "REALTIME", "dryRun": "false", "reassignInstances": "true", "includeConsuming": "false",
                   "bootstrap": "false", "downtime": "true", "bestEfforts": "false", "lowDiskMode": "false",
                   "minAvailableReplicas": "1"})
        );
        assert_eq!(
            (table["servers_before"].as_u64(), table["servers_after"].as_u64()),
            (Some(6), Some(12))
        );
    }
    let pinot_check = plan["prechecks"]
        .as_array()
        .context("prechecks")?
        .iter()
        .find(|c| c["id"] == "pinot")
        .context("pinot pre-check")?;
    assert_eq!(pinot_check["status"], "pass", "{pinot_check}");

    // The world may move between the snapshot and a later live plan (a pod turning Ready under
    // load): the helper takes both again when their fingerprints differ.
    crate::common::assert_planner_pure(
        |args| kfscale(&live.rig, args),
        config,
        &snapshot_file,
        &["--nodes", "12"],
    )
    .await?;
    live.pinot.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_rebalance_fails_the_pinot_precheck() -> Result<()> {
    let live = live_cluster("pinot-busy").await?;
    // A new server and a tracked rebalance; the frozen clock keeps it IN_PROGRESS.
    live.pinot.set_server_pod("pinot-server-realtime-6", true, None);
    let controller = kfscale_pinot::Pinot::connect(
        kfscale_pinot::Target::Url(live.pinot.api_url()),
        kfscale_pinot::DEFAULT_TIMEOUT,
    )
    .await?;
    let parameters: BTreeMap<String, String> = [("type", "REALTIME"), ("downtime", "false")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let started = controller.rebalance("kf_logs", &parameters).await?;
    assert_eq!(started.status, "IN_PROGRESS", "{started:?}");
    let job = started.job_id.context("a job id")?;

    let output = kfscale(
        &live.rig,
        &[
            "plan",
            "--config",
            live.config.to_str().context("path")?,
            "--nodes",
            "12",
        ],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ FAIL  pinot")
            && text.contains(&format!(
                "a rebalance of kf_logs_REALTIME is running (job {job}, IN_PROGRESS)"
            )),
        "{text}"
    );
    live.pinot.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn pinot_errors_say_what_to_do() -> Result<()> {
    let live = live_cluster("pinot-errors").await?;
    let original = std::fs::read_to_string(&live.config)?;
    let config = live.config.to_str().context("path")?;
    let plan = |rig: &RigEnv| kfscale(rig, &["plan", "--config", config, "--nodes", "12"]);

    // A controller that is not there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    std::fs::write(
        &live.config,
        original.replace(&live.pinot.api_url(), &format!("http://127.0.0.1:{port}")),
    )?;
    let output = plan(&live.rig);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("observing pinot ... FAILED")
            && stderr.contains(&format!("Pinot controller GET /health at http://127.0.0.1:{port}"))
            && stderr.contains("cannot reach the controller")
            && stderr.contains("fix: check pinot.url in kfscale.yaml"),
        "{stderr}"
    );

    // A controller failing with 500 on the table list.
    std::fs::write(&live.config, &original)?;
    live.pinot.fault(Fault::HttpError {
        endpoint: "listTables".into(),
        code: 500,
        message: Some("ZooKeeper session expired".into()),
        applied: false,
        count: None,
    })?;
    let output = plan(&live.rig);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Pinot controller GET /tables: HTTP 500: ZooKeeper session expired")
            && stderr.contains("fix: the controller failed internally"),
        "{stderr}"
    );
    live.pinot.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_port_forward_is_reported_when_it_cannot_work() -> Result<()> {
    let live = live_cluster("pinot-forward").await?;
    let original = std::fs::read_to_string(&live.config)?;
    let without_url: String = original
        .lines()
        .filter(|line| !line.starts_with("pinot:"))
        .map(|line| format!("{line}\n"))
        .collect();
    let config = live.config.to_str().context("path")?;

    // The controller pod runs (the rig makes pods Running), but the rig's API server has no kubelet
    // to forward to: the snapshot goes on without Pinot and says why, and the plan refuses: the
    // runbook's metrics rebalance is mandatory.
    std::fs::write(&live.config, &without_url)?;
    let args = ["plan", "--config", config, "--nodes", "12"];
    let refused = crate::common::customer::kfscale_command_as_given(&live.rig, &args)
        .output()
        .expect("run kfscale");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{stderr}{stdout}");
    assert!(
        stderr.contains("warning: Pinot was not observed")
            && stderr.contains("port-forward to pod pinot-controller-0:9000")
            && stderr.contains("the port-forward failed: error dialing backend")
            && stderr.contains(&format!("namespace {}", live.cluster.id))
            && stderr.contains("pre-check fails: set pinot.url, or pass --skip-pinot"),
        "{stderr}"
    );
    assert!(
        stdout.contains("✗ FAIL  pinot") && stdout.contains("Pinot was not observed"),
        "{stdout}"
    );
    // The operator's explicit way past: a warning that says what is not done.
    let output = ok(kfscale(&live.rig, &args));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("! warn  pinot") && stdout.contains("SKIPPED by --skip-pinot"),
        "{stdout}"
    );

    // A controller pod that does not exist is named before any forward is tried.
    std::fs::write(
        &live.config,
        format!("{without_url}pinot: {{pod: pinot-controller-9}}\n"),
    )?;
    let output = ok(kfscale(
        &live.rig,
        &["plan", "--config", config, "--nodes", "12", "--skip-pinot"],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("port-forward to pod pinot-controller-9:9000")
            && stderr.contains("the pod does not exist")
            && stderr.contains("or set pinot.url in kfscale.yaml"),
        "{stderr}"
    );
    live.pinot.stop().await;
    Ok(())
}
