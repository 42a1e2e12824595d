//! Kafka observation on the rig: a cluster installed with the chart, its Kafka played by the fake
//! (in-process, seeded like the chart: brokers 100-105 and the nine Kloudfuse topics, model clock
//! frozen so two observations see the same world). `kfscale snapshot` and `kfscale plan` read it
//! through the admin client; the plan from the snapshot is byte-identical to the live plan; one
//! plan's Kafka requests are counted per API.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::seed::{PodHosts, Seed, SeedBroker};
use kfscale_kafka::{ConfigChange, ConfigOp, ConfigResource, ReassignmentRequest};
use kfscale_rig::{RigEnv, cluster, git};
use serde_json::Value;

use crate::common::{assert_planner_pure, chart_cluster_id};

const KRAFT_SEED: &str = "tests/fakes/seeds/kafka-kraft.json";

struct Live {
    rig: RigEnv,
    /// The KRaft cluster id the chart stored in its Secret: the fake must run under it.
    cluster_id: String,
    config: PathBuf,
    /// kfscale.yaml without its `kafka:` section.
    base_config: String,
    /// The brokers advertise the DNS names of the chart's broker pods in this namespace.
    pods: PodHosts,
}

/// A 6-node cluster with the chart installed from the customer's clone, and its kfscale.yaml
/// without a `kafka:` section (each test adds the one it needs).
async fn live_cluster(prefix: &str) -> Result<Live> {
    let rig = RigEnv::from_env()?;
    let name = kfscale_rig::names::unique(prefix);
    let remote = git::seeded_remote(&rig, &name)?;
    let scratch = rig.run_dir()?.join("tests").join(format!("{name}-kfscale"));
    std::fs::create_dir_all(&scratch)?;
    let status = Command::new("git")
        .arg("-C")
        .arg(&scratch)
        .args(["clone", "-q", remote.to_str().context("path")?, "customer"])
        .status()?;
    anyhow::ensure!(status.success(), "git clone failed");
    let values = scratch.join("customer").join("values.yaml");
    let cluster = cluster::install(&rig, prefix, 6, values.to_str().context("path")?, "3.4.0").await?;
    let base_config = format!(
        "cluster:\n  aws: {{region: {region}, cluster: {id}, nodegroup: {ng}, endpoint: \"{endpoint}\"}}\n\
         kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
         helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
         values: {{file: customer/values.yaml}}\n\
         git: {{repo: customer, branch: main}}\n\
         profile: {{base: kraft}}\n",
        region = rig.get("AWS_REGION")?,
        endpoint = rig.get("AWS_ENDPOINT_URL_EKS")?,
        kubeconfig = rig.get("KUBECONFIG")?,
        chart = cluster.chart,
        helm = rig.get("KFSCALE_RIG_HELM")?,
        id = cluster.id,
        ng = cluster.nodegroup,
    );
    let cluster_id = chart_cluster_id(&rig.kube_client().await?, &cluster.id).await?;
    Ok(Live {
        rig,
        cluster_id,
        config: scratch.join("kfscale.yaml"),
        base_config,
        pods: PodHosts {
            namespace: cluster.id.clone(),
            statefulset: "kafka-kraft-broker".into(),
            id_base: 100,
            domain: "cluster.local".into(),
        },
    })
}

impl Live {
    fn write_config(&self, kafka: &str) -> Result<&str> {
        std::fs::write(&self.config, format!("{}{kafka}", self.base_config))?;
        self.config.to_str().context("path")
    }

    fn kfscale(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kfscale"))
            .args(args)
            .args(crate::common::customer::skips_pinot(args).then_some("--skip-pinot"))
            .envs(self.rig.vars())
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .output()
            .expect("run kfscale")
    }
}

/// The rig's Kafka seed (the chart's brokers and topics) under the cluster's id, with `brokers`
/// brokers from id 100.
async fn fake_kafka(live: &Live, brokers: i32) -> Result<FakeKafka> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KRAFT_SEED);
    let mut seed = Seed::from_file(&path)?;
    seed.cluster_id = live.cluster_id.clone();
    seed.settings.pod_hosts = Some(live.pods.clone());
    seed.brokers = (0..brokers)
        .map(|i| SeedBroker {
            id: 100 + i,
            rack: None,
            alive: true,
            disk_bytes: None,
        })
        .collect();
    FakeKafka::start(seed, ModelClock::new(0.0)).await
}

fn kafka_section(live: &Live, fake: &FakeKafka) -> String {
    crate::common::kafka_section_for(fake, &live.pods)
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "kfscale failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// The per-API counts of the `-v` line "Kafka requests by API: ApiVersions 6, Metadata 1, ...".
fn request_counts(stderr: &str) -> BTreeMap<String, u64> {
    let line = stderr
        .lines()
        .find_map(|line| line.split_once("Kafka requests by API: ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no request count line in:\n{stderr}"));
    let counts = line.split(" requests=").next().unwrap_or(line);
    counts
        .split(", ")
        .map(|pair| {
            let (api, n) = pair.rsplit_once(' ').expect("API count");
            (api.to_string(), n.parse().expect("count"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_and_plan_observe_kafka() -> Result<()> {
    let mut live = live_cluster("kafka").await?;
    let fake = fake_kafka(&live, 6).await?;
    // Topics keep their 12 partitions, so the six new brokers get their share by moves (with the
    // default factor the new partitions alone fill them and nothing moves).
    live.base_config = live.base_config.replace(
        "profile: {base: kraft}",
        "profile: {base: kraft, kafka: {partition_factor: 1.0}}",
    );
    let config = live.write_config(&kafka_section(&live, &fake))?;
    let snapshot_path = live.config.with_file_name("snapshot.json");
    let snapshot_file = snapshot_path.to_str().context("path")?;
    let output = ok(live.kfscale(&["snapshot", "--config", config, "-o", snapshot_file]));
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains("observing kafka ... done in"), "{progress}");

    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&snapshot_path)?)?;
    let kafka = &snapshot["kafka"];
    assert_eq!(kafka["cluster_id"], live.cluster_id.as_str());
    assert_eq!(kafka["controller_id"], 100);
    let brokers: Vec<(i64, u64)> = kafka["brokers"]
        .as_array()
        .context("brokers")?
        .iter()
        .map(|b| (b["id"].as_i64().unwrap_or(-1), b["port"].as_u64().unwrap_or(0)))
        .collect();
    let expected: Vec<(i64, u64)> = fake
        .broker_addrs()
        .iter()
        .map(|(id, a)| (i64::from(*id), u64::from(a.port())))
        .collect();
    assert_eq!(brokers, expected);
    let topics = kafka["topics"].as_array().context("topics")?;
    let names: Vec<&str> = topics.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "__consumer_offsets",
            "kf_events_topic",
            "kf_logs_metric_topic",
            "kf_logs_topic",
            "kf_metrics_rollup_topic",
            "kf_metrics_topic",
            "kf_traces_errors_topic",
            "kf_traces_metric_topic",
            "kf_traces_topic",
            "logs_ingest_topic",
        ]
    );
    assert_eq!(topics[0]["internal"], true);
    for topic in &topics[1..] {
        let partitions = topic["partitions"].as_array().context("partitions")?;
        assert_eq!(partitions.len(), 12, "{}", topic["name"]);
        for (index, p) in partitions.iter().enumerate() {
            assert_eq!(p["partition"], index);
            assert_eq!(p["size_bytes"], 2_147_483_648u64, "the leader's log size");
            assert_eq!(p["replicas"].as_array().map(Vec::len), Some(1));
            assert_eq!(p["leader"], p["replicas"][0]);
        }
    }
    assert_eq!(kafka["reassignments"], serde_json::json!([]));
    assert_eq!(kafka["throttles"], serde_json::json!({"brokers": {}, "topics": {}}));
    let groups = kafka["consumer_groups"].as_array().context("groups")?;
    assert_eq!(groups.len(), 6);
    for group in groups {
        let partitions = group["partitions"].as_array().context("group partitions")?;
        assert_eq!(partitions.len(), 12, "{}", group["group"]);
        for p in partitions {
            let lag = p["end_offset"].as_i64().unwrap_or(0) - p["committed_offset"].as_i64().unwrap_or(0);
            assert_eq!(lag, 2000, "{group}");
        }
    }

    // The rig spreads nodes over three zones: +6 keeps the zones even.
    // Requests counted on a plan of its own (-v logs them).
    let live_plan = ok(live.kfscale(&["-v", "plan", "--config", config, "--nodes", "12", "--json"]));
    let live_text = assert_planner_pure(
        |args| live.kfscale(args),
        config,
        std::path::Path::new(snapshot_file),
        &["--nodes", "12"],
    )
    .await?;
    let plan: Value = serde_json::from_str(&live_text)?;
    let kafka_plan = &plan["kafka"];
    assert_eq!(
        kafka_plan["brokers_before"],
        serde_json::json!([100, 101, 102, 103, 104, 105])
    );
    assert_eq!(kafka_plan["brokers_after"].as_array().map(Vec::len), Some(12));
    let reassignment = &kafka_plan["reassignment"];
    // 108 replicas over 12 brokers: 9 each, so 6 x 9 = 54 move onto the new brokers, 2 GiB each.
    assert_eq!(reassignment["lower_bound"], 54, "{reassignment}");
    assert_eq!(reassignment["replicas_moved"], reassignment["lower_bound"]);
    assert_eq!(reassignment["bytes_moved"], 54 * 2_147_483_648u64);
    assert_eq!(reassignment["sizes_known"], true);

    let counts = request_counts(&String::from_utf8_lossy(&live_plan.stderr));
    eprintln!("Kafka requests of one plan on 6 brokers: {counts:?}");
    let per_broker = ["ApiVersions", "DescribeLogDirs", "DescribeConfigs", "ListGroups"];
    for api in per_broker {
        assert_eq!(counts.get(api), Some(&6), "{api}: {counts:?}");
    }
    for api in ["Metadata", "ListPartitionReassignments", "FindCoordinator"] {
        assert_eq!(counts.get(api), Some(&1), "{api}: {counts:?}");
    }
    for api in ["OffsetFetch", "ListOffsets"] {
        assert!((1..=6).contains(counts.get(api).unwrap_or(&0)), "{api}: {counts:?}");
    }
    assert_eq!(counts.len(), 9, "no other API: {counts:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn one_plan_costs_a_few_requests_per_broker() -> Result<()> {
    // The reference cluster: 9 brokers, the 9 topics, 6 groups (one per Pinot table).
    let live = live_cluster("kafka-count").await?;
    let fake = fake_kafka(&live, 9).await?;
    let config = live.write_config(&kafka_section(&live, &fake))?;
    let output = ok(live.kfscale(&["-v", "plan", "--config", config, "--nodes", "12", "--json"]));
    let counts = request_counts(&String::from_utf8_lossy(&output.stderr));
    eprintln!("Kafka requests of one plan on 9 brokers: {counts:?}");
    for api in ["ApiVersions", "DescribeLogDirs", "DescribeConfigs", "ListGroups"] {
        assert_eq!(counts.get(api), Some(&9), "{api}: {counts:?}");
    }
    for api in ["Metadata", "ListPartitionReassignments", "FindCoordinator"] {
        assert_eq!(counts.get(api), Some(&1), "{api}: {counts:?}");
    }
    for api in ["OffsetFetch", "ListOffsets"] {
        assert!((1..=9).contains(counts.get(api).unwrap_or(&0)), "{api}: {counts:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn moves_in_flight_throttles_and_errors_reach_the_plan() -> Result<()> {
    let live = live_cluster("kafka-live").await?;
    let fake = fake_kafka(&live, 6).await?;
    let config = live.write_config(&kafka_section(&live, &fake))?;

    // Someone started a move and left a throttle behind.
    let admin = crate::common::admin_of(&fake, &live.pods)?;
    let leader = admin
        .metadata()
        .await?
        .topics
        .iter()
        .find(|t| t.name == "kf_logs_topic")
        .context("topic")?
        .partitions[0]
        .replicas[0];
    let target = if leader == 105 { 100 } else { leader + 1 };
    let started = admin
        .alter_partition_reassignments(&[ReassignmentRequest {
            topic: "kf_logs_topic".into(),
            partition: 0,
            target: Some(vec![target]),
        }])
        .await?;
    kfscale_kafka::first_error(started)?;
    let set = admin
        .incremental_alter_configs(&[ConfigChange {
            resource: ConfigResource::Broker(target),
            name: "follower.replication.throttled.rate".into(),
            op: ConfigOp::Set("10485760".into()),
        }])
        .await?;
    kfscale_kafka::first_error(set)?;

    let output = live.kfscale(&["plan", "--config", config, "--nodes", "12"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a move in flight fails a pre-check:\n{text}"
    );
    assert!(
        text.contains("✗ FAIL  kafka-reassignments") && text.contains("kf_logs_topic-0"),
        "{text}"
    );
    assert!(text.contains("! warn  kafka-throttles"), "{text}");

    let cases = [
        // Nothing listens there.
        (
            {
                let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
                format!("kafka: {{bootstrap: [\"127.0.0.1:{port}\"], timeout_seconds: 5}}\n")
            },
            vec![
                "Kafka: cannot reach any bootstrap server",
                "fix: check that a Kafka broker listens on",
            ],
        ),
        (
            "kafka: {bootstrap: [\"kafka-0\"]}\n".to_string(),
            vec!["kafka.bootstrap[0]", "has no port", "fix: write it as host:port"],
        ),
        (
            "kafka: {port_forward: false}\n".to_string(),
            vec!["kafka.bootstrap is empty", "fix:"],
        ),
        // The default: a port-forward per broker pod. The rig's API server has no kubelet to
        // forward to, so this is the error an operator sees when the nodes are unreachable.
        (String::new(), vec!["port-forward", "kafka-kraft-broker-0", "fix:"]),
    ];
    for (kafka, expected) in cases {
        let config = live.write_config(&kafka)?;
        let output = live.kfscale(&["plan", "--config", config, "--nodes", "12"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        for needle in expected {
            assert!(stderr.contains(needle), "expected {needle:?}:\n{stderr}");
        }
    }
    Ok(())
}
