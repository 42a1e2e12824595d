//! The rig's GKE fake for tests and the sandbox: pool sizes, a resize through the container API, and
//! a `gcloud` pointed at the fake.
//!
//! The rig's fake (tests/rig/services.d/55-fake-gke.sh, seed tests/rig/seeds/gke.json) is shared by
//! every test on the rig: a test that resizes one of its pools puts it back when done.
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::{RigEnv, wait};

/// The seeded regional cluster (us-central1, zones a/b/c) and its pool (2 n2-standard-8 per zone).
pub const REGIONAL_CLUSTER: &str = "kfscale-rig";
pub const REGIONAL_LOCATION: &str = "us-central1";
pub const REGIONAL_POOL: &str = "kfuse-pool";
/// The seeded zonal cluster (us-central1-f) and its autoscaled pool (3 e2-standard-4, 1..6).
pub const ZONAL_CLUSTER: &str = "kfscale-rig-zonal";
pub const ZONAL_LOCATION: &str = "us-central1-f";
pub const ZONAL_POOL: &str = "zonal-pool";

fn http() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building an HTTP client")
}

/// The size per zone of a pool of the rig's fake now (the instance groups' `targetSize`).
pub async fn pool_sizes(rig: &RigEnv, cluster: &str, pool: &str) -> Result<BTreeMap<String, u32>> {
    let url = format!("{}/pools", rig.get("KFSCALE_RIG_GKE_CONTROL")?);
    let pools: Vec<Value> = http()?.get(&url).send().await?.error_for_status()?.json().await?;
    let found = pools
        .iter()
        .find(|p| p["cluster"] == cluster && p["pool"] == pool)
        .with_context(|| format!("the GKE fake has no pool {cluster}/{pool}"))?;
    serde_json::from_value(found["zones"].clone()).context("pool sizes")
}

/// A container API request to the rig's fake, with its token: `path` after the API base (`v1/...`).
pub async fn api(rig: &RigEnv, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<(u16, Value)> {
    let url = format!("{}{path}", rig.get("KFSCALE_RIG_GKE_URL")?);
    let token = std::fs::read_to_string(rig.get("KFSCALE_RIG_GKE_TOKEN_FILE")?)?;
    let mut request = http()?.request(method, &url).bearer_auth(token.trim());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.with_context(|| url.clone())?;
    let code = response.status().as_u16();
    let text = response.text().await?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((code, value))
}

/// Sets a pool's size per zone through `nodePools.setSize` and waits until the operation is DONE.
pub async fn set_size(rig: &RigEnv, location: &str, cluster: &str, pool: &str, per_zone: u32) -> Result<()> {
    mutate(
        rig,
        location,
        cluster,
        pool,
        "setSize",
        json!({ "nodeCount": per_zone }),
    )
    .await
}

/// Sets a pool's per-zone autoscaling bounds through `nodePools.setAutoscaling` (enabled) and waits
/// until the operation is DONE.
pub async fn set_autoscaling(
    rig: &RigEnv,
    location: &str,
    cluster: &str,
    pool: &str,
    min: u32,
    max: u32,
) -> Result<()> {
    let body = json!({ "autoscaling": { "enabled": true, "minNodeCount": min, "maxNodeCount": max } });
    mutate(rig, location, cluster, pool, "setAutoscaling", body).await
}

/// A pool's autoscaling settings now, as the API answers them (`null` without autoscaling).
pub async fn autoscaling(rig: &RigEnv, location: &str, cluster: &str, pool: &str) -> Result<Value> {
    let project = rig.get("KFSCALE_RIG_GKE_PROJECT")?;
    let path = format!("v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}");
    let (code, found) = api(rig, reqwest::Method::GET, &path, None).await?;
    if code != 200 {
        bail!("nodePools.get {cluster}/{pool}: HTTP {code}: {found}");
    }
    Ok(found["autoscaling"].clone())
}

/// `POST .../nodePools/{pool}:{verb}`, sent again while another operation runs on the cluster (400
/// FAILED_PRECONDITION: the fake changed nothing), then its operation followed to DONE.
async fn mutate(rig: &RigEnv, location: &str, cluster: &str, pool: &str, verb: &str, body: Value) -> Result<()> {
    let project = rig.get("KFSCALE_RIG_GKE_PROJECT")?;
    let path = format!("v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}:{verb}");
    let what = format!("{verb} {cluster}/{pool} {body}");
    let operation = wait::until(&what, Duration::from_secs(120), || async {
        let (code, answer) = api(rig, reqwest::Method::POST, &path, Some(body.clone())).await?;
        match code {
            200 => Ok(Ok(answer)),
            400 if answer["error"]["status"] == "FAILED_PRECONDITION" => Ok(Err(format!("HTTP 400: {answer}"))),
            _ => bail!("{what}: HTTP {code}: {answer}"),
        }
    })
    .await?;
    let name = operation["name"]
        .as_str()
        .with_context(|| format!("{verb} answered no operation name"))?;
    let path = format!("v1/projects/{project}/locations/{location}/operations/{name}");
    wait::until(&format!("operation {name}"), Duration::from_secs(120), || async {
        let (code, op) = api(rig, reqwest::Method::GET, &path, None).await?;
        Ok(match op["status"].as_str() {
            Some("DONE") if op.get("error").is_some() => return Err(anyhow::anyhow!("{name} failed: {op}")),
            Some("DONE") => Ok(()),
            _ => Err(format!("HTTP {code}: {}", op["status"])),
        })
    })
    .await
}

/// The real `gcloud`, pointed at the rig's fake: its own configuration in `config_dir`, the fake as
/// the container API endpoint, the rig's token file and project. Arguments are added by the caller.
pub fn gcloud(rig: &RigEnv, config_dir: &Path) -> Result<tokio::process::Command> {
    let mut command = tokio::process::Command::new("gcloud");
    command
        .env("CLOUDSDK_CONFIG", config_dir)
        .env(
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER",
            rig.get("KFSCALE_RIG_GKE_URL")?,
        )
        .env(
            "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
            rig.get("KFSCALE_RIG_GKE_TOKEN_FILE")?,
        )
        .env("CLOUDSDK_CORE_PROJECT", rig.get("KFSCALE_RIG_GKE_PROJECT")?)
        .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
        .env("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true")
        .env("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true")
        .env("CLOUDSDK_CORE_CHECK_GCE_METADATA", "false")
        .kill_on_drop(true);
    Ok(command)
}
