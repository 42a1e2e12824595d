//! `kfscale snapshot` and `kfscale plan` against a live cluster on the rig (Kubernetes, Helm's
//! release record, EKS through moto, git). The planner is pure: a plan from the snapshot file is
//! byte-identical to the live plan.
use std::path::PathBuf;
use std::process::{Command, Output};

use anyhow::{Context, Result};
use kfscale_rig::{RigEnv, cluster, git};

use crate::common::assert_planner_pure;
use crate::common::customer::run_git;

struct Live {
    rig: RigEnv,
    _kafka: crate::common::KafkaForCluster,
    cluster: cluster::TestCluster,
    config: PathBuf,
    customer: PathBuf,
}

/// A 6-node cluster with the chart installed from the customer's clone, and its kfscale.yaml.
async fn live_cluster(prefix: &str) -> Result<Live> {
    let rig = RigEnv::from_env()?;
    let name = kfscale_rig::names::unique(prefix);
    let remote = git::seeded_remote(&rig, &name)?;
    // In the rig's run directory, so it goes away with the rig.
    let scratch = rig.run_dir()?.join("tests").join(format!("{name}-kfscale"));
    std::fs::create_dir_all(&scratch)?;
    let customer = scratch.join("customer");
    run_git(&scratch, &["clone", "-q", remote.to_str().context("path")?, "customer"])?;
    let values = customer.join("values.yaml");
    let cluster = cluster::install(&rig, prefix, 6, values.to_str().context("path")?, "3.4.0").await?;
    let kafka = crate::common::kafka_for(&rig, &cluster.id).await?;
    let config = scratch.join("kfscale.yaml");
    std::fs::write(
        &config,
        kafka.config_section()
            + &format!(
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
            ),
    )?;
    Ok(Live {
        rig,
        _kafka: kafka,
        cluster,
        config,
        customer,
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

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_from_the_snapshot_equals_the_live_plan() -> Result<()> {
    let live = live_cluster("plan").await?;
    let config = live.config.to_str().context("path")?;
    let snapshot = live.config.with_file_name("snapshot.json");
    let output = ok(kfscale(
        &live.rig,
        &["snapshot", "--config", config, "-o", snapshot.to_str().context("path")?],
    ));
    let progress = String::from_utf8_lossy(&output.stderr);
    for system in ["node pool", "kubernetes", "values file", "kafka"] {
        assert!(
            progress.contains(&format!("observing {system} ... done in")),
            "{progress}"
        );
    }
    // The rig spreads nodes over three zones: +6 keeps the zones even.
    let live_text = assert_planner_pure(|args| kfscale(&live.rig, args), config, &snapshot, &["--nodes", "12"]).await?;
    let plan: serde_json::Value = serde_json::from_str(&live_text)?;
    assert_eq!(plan["from_nodes"], 6);
    assert_eq!(plan["release"]["chart_version"], "3.4.0");
    assert_eq!(plan["to_nodes"], 12);
    assert_eq!(plan["node_pool"]["after"]["desired"], 12);

    let snapshot: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&snapshot)?)?;
    assert_eq!(snapshot["helm"]["revision"], 1);
    assert_eq!(snapshot["kubernetes"]["kfuse_version"], "3.4.0");
    assert_eq!(snapshot["node_pool"]["desired_size"], 6);
    assert_eq!(snapshot["values"]["git"]["uncommitted_changes"], false);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_and_uncommitted_edits_are_reported() -> Result<()> {
    let live = live_cluster("drift").await?;
    let config = live.config.to_str().context("path")?;
    // Someone scales a workload by hand and edits the values file without committing it.
    let kube = live.rig.kube_client().await?;
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::namespaced(kube, &live.cluster.id);
    let patch = serde_json::json!({"spec": {"replicas": 8}});
    deployments
        .patch(
            "ingester",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await?;
    let values = live.customer.join("values.yaml");
    let text = std::fs::read_to_string(&values)?;
    std::fs::write(&values, text.replacen("numNodes: 6", "numNodes: 6 # edited", 1))?;

    let output = kfscale(&live.rig, &["plan", "--config", config, "--nodes", "12"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("! warn  workload-drift") && text.contains("ingester (file 6, cluster 8)"),
        "{text}"
    );
    assert!(
        text.contains("! warn  values-committed") && text.contains("uncommitted edits"),
        "{text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_errors_say_what_to_do() -> Result<()> {
    let live = live_cluster("errors").await?;
    let original = std::fs::read_to_string(&live.config)?;
    let cases = [
        (
            original.replace(&format!("nodegroup: {}", live.cluster.nodegroup), "nodegroup: nope"),
            "ResourceNotFoundException",
        ),
        (
            original.replace(live.rig.get("AWS_ENDPOINT_URL_EKS")?, "http://127.0.0.1:9"),
            "check the network path to EKS",
        ),
        (
            original.replace("release: kfuse", "release: nope"),
            "release nope not found in namespace",
        ),
        (
            original.replace(live.rig.get("KUBECONFIG")?, "/nonexistent/kubeconfig"),
            "/nonexistent/kubeconfig",
        ),
        (
            original.replace("customer/values.yaml", "customer/missing.yaml"),
            "missing.yaml",
        ),
    ];
    for (config, expected) in cases {
        std::fs::write(&live.config, &config)?;
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
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains("fix:"),
            "expected {expected:?}:\n{stderr}"
        );
    }
    Ok(())
}

/// A sparse customer file: the seed file without `query-service`, which then runs at the chart's
/// default (3). The plan reads the default from Helm's release record, adds the key with the scaled
/// count (`+`), the apply's upgrade runs the file, and the Deployment grows.
#[tokio::test(flavor = "multi_thread")]
async fn a_replica_count_the_file_leaves_out_is_added_and_the_workload_scales() -> Result<()> {
    use crate::common::customer::{CustomerSpec, customer_cluster, git_output};
    let customer = customer_cluster(CustomerSpec {
        prefix: "sparse",
        values_without: &["query-service:       {replicaCount: 3}"],
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;
    let plan = customer.kfscale(&["plan", "--config", config, "--nodes", "12"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let added = text
        .lines()
        .find(|line| line.trim_start().starts_with("+ query-service.replicaCount"))
        .unwrap_or_else(|| panic!("no added query-service line:\n{text}"));
    assert!(
        added.contains("(3) -> 6") && added.contains("scale: 3 × 12/6 = 6"),
        "{added}"
    );
    assert!(
        text.lines().any(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words
                .windows(5)
                .any(|w| w == ["query-service", "Deployment", "3", "->", "6"])
        }),
        "the workload's fate is listed:\n{text}"
    );

    let output = customer.kfscale(&["apply", "--config", config, "--nodes", "12", "--auto-approve"]);
    assert!(
        output.status.success(),
        "apply failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let kube = kfscale_kube::Kube::connect(
        Some(std::path::Path::new(customer.rig.get("KUBECONFIG")?)),
        None,
        &customer.cluster.id,
    )
    .await?;
    let workloads = kube.workloads().await?;
    let query = workloads
        .iter()
        .find(|w| w.name == "query-service")
        .context("query-service")?;
    assert_eq!((query.replicas, query.ready_replicas), (6, 6));
    let release = kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!(release.revision, 2, "one upgrade");
    assert_eq!(release.user_values["query-service"]["replicaCount"], 6);
    // Recorded: the file on the customer's remote has the key, in the file's own style.
    let values = git_output(&customer.remote, &["show", "main:values.yaml"])?;
    assert!(values.contains("\nquery-service:\n  replicaCount: 6\n"), "{values}");
    Ok(())
}
