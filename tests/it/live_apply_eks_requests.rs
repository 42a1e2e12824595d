//! How often an EKS apply mutates the node group, counted by a proxy in front of moto (moto keeps
//! no counters): one UpdateNodegroupConfig per apply, and an apply killed while that request was in
//! flight re-sends it on resume with the same client request token, which EKS treats as the same
//! request. Single-AZ node groups (3 -> 4 nodes) keep the installs small.
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use kfscale_rig::wait;

use crate::common::customer::{Customer, step, succeeded};
use crate::common::customer_proxies::customer_through_eks_proxy;
use crate::common::eks_proxy::{DESCRIBE_NODEGROUP, UPDATE_NODEGROUP_CONFIG};

const WAIT: Duration = Duration::from_secs(120);

/// The handles the node-pool step recorded in the state file so far.
fn node_pool_handles(customer: &Customer) -> Result<serde_json::Value> {
    let state = customer.state()?;
    Ok(step(&state, "node_pool")
        .map(|s| s["handles"].clone())
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_eks_apply_sends_one_update_nodegroup_config() -> Result<()> {
    let (customer, proxy) = customer_through_eks_proxy("eks-count").await?;
    let config = customer.config_arg()?;
    let started = std::time::Instant::now();
    succeeded(
        customer.kfscale(&["apply", "--config", config, "--nodes", "4", "--auto-approve"]),
        "apply --nodes 4",
    )?;
    eprintln!("EKS apply 3 -> 4 took {:?}", started.elapsed());
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for request in proxy.requests() {
        *counts.entry(request.op).or_default() += 1;
    }
    eprintln!("EKS requests of one apply (plan included): {counts:?}");

    assert_eq!(proxy.count(UPDATE_NODEGROUP_CONFIG), 1, "{counts:?}");
    assert_eq!(proxy.forwarded(UPDATE_NODEGROUP_CONFIG), 1);
    ensure!(
        proxy.count(DESCRIBE_NODEGROUP) >= 2,
        "observed and waited on: {counts:?}"
    );
    let tokens = proxy.tokens();
    let handles = node_pool_handles(&customer)?;
    assert_eq!(tokens, [handles["request_token"].as_str().map(str::to_string)]);
    ensure!(
        tokens[0].as_deref().is_some_and(|t| t.starts_with("kfscale-")),
        "{tokens:?}"
    );
    ensure!(handles["update_id"].is_string(), "{handles}");
    assert_eq!(customer.eks_desired_size().await?, Some(4));
    Ok(())
}

/// Killed after recording its request token but before the answer to UpdateNodegroupConfig came
/// (the proxy swallows the request: it never reaches moto), the apply resumes by sending the
/// request again with the recorded token.
#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_eks_apply_resends_its_recorded_request_token() -> Result<()> {
    let (customer, proxy) = customer_through_eks_proxy("eks-token").await?;
    let config = customer.config_arg()?;
    proxy.swallow(UPDATE_NODEGROUP_CONFIG);
    let mut first = customer
        .command(&["apply", "--config", config, "--nodes", "4", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let in_flight = wait::until("UpdateNodegroupConfig in flight", WAIT, || {
        // Checked here, not in the future: the child cannot be borrowed by it.
        let exited = first.try_wait();
        let sent = proxy.count(UPDATE_NODEGROUP_CONFIG);
        async move {
            if let Some(status) = exited? {
                anyhow::bail!("apply ended ({status}) before it sent UpdateNodegroupConfig");
            }
            Ok(if sent == 0 {
                Err("not sent yet".to_string())
            } else {
                Ok(())
            })
        }
    })
    .await;
    first.kill()?;
    first.wait()?;
    in_flight?;
    let handles = node_pool_handles(&customer)?;
    let token = handles["request_token"]
        .as_str()
        .context("no token recorded")?
        .to_string();
    ensure!(handles.get("update_id").is_none(), "{handles}");
    assert_eq!(
        customer.eks_desired_size().await?,
        Some(3),
        "the swallowed request changed moto"
    );

    proxy.pass(UPDATE_NODEGROUP_CONFIG);
    succeeded(customer.kfscale(&["apply", "--config", config]), "the resumed apply")?;
    assert_eq!(proxy.tokens(), [Some(token.clone()), Some(token)]);
    assert_eq!(proxy.forwarded(UPDATE_NODEGROUP_CONFIG), 1, "moto got one update");
    assert_eq!(customer.eks_desired_size().await?, Some(4));
    wait::ready_nodes(
        &customer.rig.kube_client().await?,
        &customer.cluster.node_selector(),
        4,
        WAIT,
    )
    .await?;
    assert_eq!(customer.state()?["run"]["status"], "succeeded");
    Ok(())
}

/// Sets `kf_role=ingest` on the named nodes, as an operator does by hand with `kubectl label`.
async fn label_by_hand(customer: &Customer, nodes: &[String]) -> Result<()> {
    use k8s_openapi::api::core::v1::Node;
    let api: kube::Api<Node> = kube::Api::all(customer.rig.kube_client().await?);
    let patch = serde_json::json!({"metadata": {"labels": {"kf_role": "ingest"}}});
    for node in nodes {
        api.patch(
            node,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await?;
    }
    Ok(())
}

async fn pool_node_names(customer: &Customer) -> Result<Vec<String>> {
    use k8s_openapi::api::core::v1::Node;
    let api: kube::Api<Node> = kube::Api::all(customer.rig.kube_client().await?);
    let selector = customer.cluster.node_selector();
    let listed = api.list(&kube::api::ListParams::default().labels(&selector)).await?;
    Ok(listed.items.into_iter().filter_map(|n| n.metadata.name).collect())
}

/// The old nodes carry a label set by hand that the node group's template lacks: the resize
/// brings a node without it. The apply stops after the node-pool step, naming the new node and the
/// label; once the operator labels it, the re-run resumes without resizing again.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_node_unlike_the_old_stops_the_apply_and_the_rerun_does_not_resize_again() -> Result<()> {
    let (customer, proxy) = customer_through_eks_proxy("eks-alike").await?;
    let config = customer.config_arg()?;
    let old = pool_node_names(&customer).await?;
    assert_eq!(old.len(), 3, "{old:?}");
    label_by_hand(&customer, &old).await?;

    let refused = customer.kfscale(&["apply", "--config", config, "--nodes", "4", "--auto-approve"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    ensure!(
        !refused.status.success(),
        "the apply went past an unlike node:\n{stderr}"
    );
    let new: Vec<String> = pool_node_names(&customer)
        .await?
        .into_iter()
        .filter(|n| !old.contains(n))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    ensure!(
        stderr.contains(&new[0]) && stderr.contains("kf_role"),
        "the error names neither the new node nor the label:\n{stderr}"
    );
    assert_eq!(proxy.count(UPDATE_NODEGROUP_CONFIG), 1);
    let state = customer.state()?;
    assert_eq!(
        step(&state, "node_pool").map(|s| s["status"].clone()),
        Some("failed".into())
    );
    assert_eq!(
        step(&state, "helm_upgrade").map(|s| s["status"].clone()),
        Some("pending".into()),
        "nothing after the node pool ran: {state}"
    );

    label_by_hand(&customer, &new).await?;
    succeeded(
        customer.kfscale(&["apply", "--config", config]),
        "the re-run after labelling",
    )?;
    assert_eq!(proxy.count(UPDATE_NODEGROUP_CONFIG), 1, "the resize is not sent again");
    assert_eq!(customer.eks_desired_size().await?, Some(4));
    assert_eq!(customer.state()?["run"]["status"], "succeeded");
    // This kfscale.yaml has no `pinot:`, so the harness passed --skip-pinot: the record says so.
    let message = crate::common::customer::git_output(&customer.remote, &["log", "-1", "--format=%B", "main"])?;
    ensure!(
        message.contains("- pinot: REBALANCE SKIPPED by --skip-pinot"),
        "the record commit hides the skip:\n{message}"
    );
    Ok(())
}
