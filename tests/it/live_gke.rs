//! `kfscale snapshot` and `kfscale plan` on a GKE node pool: a GKE fake (in-process, clock frozen) with
//! a regional pool of 2 nodes per zone over three zones, its Nodes on the rig's API server (labelled
//! `cloud.google.com/gke-nodepool`, one zone each, Ready), and the chart installed on them.
//!
//! The Nodes are made here with kube-rs the way the rig's provisioner makes them (tests/rig/src/nodes),
//! under a source kind of this test's own, so the rig daemon leaves them alone.
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::Node;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{GkeFake, Seed};
use kfscale_rig::nodes::object;
use kfscale_rig::nodes::source::{Placement, PoolSource, PoolSpec};
use kfscale_rig::{RigEnv, git, helm::Helm, wait};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::common::customer::run_git;

const PROJECT: &str = "kfscale-test";
const LOCATION: &str = "us-central1";
const ZONES: [&str; 3] = ["us-central1-a", "us-central1-b", "us-central1-c"];
const POOL_LABEL: &str = "cloud.google.com/gke-nodepool";
const PER_ZONE: u32 = 2;

struct Live {
    rig: RigEnv,
    id: String,
    pool: String,
    gke: GkeFake,
    config: PathBuf,
    nodes: Vec<String>,
    _kafka: crate::common::KafkaForCluster,
}

/// The test's stand-in for the rig's GKE pool source: it only shapes the Node objects.
struct TestGkeNodes;

impl PoolSource for TestGkeNodes {
    fn kind(&self) -> &'static str {
        "gke-test"
    }

    fn pool_label(&self) -> &'static str {
        POOL_LABEL
    }

    fn provider_id(&self, pool: &PoolSpec, zone: &str, node_name: &str) -> String {
        format!("gce://{}/{zone}/{node_name}", pool.project)
    }

    fn pools(&self) -> Pin<Box<dyn Future<Output = Result<Vec<PoolSpec>>> + Send + '_>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

async fn live_gke(prefix: &str) -> Result<Live> {
    let rig = RigEnv::from_env()?;
    let id = kfscale_rig::names::unique(prefix);
    let pool = format!("{id}-pool");
    let scratch = rig.run_dir()?.join("tests").join(format!("{id}-kfscale"));
    std::fs::create_dir_all(&scratch)?;
    let remote = git::seeded_remote(&rig, &id)?;
    run_git(&scratch, &["clone", "-q", remote.to_str().context("path")?, "customer"])?;

    let gke = GkeFake::start(&seed(&id, &pool)?, 0, ModelClock::new(0.0)).await?;
    let nodes = ready_nodes(&rig, &id, &pool).await?;
    install_chart(&rig, &id, &pool, &scratch).await?;
    let kafka = crate::common::kafka_for(&rig, &id).await?;

    let token = scratch.join("gke-token");
    std::fs::write(&token, "kfscale-test-token\n")?;
    let config = scratch.join("kfscale.yaml");
    std::fs::write(
        &config,
        format!(
            "cluster:\n  gcp: {{project: {PROJECT}, location: {LOCATION}, cluster: {id}, pool: {pool}, endpoint: \"{endpoint}\", access_token_file: gke-token}}\n\
             kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
             helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
             values: {{file: customer/values.yaml}}\n\
             git: {{repo: customer, branch: main}}\n\
             profile: {{base: kraft}}\n\
             {kafka}",
            kafka = kafka.config_section(),
            endpoint = gke.api_url(),
            kubeconfig = rig.get("KUBECONFIG")?,
            chart = rig.get("KFSCALE_RIG_CHART")?,
            helm = rig.get("KFSCALE_RIG_HELM")?,
        ),
    )?;
    Ok(Live {
        rig,
        id,
        pool,
        gke,
        config,
        nodes,
        _kafka: kafka,
    })
}

/// A regional cluster `id` with `pool` (2 n2-standard-8 per zone, the one with Nodes) and an
/// autoscaled `<pool>-auto` (1 per zone, bounds 1..3 per zone) that is only read.
fn seed(id: &str, pool: &str) -> Result<Seed> {
    Ok(serde_json::from_value(json!({
        "project": PROJECT,
        "clusters": [{
            "name": id,
            "location": LOCATION,
            "locations": ZONES,
            "nodePools": [
                {"name": pool, "machineType": "n2-standard-8", "initialNodeCount": PER_ZONE,
                 "labels": {"kf_role": "data"}},
                {"name": format!("{pool}-auto"), "machineType": "e2-standard-4", "initialNodeCount": 1,
                 "autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 3}}
            ]
        }]
    }))?)
}

/// The pool's machines as Nodes, registered, untainted and Ready, round robin over the zones.
async fn ready_nodes(rig: &RigEnv, id: &str, pool: &str) -> Result<Vec<String>> {
    let client = rig.kube_client().await?;
    let api: Api<Node> = Api::all(client.clone());
    let spec = PoolSpec {
        project: PROJECT.to_string(),
        cluster: id.to_string(),
        name: pool.to_string(),
        instance_type: "n2-standard-8".into(),
        region: Some(LOCATION.to_string()),
        labels: [("kf_role".to_string(), "data".to_string())].into(),
        taints: Vec::new(),
        placement: Placement::PerZone(ZONES.iter().map(|z| (z.to_string(), PER_ZONE)).collect()),
    };
    let mut names = Vec::new();
    for machine in spec.machines() {
        let body = object::registering_node(&TestGkeNodes, &spec, &machine);
        let node: Node = serde_json::from_value(body)?;
        let name = node.metadata.name.clone().context("node name")?;
        api.create(&PostParams::default(), &node).await?;
        api.patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(object::pool_taints(&spec)),
        )
        .await?;
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(object::ready_status()))
            .await?;
        names.push(name);
    }
    wait::ready_nodes(
        &client,
        &format!("{POOL_LABEL}={pool}"),
        names.len(),
        Duration::from_secs(60),
    )
    .await?;
    Ok(names)
}

/// The chart at 3.4.0 with its pods pinned to the pool.
async fn install_chart(rig: &RigEnv, id: &str, pool: &str, scratch: &Path) -> Result<()> {
    let placement = scratch.join("placement.yaml");
    std::fs::write(
        &placement,
        json!({"global": {"nodeSelector": {POOL_LABEL: pool}}}).to_string(),
    )?;
    let values = scratch.join("customer").join("values.yaml");
    Helm::from_rig(rig)?
        .install_kfuse(
            rig.get("KFSCALE_RIG_CHART")?,
            "3.4.0",
            id,
            &[values.to_str().context("path")?, placement.to_str().context("path")?],
            "5m",
        )
        .await?;
    Ok(())
}

impl Live {
    /// Removes the Nodes this test made (the rig's daemon does not own them).
    async fn remove_nodes(&self) -> Result<()> {
        let api: Api<Node> = Api::all(self.rig.kube_client().await?);
        for name in &self.nodes {
            api.delete(name, &DeleteParams::default()).await?;
        }
        Ok(())
    }
}

fn kfscale(rig: &RigEnv, args: &[&str]) -> Output {
    kfscale_with(rig, args, |_| {})
}

fn kfscale_with(rig: &RigEnv, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
    command
        .args(args)
        .args(crate::common::customer::skips_pinot(args).then_some("--skip-pinot"))
        .envs(rig.vars())
        .env("NO_COLOR", "1");
    adjust(&mut command);
    command.output().expect("run kfscale")
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "kfscale failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// API requests the fake received since `from`, by method id.
fn requests_since(gke: &GkeFake, from: usize) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for request in &gke.requests()[from..] {
        *counts.entry(request.api_method.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gke_pool_grows_per_zone() -> Result<()> {
    let live = live_gke("gke").await?;
    let config = live.config.to_str().context("path")?;
    let snapshot_file = live.config.with_file_name("snapshot.json");
    let snapshot_path = snapshot_file.to_str().context("path")?;

    ok(kfscale(
        &live.rig,
        &["snapshot", "--config", config, "-o", snapshot_path],
    ));
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&snapshot_file)?)?;
    assert_eq!(
        snapshot["node_pool"],
        json!({
            "provider": "gke", "project": PROJECT, "location": LOCATION, "cluster": live.id, "pool": live.pool,
            "status": "RUNNING", "locations": ZONES, "node_count_per_zone": PER_ZONE,
            "machine_type": "n2-standard-8"
        })
    );
    let pool_nodes = snapshot["kubernetes"]["nodes"]
        .as_array()
        .context("nodes")?
        .iter()
        .filter(|n| n["pool"] == live.pool.as_str())
        .count();
    assert_eq!(pool_nodes, 6);

    let before = live.gke.requests().len();
    let from_cluster = ok(kfscale(
        &live.rig,
        &["plan", "--config", config, "--nodes", "12", "--json"],
    ));
    let counts = requests_since(&live.gke, before);
    eprintln!("GKE requests of one plan: {counts:?}");
    assert_eq!(
        counts,
        [
            ("container.projects.locations.clusters.nodePools.get".to_string(), 1),
            ("compute.instanceGroupManagers.get".to_string(), 3),
        ]
        .into()
    );
    let plan = crate::common::plan_of(&from_cluster.stdout)?;
    let node_pool = &plan["node_pool"];
    assert_eq!(node_pool["provider"], "gcp");
    assert_eq!(
        node_pool["before"],
        json!({"provider": "gke", "per_zone": 2, "zones": 3})
    );
    assert_eq!(
        node_pool["after"],
        json!({"provider": "gke", "per_zone": 4, "zones": 3})
    );
    assert_eq!(
        node_pool["zones"],
        json!([["us-central1-a", 2], ["us-central1-b", 2], ["us-central1-c", 2]])
    );
    let ready = plan["prechecks"]
        .as_array()
        .context("prechecks")?
        .iter()
        .find(|c| c["id"] == "pool-nodes-ready")
        .context("pool-nodes-ready")?;
    assert_eq!(ready["status"], "pass", "{ready}");

    let from_file = ok(kfscale(
        &live.rig,
        &[
            "plan",
            "--snapshot",
            snapshot_path,
            "--config",
            config,
            "--nodes",
            "12",
            "--json",
        ],
    ));
    // The live plan also carries the Helm pre-flight, which only a live plan can run.
    assert_eq!(
        crate::common::pretty(&crate::common::plan_text(&String::from_utf8(from_file.stdout)?)?)?,
        crate::common::pretty(&crate::common::without_live_only_checks(&crate::common::plan_text(
            &String::from_utf8(from_cluster.stdout)?
        )?)?)?,
        "the planner is pure: a plan from the snapshot equals the live plan"
    );

    // A total the three zones cannot share becomes the nearest one they can, and the plan says so.
    let uneven = kfscale(&live.rig, &["plan", "--config", config, "--nodes", "10", "--json"]);
    let stderr = String::from_utf8_lossy(&uneven.stderr);
    assert_eq!(uneven.status.code(), Some(0), "{stderr}");
    let uneven = crate::common::plan_of(&uneven.stdout)?;
    assert_eq!(uneven["to_nodes"], 9);
    assert_eq!(
        uneven["node_pool"]["after"],
        json!({"provider": "gke", "per_zone": 3, "zones": 3})
    );
    let notes = uneven["node_pool"]["notes"].to_string();
    assert!(notes.contains("per zone") && notes.contains("takes 9"), "{notes}");
    assert!(live.gke.mutations().is_empty(), "a plan changes nothing");

    // The autoscaled pool's bounds (per zone) are observed too.
    let original = std::fs::read_to_string(&live.config)?;
    std::fs::write(
        &live.config,
        original.replace(&format!("pool: {}", live.pool), &format!("pool: {}-auto", live.pool)),
    )?;
    ok(kfscale(
        &live.rig,
        &["snapshot", "--config", config, "-o", snapshot_path],
    ));
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&snapshot_file)?)?;
    assert_eq!(
        snapshot["node_pool"]["autoscaling"],
        json!({"enabled": true, "min_node_count": 1, "max_node_count": 3,
               "total_min_node_count": 0, "total_max_node_count": 0})
    );
    assert_eq!(snapshot["node_pool"]["node_count_per_zone"], 1);
    assert_eq!(snapshot["node_pool"]["machine_type"], "e2-standard-4");
    live.remove_nodes().await?;
    live.gke.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn gke_errors_say_what_to_do() -> Result<()> {
    let live = live_gke("gke-errors").await?;
    let original = std::fs::read_to_string(&live.config)?;
    let config = live.config.to_str().context("path")?;
    let plan_args = ["plan", "--config", config, "--nodes", "12"];

    // A pool that does not exist.
    std::fs::write(
        &live.config,
        original.replace(&format!("pool: {}", live.pool), "pool: nope"),
    )?;
    let output = kfscale(&live.rig, &plan_args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("GKE container.projects.locations.clusters.nodePools.get on node pool nope")
            && stderr.contains("NOT_FOUND")
            && stderr.contains("fix: check cluster.gcp.project")
            && stderr.contains("cluster.gcp.pool in kfscale.yaml"),
        "{stderr}"
    );

    // No credentials at all: said at once, before any call (no metadata server wait).
    std::fs::write(&live.config, original.replace(", access_token_file: gke-token", ""))?;
    let home = tempfile::tempdir()?;
    let started = Instant::now();
    let output = kfscale_with(&live.rig, &plan_args, |command| {
        command
            .env("HOME", home.path())
            .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
            .env_remove("GCE_METADATA_HOST");
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(
        stderr.contains("GKE: no Google credentials")
            && stderr.contains("fix: run `gcloud auth application-default login`")
            && stderr.contains("GOOGLE_APPLICATION_CREDENTIALS"),
        "{stderr}"
    );

    // An endpoint nobody answers on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    std::fs::write(
        &live.config,
        original.replace(&live.gke.api_url(), &format!("http://127.0.0.1:{port}/")),
    )?;
    let output = kfscale(&live.rig, &plan_args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("UNREACHABLE") && stderr.contains("cluster.gcp.endpoint"),
        "{stderr}"
    );
    live.remove_nodes().await?;
    live.gke.stop().await;
    Ok(())
}
