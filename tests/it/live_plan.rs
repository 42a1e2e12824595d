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
