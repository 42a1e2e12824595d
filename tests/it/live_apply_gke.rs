//! `kfscale apply` on GKE, end to end on the rig: the chart on the rig's zonal pool (3
//! e2-standard-4 in us-central1-f, autoscaling 1..6 per zone; the daemon mirrors it into Ready
//! Nodes), grown through the rig's GKE fake, the values file rewritten, Helm upgraded, and the
//! result committed to the customer's remote. The fake's mutation counters show how often the pool
//! was changed.
//!
//! The zonal pool is shared by every test on the rig: these tests run in the nextest group
//! `rig-gke-pools` (.config/nextest.toml, one at a time) and put the pool back to the seed's size
//! and bounds when they end, failed or not ([`RestorePools`]).
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kfscale_rig::gke::{self, ZONAL_CLUSTER, ZONAL_LOCATION, ZONAL_POOL};
use kfscale_rig::nodes::gke::NODEPOOL_LABEL;
use kfscale_rig::nodes::object::CLUSTER_LABEL;
use kfscale_rig::{RigEnv, helm::Helm, names, wait};
use kube::api::{Api, DeleteParams, ListParams};
use serde_json::{Value, json};

use kfscale_fakes::clock::ModelClock;

use crate::common::customer::{
    CustomerRepo, customer_repo, git_output, kfscale_command, path, read_state, step, succeeded,
};
use crate::common::pinot::{PinotForCluster, TABLES, pinot_for, seed_from_cluster};

/// The rig seed's zonal pool: size and per-zone autoscaling bounds.
pub(crate) const SEED_SIZE: u32 = 3;
const SEED_BOUNDS: (u32, u32) = (1, 6);
pub(crate) const SET_SIZE: &str = "container.projects.locations.clusters.nodePools.setSize";
pub(crate) const SET_AUTOSCALING: &str = "container.projects.locations.clusters.nodePools.setAutoscaling";
pub(crate) const WAIT: Duration = Duration::from_secs(120);

pub(crate) struct GkeCustomer {
    pub(crate) rig: RigEnv,
    pub(crate) customer: CustomerRepo,
    pub(crate) config: PathBuf,
    kube: kfscale_kube::Kube,
    pub(crate) kafka: crate::common::KafkaForCluster,
    pub(crate) pinot: PinotForCluster,
    // Last, so it runs after everything else of the test is dropped.
    _restore: RestorePools,
}

/// The chart (3.4.0, release `kfuse`) in a namespace of the test's own, its pods on the zonal
/// pool's nodes, and a kfscale.yaml for it: the rig's GKE fake, a Kafka fake following the
/// test's brokers, the customer repo with its remote.
pub(crate) async fn gke_customer(prefix: &str) -> Result<GkeCustomer> {
    let rig = RigEnv::from_env()?;
    // An earlier run that died before its guard ran may have left the pool changed.
    restore_zonal_pool(&rig).await?;
    let id = names::unique(prefix);
    let restore = RestorePools {
        rig: rig.clone(),
        namespace: id.clone(),
        what: "the rig's zonal GKE pool",
        restore: |rig| Box::pin(async move { restore_zonal_pool(&rig).await }),
    };
    wait::ready_nodes(&rig.kube_client().await?, &zonal_selector(), SEED_SIZE as usize, WAIT).await?;
    let cluster = format!(
        "cluster:\n  gcp: {{project: {project}, location: {ZONAL_LOCATION}, cluster: {ZONAL_CLUSTER}, pool: {ZONAL_POOL}, endpoint: \"{endpoint}\", access_token_file: \"{token}\"}}\n",
        project = rig.get("KFSCALE_RIG_GKE_PROJECT")?,
        endpoint = rig.get("KFSCALE_RIG_GKE_URL")?,
        token = rig.get("KFSCALE_RIG_GKE_TOKEN_FILE")?,
    );
    let installed = install_customer(&rig, &id, (NODEPOOL_LABEL, ZONAL_POOL), &cluster).await?;
    Ok(GkeCustomer {
        rig,
        customer: installed.customer,
        config: installed.config,
        kube: installed.kube,
        kafka: installed.kafka,
        pinot: installed.pinot,
        _restore: restore,
    })
}

/// A customer of the rig: the chart installed in namespace `id` on the nodes with `pin` (label,
/// value), the Kafka and Pinot fakes following it, and a kfscale.yaml with the `cluster` section given.
pub(crate) struct Installed {
    pub(crate) customer: CustomerRepo,
    pub(crate) config: PathBuf,
    pub(crate) kube: kfscale_kube::Kube,
    pub(crate) kafka: crate::common::KafkaForCluster,
    pub(crate) pinot: PinotForCluster,
}

/// The chart (3.4.0, release `kfuse`) in namespace `id`, its pods on the nodes labelled `pin`, and a
/// kfscale.yaml for it with `cluster` (a `cluster:` section): a Kafka fake following the test's
/// brokers, a Pinot fake, the customer repo with its remote.
pub(crate) async fn install_customer(rig: &RigEnv, id: &str, pin: (&str, &str), cluster: &str) -> Result<Installed> {
    let customer = customer_repo(rig, id, pin.0, pin.1)?;
    Helm::from_rig(rig)?
        .install_kfuse(
            rig.get("KFSCALE_RIG_CHART")?,
            "3.4.0",
            id,
            &[path(&customer.repo.join("values.yaml"))?],
            "5m",
        )
        .await?;
    // Replicas copy on a running clock (50 model seconds per second), so moves finish.
    let kafka = crate::common::kafka_for_with_clock(rig, id, ModelClock::new(50.0)).await?;
    let pinot = pinot_for(rig, &seed_from_cluster(rig, id, None).await?, 20.0).await?;
    let config = customer.scratch.join("kfscale.yaml");
    std::fs::write(
        &config,
        kafka.config_section()
            + &pinot.config_section("")
            + cluster
            + &format!(
                "kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
                 helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
                 values: {{file: customer/values.yaml}}\n\
                 git: {{repo: customer, branch: main, remote: origin}}\n\
                 profile: {{base: kraft}}\n\
                 state: {{dir: customer/.kfscale}}\n",
                kubeconfig = rig.get("KUBECONFIG")?,
                chart = rig.get("KFSCALE_RIG_CHART")?,
                helm = rig.get("KFSCALE_RIG_HELM")?,
            ),
    )?;
    let kube = kfscale_kube::Kube::connect(Some(std::path::Path::new(rig.get("KUBECONFIG")?)), None, id).await?;
    Ok(Installed {
        customer,
        config,
        kube,
        kafka,
        pinot,
    })
}

impl GkeCustomer {
    fn kfscale(&self, args: &[&str]) -> Result<std::process::Output> {
        kfscale_command(&self.rig, args).output().context("running kfscale")
    }
}

/// The handles the node-pool step has recorded in the state file so far (Null before any).
fn node_pool_handles(customer: &CustomerRepo) -> Value {
    read_state(&customer.repo)
        .ok()
        .and_then(|state| step(&state, "node_pool").map(|s| s["handles"].clone()))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_grows_the_gke_pool_by_one_node_and_records_it() -> Result<()> {
    let live = gke_customer("gke-apply").await?;
    let config = path(&live.config)?;
    let before = fake_counts(&live.rig, "mutations").await?;
    let requests_before = fake_counts(&live.rig, "requests").await?;
    let started = std::time::Instant::now();
    let output = succeeded(
        live.kfscale(&["apply", "--config", config, "--nodes", "4", "--auto-approve"])?,
        "apply --nodes 4",
    )?;
    eprintln!("apply 3 -> 4 took {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    for step in ["node_pool", "values_file", "helm_upgrade", "rollout", "record"] {
        ensure!(stderr.contains(&format!("• {step}")), "no {step} in:\n{stderr}");
    }

    // The pool: one setSize, nothing else changed; 4 nodes in its zone, all Ready.
    assert_eq!(
        delta(&before, &fake_counts(&live.rig, "mutations").await?),
        BTreeMap::from([(SET_SIZE.to_string(), 1)])
    );
    eprintln!(
        "GKE requests of the apply: {:?}",
        delta(&requests_before, &fake_counts(&live.rig, "requests").await?)
    );
    assert_eq!(
        gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?,
        BTreeMap::from([(ZONAL_LOCATION.to_string(), 4)])
    );
    wait::ready_nodes(&live.rig.kube_client().await?, &zonal_selector(), 4, WAIT).await?;

    // The run: every step finished; the pool step did the resize and kept its operation.
    let state = read_state(&live.customer.repo)?;
    assert_eq!(state["run"]["status"], "succeeded", "{state}");
    let steps = state["run"]["steps"].as_array().context("steps")?;
    ensure!(
        steps.iter().all(|s| s["status"] == "done" || s["status"] == "skipped"),
        "{steps:?}"
    );
    let node_pool = steps.iter().find(|s| s["name"] == "node_pool").context("node_pool")?;
    assert_eq!(node_pool["status"], "done", "{node_pool}");
    ensure!(node_pool["handles"]["resize_operation"].is_string(), "{node_pool}");
    ensure!(
        node_pool["handles"].get("autoscaling_operation").is_none(),
        "4 is within 1..6: the bounds stay: {node_pool}"
    );

    // Kafka balanced with the fewest moves, each sent once, nothing left in flight or throttled;
    // Pinot rebalanced once per planned table, every table GOOD.
    let reassignment = steps
        .iter()
        .find(|s| s["name"] == "kafka_reassignment")
        .context("kafka")?;
    let observed = &reassignment["observed"];
    assert_eq!(observed["replicas_moved"], observed["lower_bound"], "{reassignment}");
    let sent = live.kafka.reassignments_sent();
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");
    assert_eq!(
        sent.len(),
        reassignment["handles"]["moves"].as_array().map_or(0, Vec::len),
        "{reassignment}"
    );
    live.kafka.fake.with_cluster(|cluster| {
        let throttled = cluster
            .configs
            .brokers
            .values()
            .chain(cluster.configs.topics.values())
            .flat_map(|configs| configs.keys())
            .any(|key| key.contains("replication.throttled"));
        assert!(!throttled, "a replication throttle was left behind");
    });
    assert_eq!(
        live.pinot.mutations("rebalance"),
        2,
        "{:?}",
        live.pinot.fake.mutations()
    );
    for table in TABLES {
        let (_good, not_good, _servers) = live.pinot.table(table).await?;
        assert_eq!(not_good, 0, "{table} has segments not GOOD");
    }
    eprintln!(
        "GKE 3 -> 4: {} replica(s) moved (lower bound {}), Pinot mutations {:?}",
        observed["replicas_moved"],
        observed["lower_bound"],
        live.pinot.fake.mutations()
    );

    // The release and the record on the customer's remote.
    let release = live.kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!((release.revision, release.status.as_str()), (2, "deployed"));
    let remote = &live.customer.remote;
    let log = git_output(remote, &["log", "-1", "--format=%s", "main"])?;
    assert_eq!(
        log.trim(),
        format!(
            "kfscale: scale GKE node pool {ZONAL_POOL} (cluster {ZONAL_CLUSTER}, kfscale-rig/{ZONAL_LOCATION}) from 3 to 4 nodes"
        )
    );
    let values = git_output(remote, &["show", "main:values.yaml"])?;
    ensure!(values.contains("numNodes: 4 "), "{values}");
    assert_eq!(values, std::fs::read_to_string(live.customer.repo.join("values.yaml"))?);
    let files = git_output(remote, &["ls-tree", "-r", "--name-only", "main"])?;
    ensure!(files.contains(".kfscale/state.json"), "{files}");

    // Again: nothing to do, nothing done.
    let again = succeeded(
        live.kfscale(&["apply", "--config", config, "--nodes", "4", "--auto-approve"])?,
        "the second apply",
    )?;
    let stdout = String::from_utf8_lossy(&again.stdout);
    ensure!(stdout.contains("No changes."), "{stdout}");
    assert_eq!(
        delta(&before, &fake_counts(&live.rig, "mutations").await?),
        BTreeMap::from([(SET_SIZE.to_string(), 1)]),
        "the second apply changed the pool"
    );
    let release = live.kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!(release.revision, 2, "no second upgrade");
    Ok(())
}

/// Beyond the autoscaling max (6 per zone) the bounds widen first; an apply killed (-9) while the
/// resize runs resumes by polling both recorded operations and sends neither call again.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_gke_apply_resumes_by_polling_its_operations() -> Result<()> {
    let live = gke_customer("gke-resume").await?;
    let config = path(&live.config)?;
    let before = fake_counts(&live.rig, "mutations").await?;

    let mut first = kfscale_command(
        &live.rig,
        &["apply", "--config", config, "--nodes", "7", "--auto-approve"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()?;
    let recorded = wait::until("the resize operation in the state file", WAIT, || {
        // Checked here, not in the future: the child cannot be borrowed by it.
        let exited = first.try_wait();
        let handles = node_pool_handles(&live.customer);
        async move {
            if let Some(status) = exited? {
                anyhow::bail!("apply ended ({status}) before it recorded the resize");
            }
            Ok(match handles["resize_operation"].as_str() {
                Some(_) => Ok(handles),
                None => Err(format!("handles {handles}")),
            })
        }
    })
    .await;
    first.kill()?;
    first.wait()?;
    let recorded = recorded?;
    ensure!(recorded["autoscaling_operation"].is_string(), "{recorded}");

    let resumed = succeeded(live.kfscale(&["apply", "--config", config])?, "the resumed apply")?;
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    for call in ["setAutoscaling", "setSize"] {
        ensure!(
            stderr.contains(&format!("resuming: following {call} operation")),
            "{call} not followed:\n{stderr}"
        );
    }
    assert_eq!(
        delta(&before, &fake_counts(&live.rig, "mutations").await?),
        BTreeMap::from([(SET_AUTOSCALING.to_string(), 1), (SET_SIZE.to_string(), 1)]),
        "a resumed apply repeated a mutation"
    );
    assert_eq!(
        zonal_bounds(&live.rig).await?,
        Some((1, 7)),
        "max per zone widened to 7"
    );
    assert_eq!(
        gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?,
        BTreeMap::from([(ZONAL_LOCATION.to_string(), 7)])
    );
    wait::ready_nodes(&live.rig.kube_client().await?, &zonal_selector(), 7, WAIT).await?;
    let state = read_state(&live.customer.repo)?;
    assert_eq!(state["run"]["status"], "succeeded", "{state}");
    let node_pool = &state["run"]["steps"][0];
    assert_eq!(
        (node_pool["name"].as_str(), node_pool["status"].as_str()),
        (Some("node_pool"), Some("done"))
    );
    assert_eq!(
        node_pool["handles"], recorded,
        "the operations polled are the ones recorded"
    );
    Ok(())
}

/// GKE refuses the resize twice while "another operation" runs (400 FAILED_PRECONDITION): kfscale
/// waits and sends it again. Then the operation it got ends with an error (a stockout), which
/// changed nothing: the step fails naming the pool, the call and the fix, forgets the operation,
/// and the resumed apply resizes again.
#[tokio::test(flavor = "multi_thread")]
async fn a_busy_cluster_is_waited_out_and_a_failed_resize_is_sent_again() -> Result<()> {
    let live = gke_customer("gke-faults").await?;
    let config = path(&live.config)?;
    let before = fake_counts(&live.rig, "mutations").await?;
    add_fault(
        &live.rig,
        json!({"kind": "http_error", "method": SET_SIZE, "code": 400, "status": "FAILED_PRECONDITION",
               "message": "Cluster is running incompatible operation operation-0000-busy.", "count": 2}),
    )
    .await?;
    add_fault(&live.rig, json!({"kind": "operation_error", "count": 1})).await?;

    let failed = live.kfscale(&["apply", "--config", config, "--nodes", "4", "--auto-approve"])?;
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    for part in [
        "GKE setSize on node pool zonal-pool (cluster kfscale-rig-zonal",
        "ZONE_RESOURCE_POOL_EXHAUSTED",
        "it changed nothing",
        "fix: see `gcloud container operations describe",
    ] {
        ensure!(stderr.contains(part), "no {part:?} in:\n{stderr}");
    }
    let handles = node_pool_handles(&live.customer);
    ensure!(
        handles.get("resize_operation").is_none(),
        "a failed operation is forgotten: {handles}"
    );
    assert_eq!(
        gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?,
        BTreeMap::from([(ZONAL_LOCATION.to_string(), SEED_SIZE)])
    );

    succeeded(live.kfscale(&["apply", "--config", config])?, "the resumed apply")?;
    // Two refused, one whose operation failed, one that worked.
    assert_eq!(
        delta(&before, &fake_counts(&live.rig, "mutations").await?),
        BTreeMap::from([(SET_SIZE.to_string(), 4)])
    );
    assert_eq!(
        gke::pool_sizes(&live.rig, ZONAL_CLUSTER, ZONAL_POOL).await?,
        BTreeMap::from([(ZONAL_LOCATION.to_string(), 4)])
    );
    assert_eq!(read_state(&live.customer.repo)?["run"]["status"], "succeeded");
    Ok(())
}

/// When the test ends, also when it fails or panics: removes the test's namespace (its pods sit
/// on a shared pool's nodes and would crowd them), then puts the shared pools back with `restore`.
/// Drop cannot await, so this runs on a thread with a runtime of its own.
pub(crate) struct RestorePools {
    pub(crate) rig: RigEnv,
    pub(crate) namespace: String,
    /// What is put back, for the message when it cannot be.
    pub(crate) what: &'static str,
    pub(crate) restore: fn(RigEnv) -> Restoring,
}

/// A restore running: it owns what it needs, so the guard's thread can drive it.
pub(crate) type Restoring = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

impl Drop for RestorePools {
    fn drop(&mut self) {
        let (rig, namespace, restore) = (self.rig.clone(), self.namespace.clone(), self.restore);
        let restored = std::thread::spawn(move || -> Result<()> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(async {
                    remove_namespace(&rig, &namespace).await?;
                    restore(rig).await
                })
        })
        .join();
        match restored {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("could not put {} back: {err:#}", self.what),
            Err(_) => eprintln!("putting {} back panicked", self.what),
        }
    }
}

/// Deletes `namespace` and waits until its pods are gone.
async fn remove_namespace(rig: &RigEnv, namespace: &str) -> Result<()> {
    let client = rig.kube_client().await?;
    match Api::<Namespace>::all(client.clone())
        .delete(namespace, &DeleteParams::default())
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    let pods = Api::<Pod>::namespaced(client, namespace);
    wait::until(&format!("the pods of namespace {namespace} gone"), WAIT, || async {
        let left = pods.list(&ListParams::default()).await?.items.len();
        Ok(if left == 0 { Ok(()) } else { Err(format!("{left} pods")) })
    })
    .await
}

/// Injects a fault into the rig's GKE fake (README of tests/fakes, "GKE").
pub(crate) async fn add_fault(rig: &RigEnv, fault: Value) -> Result<()> {
    let url = format!("{}/faults", rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    reqwest::Client::new()
        .post(&url)
        .json(&fault)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Clears the fake's faults, then sets the seed's size (within any bounds an apply widened), then
/// the seed's bounds, each only when it differs, and waits for the seed's Ready nodes.
async fn restore_zonal_pool(rig: &RigEnv) -> Result<()> {
    // A fault a test injected and did not use up would hit the restore too.
    let faults = format!("{}/faults", rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    reqwest::Client::new()
        .delete(&faults)
        .send()
        .await?
        .error_for_status()?;
    let sizes = gke::pool_sizes(rig, ZONAL_CLUSTER, ZONAL_POOL).await?;
    if sizes.values().any(|size| *size != SEED_SIZE) {
        gke::set_size(rig, ZONAL_LOCATION, ZONAL_CLUSTER, ZONAL_POOL, SEED_SIZE).await?;
    }
    if zonal_bounds(rig).await? != Some(SEED_BOUNDS) {
        let (min, max) = SEED_BOUNDS;
        gke::set_autoscaling(rig, ZONAL_LOCATION, ZONAL_CLUSTER, ZONAL_POOL, min, max).await?;
    }
    wait::ready_nodes(&rig.kube_client().await?, &zonal_selector(), SEED_SIZE as usize, WAIT).await?;
    Ok(())
}

/// The zonal pool's per-zone autoscaling bounds (None: autoscaling off).
pub(crate) async fn zonal_bounds(rig: &RigEnv) -> Result<Option<(u32, u32)>> {
    let found = gke::autoscaling(rig, ZONAL_LOCATION, ZONAL_CLUSTER, ZONAL_POOL).await?;
    let count = |key: &str| found[key].as_u64().unwrap_or(0) as u32;
    Ok((found["enabled"] == true).then(|| (count("minNodeCount"), count("maxNodeCount"))))
}

/// The zonal pool's nodes (pool names may repeat across clusters on the rig).
pub(crate) fn zonal_selector() -> String {
    format!("{NODEPOOL_LABEL}={ZONAL_POOL},{CLUSTER_LABEL}={ZONAL_CLUSTER}")
}

/// The rig GKE fake's counts: `mutations` (by API method), or `requests` counted by API method.
pub(crate) async fn fake_counts(rig: &RigEnv, what: &str) -> Result<BTreeMap<String, u64>> {
    let url = format!("{}/{what}", rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    let answer: Value = reqwest::get(&url).await?.error_for_status()?.json().await?;
    if what == "mutations" {
        return Ok(serde_json::from_value(answer)?);
    }
    let mut counts = BTreeMap::new();
    for request in answer.as_array().context("requests")? {
        let method = request["api_method"]
            .as_str()
            .or_else(|| request["apiMethod"].as_str())
            .unwrap_or("?");
        *counts.entry(method.to_string()).or_default() += 1;
    }
    Ok(counts)
}

/// What grew from `before` to `after` (entries that did not change are left out).
pub(crate) fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter_map(|(key, now)| {
            let grown = now - before.get(key).copied().unwrap_or(0);
            (grown > 0).then(|| (key.clone(), grown))
        })
        .collect()
}
