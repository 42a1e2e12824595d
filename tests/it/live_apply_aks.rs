//! `kfscale apply` on AKS, and on nodes kfscale does not add itself, end to end on the rig: the chart
//! on an agent pool of the rig's AKS fake (the daemon mirrors its machines into Ready Nodes labelled
//! `kubernetes.azure.com/agentpool`), the pool grown through ARM (one `AgentPools_CreateOrUpdate`,
//! counted by the fake), the values file rewritten, Helm upgraded, the result committed.
//!
//! The rig's agent pools are shared by every test on the rig: these tests run in the nextest group
//! `rig-aks-pools` (.config/nextest.toml, one at a time) and put the pools back to the seed's counts
//! and bounds when they end, failed or not ([`RestorePools`]).
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use kfscale_aks::{Aks, AksOptions, Cloud, Credentials, OperationState, PoolRef, scaled};
use kfscale_rig::{RigEnv, names, wait};
use serde_json::Value;

use crate::common::customer::{git_output, kfscale_command, path, read_state, step, succeeded};
use crate::live_apply_gke::{Installed, RestorePools, WAIT, delta, install_customer};

const RESOURCE_GROUP: &str = "kfscale-rig";
const CLUSTER: &str = "kfscale-rig-aks";
/// The seed's user pool: 3 Standard_D8s_v5 over zones 1-3, labelled kf_role=data, no autoscaler.
pub(crate) const KFUSE_POOL: &str = "kfuse";
pub(crate) const KFUSE_SEED: u32 = 3;
/// The seed's autoscaled pool: 3 nodes, bounds 1..3, no zones.
const AUTO_POOL: &str = "auto";
const AUTO_SEED: (u32, (u32, u32)) = (3, (1, 3));
pub(crate) const PUT: &str = "AgentPools_CreateOrUpdate";
/// The label AKS puts on a pool's nodes.
const AGENTPOOL_LABEL: &str = "kubernetes.azure.com/agentpool";
/// The label AKS puts on every node of the cluster (its node resource group).
const AKS_CLUSTER_LABEL: &str = "kubernetes.azure.com/cluster";
const AKS_CLUSTER_VALUE: &str = "MC_kfscale-rig_kfscale-rig-aks_eastus";

pub(crate) struct AksCustomer {
    pub(crate) rig: RigEnv,
    pub(crate) installed: Installed,
    // Last, so it runs after everything else of the test is dropped.
    _restore: RestorePools,
}

impl AksCustomer {
    pub(crate) fn kfscale(&self, args: &[&str]) -> Result<std::process::Output> {
        kfscale_command(&self.rig, args).output().context("running kfscale")
    }

    pub(crate) fn config(&self) -> Result<&str> {
        path(&self.installed.config)
    }
}

/// The chart in a namespace of the test's own, its pods on `pool`'s nodes, and a kfscale.yaml whose
/// `cluster:` section `cluster` writes (given the rig).
pub(crate) async fn aks_customer(
    prefix: &str,
    pool: &str,
    cluster: impl Fn(&RigEnv) -> Result<String>,
) -> Result<AksCustomer> {
    let rig = RigEnv::from_env()?;
    // An earlier run that died before its guard ran may have left a pool changed.
    restore_pools(&rig).await?;
    let id = names::unique(prefix);
    let restore = RestorePools {
        rig: rig.clone(),
        namespace: id.clone(),
        what: "the rig's AKS agent pools",
        restore: |rig| Box::pin(async move { restore_pools(&rig).await }),
    };
    let installed = install_customer(&rig, &id, (AGENTPOOL_LABEL, pool), &cluster(&rig)?).await?;
    Ok(AksCustomer {
        rig,
        installed,
        _restore: restore,
    })
}

/// `cluster.azure` for `pool` of the rig's AKS cluster, with the rig's token file.
pub(crate) fn azure_section(pool: &str) -> impl Fn(&RigEnv) -> Result<String> + '_ {
    move |rig| {
        Ok(format!(
            "cluster:\n  azure: {{subscription: {subscription}, resource_group: {RESOURCE_GROUP}, cluster: {CLUSTER}, pool: {pool}, endpoint: \"{endpoint}\", access_token_file: \"{token}\"}}\n",
            subscription = rig.get("KFSCALE_RIG_AKS_SUBSCRIPTION")?,
            endpoint = rig.get("KFSCALE_RIG_AKS_URL")?,
            token = rig.get("KFSCALE_RIG_AKS_TOKEN_FILE")?,
        ))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_grows_the_aks_pool_with_one_put_and_records_it() -> Result<()> {
    let live = aks_customer("aks-apply", KFUSE_POOL, azure_section(KFUSE_POOL)).await?;
    let config = live.config()?;
    let before = mutations(&live.rig).await?;
    let output = succeeded(
        live.kfscale(&["apply", "--config", config, "--nodes", "6", "--auto-approve"])?,
        "apply --nodes 6",
    )?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    for step in ["node_pool", "values_file", "helm_upgrade", "rollout", "record"] {
        ensure!(stderr.contains(&format!("• {step}")), "no {step} in:\n{stderr}");
    }

    // The pool: one PUT, nothing else changed; 6 machines over its 3 zones, all Ready nodes.
    assert_eq!(
        delta(&before, &mutations(&live.rig).await?),
        BTreeMap::from([(PUT.to_string(), 1)])
    );
    let found = arm(&live.rig)?.agent_pool(&pool_ref(&live.rig, KFUSE_POOL)?).await?;
    assert_eq!((found.count, found.provisioning_state.as_str()), (6, "Succeeded"));
    wait::ready_nodes(&live.rig.kube_client().await?, &pool_selector(KFUSE_POOL), 6, WAIT).await?;

    // The run: every step finished; the pool step kept the PUT's operation.
    let state = read_state(&live.installed.customer.repo)?;
    assert_eq!(state["run"]["status"], "succeeded", "{state}");
    let node_pool = step(&state, "node_pool").context("node_pool")?;
    assert_eq!(node_pool["status"], "done", "{node_pool}");
    let operation = node_pool["handles"]["async_operation"]
        .as_str()
        .context("no operation")?;
    ensure!(
        operation.starts_with(live.rig.get("KFSCALE_RIG_AKS_URL")?.trim_end_matches('/')),
        "{operation}"
    );

    // The release and the record on the customer's remote.
    let release = live.installed.kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!((release.revision, release.status.as_str()), (2, "deployed"));
    let log = git_output(&live.installed.customer.remote, &["log", "-1", "--format=%s", "main"])?;
    ensure!(log.contains("from 3 to 6 nodes") && log.contains(KFUSE_POOL), "{log}");

    // Again: nothing to do, nothing sent.
    let again = succeeded(
        live.kfscale(&["apply", "--config", config, "--nodes", "6", "--auto-approve"])?,
        "the second apply",
    )?;
    let stdout = String::from_utf8_lossy(&again.stdout);
    ensure!(stdout.contains("No changes."), "{stdout}");
    assert_eq!(
        delta(&before, &mutations(&live.rig).await?),
        BTreeMap::from([(PUT.to_string(), 1)]),
        "the second apply changed the pool"
    );
    Ok(())
}

/// Beyond the autoscaler's max (3 -> 4 nodes) the bounds widen in the same PUT; an apply killed (-9) once it
/// recorded the PUT's operation resumes by following that operation, and the PUT is sent once.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_aks_apply_follows_its_recorded_operation_and_puts_once() -> Result<()> {
    let live = aks_customer("aks-resume", AUTO_POOL, azure_section(AUTO_POOL)).await?;
    let config = live.config()?;
    let before = mutations(&live.rig).await?;
    let repo = live.installed.customer.repo.clone();

    let mut first = kfscale_command(
        &live.rig,
        &["apply", "--config", config, "--nodes", "4", "--auto-approve"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()?;
    let recorded = wait::until("the PUT's operation in the state file", WAIT, || {
        // Checked here, not in the future: the child cannot be borrowed by it.
        let exited = first.try_wait();
        let handles = node_pool_handles(&repo);
        async move {
            if let Some(status) = exited? {
                anyhow::bail!("apply ended ({status}) before it recorded the PUT's operation");
            }
            Ok(match handles["async_operation"].as_str() {
                Some(url) => Ok(url.to_string()),
                None => Err(format!("handles {handles}")),
            })
        }
    })
    .await;
    // SIGKILL: no handler runs, the lock and the state stay as the process left them.
    first.kill()?;
    first.wait()?;
    let recorded = recorded?;

    let resumed = succeeded(live.kfscale(&["apply", "--config", config])?, "the resumed apply")?;
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    ensure!(
        stderr.contains(&format!("resuming: following the PUT's operation {recorded}")),
        "the recorded operation was not followed:\n{stderr}"
    );
    assert_eq!(
        delta(&before, &mutations(&live.rig).await?),
        BTreeMap::from([(PUT.to_string(), 1)]),
        "a resumed apply sent the PUT again"
    );
    let found = arm(&live.rig)?.agent_pool(&pool_ref(&live.rig, AUTO_POOL)?).await?;
    assert_eq!(
        (found.count, found.min_count, found.max_count),
        (4, Some(1), Some(4)),
        "the max rose to the new count"
    );
    wait::ready_nodes(&live.rig.kube_client().await?, &pool_selector(AUTO_POOL), 4, WAIT).await?;
    let state = read_state(&repo)?;
    assert_eq!(state["run"]["status"], "succeeded", "{state}");
    assert_eq!(node_pool_handles(&repo)["async_operation"], recorded.as_str());
    Ok(())
}

/// `cluster.external`: the plan says kfscale adds no node; the apply waits in its node-pool step
/// until the nodes matching the selector are there (added here through ARM, as another tool would),
/// and sends nothing to any cloud itself.
#[tokio::test(flavor = "multi_thread")]
async fn an_external_pool_is_waited_for_and_never_resized_by_kfscale() -> Result<()> {
    let external = |_: &RigEnv| {
        Ok(format!(
            "cluster:\n  external: {{node_selector: {{kf_role: data, {AKS_CLUSTER_LABEL}: {AKS_CLUSTER_VALUE}}}}}\n"
        ))
    };
    let live = aks_customer("aks-external", KFUSE_POOL, external).await?;
    let config = live.config()?;
    let before = mutations(&live.rig).await?;
    let repo = live.installed.customer.repo.clone();

    let plan = succeeded(live.kfscale(&["plan", "--config", config, "--nodes", "6"])?, "plan")?;
    let shown = String::from_utf8_lossy(&plan.stdout);
    ensure!(
        shown.contains("kfscale does not add these nodes: add 3 node(s)"),
        "{shown}"
    );

    let apply = kfscale_command(
        &live.rig,
        &["apply", "--config", config, "--nodes", "6", "--auto-approve"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()?;
    wait::until("the node-pool step waiting", WAIT, || {
        let status = read_state(&repo)
            .ok()
            .and_then(|state| step(&state, "node_pool").map(|s| s["status"].clone()));
        async move {
            Ok(match status {
                Some(status) if status == "running" => Ok(()),
                other => Err(format!("node_pool {other:?}")),
            })
        }
    })
    .await?;
    // The other tool adds the nodes.
    scale(&live.rig, KFUSE_POOL, 6, None).await?;
    let output = succeeded(apply.wait_with_output()?, "the external apply")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(stderr.contains("6 Ready nodes match"), "{stderr}");
    assert_eq!(
        delta(&before, &mutations(&live.rig).await?),
        BTreeMap::from([(PUT.to_string(), 1)]),
        "only the test's own PUT: kfscale resized nothing"
    );
    let state = read_state(&repo)?;
    assert_eq!(state["run"]["status"], "succeeded", "{state}");
    let node_pool = step(&state, "node_pool").context("node_pool")?;
    assert_eq!(node_pool["observed"]["ready_nodes"], 6, "{node_pool}");
    Ok(())
}

/// The handles the node-pool step has recorded in the state file so far (Null before any).
fn node_pool_handles(repo: &std::path::Path) -> Value {
    read_state(repo)
        .ok()
        .and_then(|state| step(&state, "node_pool").map(|s| s["handles"].clone()))
        .unwrap_or_default()
}

pub(crate) fn pool_selector(pool: &str) -> String {
    format!("{AGENTPOOL_LABEL}={pool},{AKS_CLUSTER_LABEL}={AKS_CLUSTER_VALUE}")
}

/// An ARM client of the rig's AKS fake (the fake takes any bearer token).
pub(crate) fn arm(rig: &RigEnv) -> Result<Aks> {
    Ok(Aks::connect(AksOptions {
        endpoint: Some(rig.get("KFSCALE_RIG_AKS_URL")?.to_string()),
        cloud: Cloud::Public,
        credentials: Credentials::AccessToken("kfscale-rig-test".into()),
        call_timeout: Duration::from_secs(10),
    })?)
}

pub(crate) fn pool_ref(rig: &RigEnv, pool: &str) -> Result<PoolRef> {
    Ok(PoolRef {
        subscription: rig.get("KFSCALE_RIG_AKS_SUBSCRIPTION")?.to_string(),
        resource_group: RESOURCE_GROUP.into(),
        cluster: CLUSTER.into(),
        pool: pool.into(),
    })
}

/// PUTs `pool` at `count` (and autoscaler `bounds`), as `az aks nodepool scale` does, and waits for
/// its operation to succeed.
async fn scale(rig: &RigEnv, pool: &str, count: u32, bounds: Option<(u32, u32)>) -> Result<()> {
    let (aks, pool) = (arm(rig)?, pool_ref(rig, pool)?);
    let found = aks.agent_pool(&pool).await?;
    let accepted = aks
        .put_agent_pool(&pool, &scaled(&found, count, bounds), found.etag.as_deref())
        .await?;
    let Some(url) = accepted.async_operation else {
        return Ok(());
    };
    let (aks, pool, url) = (&aks, &pool, url.as_str());
    wait::until(&format!("the PUT of {pool} to end"), WAIT, || async move {
        let status = aks.operation(pool, url).await?;
        Ok(match status.state {
            OperationState::Succeeded => Ok(()),
            _ if status.is_done() => anyhow::bail!("the PUT of {pool} ended {}", status.status),
            _ => Err(status.status),
        })
    })
    .await
}

/// The fake's mutations by ARM operation id.
pub(crate) async fn mutations(rig: &RigEnv) -> Result<BTreeMap<String, u64>> {
    let url = format!("{}/mutations", rig.get("KFSCALE_RIG_AKS_CONTROL")?);
    Ok(reqwest::get(&url).await?.error_for_status()?.json().await?)
}

/// Clears the fake's faults, puts `kfuse` and `auto` back to the seed's counts and bounds (each only
/// when it differs), and waits for the seed's Ready nodes.
async fn restore_pools(rig: &RigEnv) -> Result<()> {
    let faults = format!("{}/faults", rig.get("KFSCALE_RIG_AKS_CONTROL")?);
    reqwest::Client::new()
        .delete(&faults)
        .send()
        .await?
        .error_for_status()?;
    let aks = arm(rig)?;
    let kfuse = aks.agent_pool(&pool_ref(rig, KFUSE_POOL)?).await?;
    if kfuse.count != KFUSE_SEED {
        scale(rig, KFUSE_POOL, KFUSE_SEED, None).await?;
    }
    let auto = aks.agent_pool(&pool_ref(rig, AUTO_POOL)?).await?;
    let (count, bounds) = AUTO_SEED;
    if (auto.count, auto.min_count.zip(auto.max_count)) != (count, Some(bounds)) {
        scale(rig, AUTO_POOL, count, Some(bounds)).await?;
    }
    let client = rig.kube_client().await?;
    wait::ready_nodes(&client, &pool_selector(KFUSE_POOL), KFUSE_SEED as usize, WAIT).await?;
    wait::ready_nodes(&client, &pool_selector(AUTO_POOL), count as usize, WAIT).await?;
    Ok(())
}
