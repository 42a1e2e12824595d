//! Polling waits with a deadline, for tests and the sandbox.
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};

const TICK: Duration = Duration::from_millis(250);

/// Calls `probe` until it returns `Some`, failing after `timeout` with the last state it described.
/// `probe` returns `Ok(Err(description))` while not done, so a timeout says what was seen last.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<std::result::Result<T, String>>>,
{
    let start = Instant::now();
    loop {
        let last = match probe().await? {
            Ok(done) => {
                eprintln!("waited {:?} for {what}", start.elapsed());
                return Ok(done);
            }
            Err(state) => state,
        };
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Waits until exactly `count` nodes match `selector` and all of them are Ready.
pub async fn ready_nodes(client: &kube::Client, selector: &str, count: usize, timeout: Duration) -> Result<Vec<Node>> {
    let api: Api<Node> = Api::all(client.clone());
    until(&format!("{count} Ready nodes matching {selector}"), timeout, || async {
        let nodes = api.list(&ListParams::default().labels(selector)).await?.items;
        let ready = nodes.iter().filter(|n| crate::nodes::is_ready(n)).count();
        Ok(if nodes.len() == count && ready == count {
            Ok(nodes)
        } else {
            Err(format!("{} nodes, {ready} Ready", nodes.len()))
        })
    })
    .await
}

/// Whether a pod is Running with its Ready condition True.
pub fn pod_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
