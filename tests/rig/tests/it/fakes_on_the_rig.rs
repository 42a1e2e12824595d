//! The rig's Pinot, GKE and Grafana fakes (services.d/55-fake-gke.sh, 71-fake-pinot.sh,
//! 72-fake-grafana.sh): each answers after start.sh with its seed; the daemon mirrors every GKE pool into Ready Nodes (pool label, zones of
//! the pool, machine type capacity), and a resize by the real gcloud brings N Ready nodes per zone.
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::core::v1::Node;
use kfscale_rig::gke::{
    self, REGIONAL_CLUSTER, REGIONAL_LOCATION, REGIONAL_POOL, ZONAL_CLUSTER, ZONAL_LOCATION, ZONAL_POOL,
};
use kfscale_rig::nodes::gke::NODEPOOL_LABEL;
use kfscale_rig::nodes::object::CLUSTER_LABEL;
use kfscale_rig::{RigEnv, names, wait};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);
const TABLES: [&str; 6] = [
    "kf_events_REALTIME",
    "kf_logs_REALTIME",
    "kf_metrics_REALTIME",
    "kf_metrics_rollup_REALTIME",
    "kf_traces_REALTIME",
    "kf_traces_errors_REALTIME",
];

/// The selector of one GKE pool's nodes (pool names repeat across clusters).
fn selector(cluster: &str, pool: &str) -> String {
    format!("{NODEPOOL_LABEL}={pool},{CLUSTER_LABEL}={cluster}")
}

async fn get_json(url: &str) -> Result<Value> {
    let response = reqwest::get(url).await.with_context(|| url.to_owned())?;
    ensure!(response.status().is_success(), "GET {url}: HTTP {}", response.status());
    Ok(response.json().await?)
}

/// Ready nodes by zone; fails on a node without the GKE shape.
fn zones_of(nodes: &[Node], project: &str, machine_type: &str, cpus: &str) -> Result<BTreeMap<String, u32>> {
    let mut zones = BTreeMap::new();
    for node in nodes {
        let name = node.metadata.name.clone().unwrap_or_default();
        let labels = node.metadata.labels.clone().unwrap_or_default();
        let zone = labels.get("topology.kubernetes.io/zone").cloned().unwrap_or_default();
        ensure!(
            labels.get("node.kubernetes.io/instance-type").map(String::as_str) == Some(machine_type),
            "{name}: {labels:?}"
        );
        ensure!(
            labels.get("topology.kubernetes.io/region").map(String::as_str) == Some("us-central1"),
            "{name}: {labels:?}"
        );
        let provider_id = node
            .spec
            .as_ref()
            .and_then(|s| s.provider_id.clone())
            .unwrap_or_default();
        ensure!(
            provider_id == format!("gce://{project}/{zone}/{name}"),
            "{name}: {provider_id}"
        );
        let capacity = node
            .status
            .as_ref()
            .and_then(|s| s.capacity.clone())
            .unwrap_or_default();
        ensure!(
            capacity.get("cpu").map(|q| q.0.as_str()) == Some(cpus),
            "{name}: {capacity:?}"
        );
        *zones.entry(zone).or_default() += 1;
    }
    Ok(zones)
}

#[tokio::test(flavor = "multi_thread")]
async fn rig_pinot_serves_the_chart_tables_on_its_servers() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let api = rig.get("KFSCALE_RIG_PINOT_URL")?;
    let namespace = rig.get("KFSCALE_RIG_PINOT_NAMESPACE")?;
    let health = reqwest::get(format!("{api}/health")).await?.text().await?;
    assert_eq!(health, "OK");
    let tables = get_json(&format!("{api}/tables?type=REALTIME")).await?;
    let mut names: Vec<&str> = tables["tables"]
        .as_array()
        .context("tables")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    names.sort();
    assert_eq!(names, TABLES, "{tables}");
    // The chart's six realtime servers hold every table's segments (12 partitions x 3), and are tagged
    // for the tenant; whether they are live depends on pods in the sandbox namespace, not checked here.
    let servers: Vec<String> = (0..6)
        .map(|i| {
            format!(
                "Server_pinot-server-realtime-{i}.pinot-server-realtime-headless.{namespace}.svc.cluster.local_8098"
            )
        })
        .collect();
    let tagged = get_json(&format!("{api}/instances?tag=DefaultTenant_REALTIME")).await?;
    for server in &servers {
        assert!(
            tagged["instances"]
                .as_array()
                .context("instances")?
                .contains(&Value::from(server.as_str())),
            "{tagged}"
        );
    }
    let control = get_json(&format!("{}/tables", rig.get("KFSCALE_RIG_PINOT_CONTROL")?)).await?;
    for table in TABLES {
        let segments = &control[table]["segments"];
        let total: u64 = ["GOOD", "BAD", "UPDATING"]
            .iter()
            .map(|s| segments[s].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(total, 36, "{table}: {segments}");
        assert_eq!(control[table]["servers"], serde_json::json!(servers), "{table}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn rig_grafana_lists_its_rules_all_quiet() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let url = rig.get("KFSCALE_RIG_GRAFANA_URL")?;
    let body = get_json(&format!("{url}/api/prometheus/grafana/api/v1/rules")).await?;
    assert_eq!(body["status"], "success");
    let rules: Vec<&Value> = body["data"]["groups"]
        .as_array()
        .context("groups")?
        .iter()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .collect();
    ensure!(rules.len() == 4, "the seed's four rules: {body:#}");
    // Shared by every test on the rig: nothing may leave a rule firing.
    assert!(
        rules.iter().all(|r| r["state"] == "inactive" && r["health"] == "ok"),
        "{body:#}"
    );
    assert!(rig.get("KFSCALE_RIG_GRAFANA_CONTROL")?.ends_with("/_control"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn rig_gke_serves_its_pools_and_the_daemon_mirrors_them() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let project = rig.get("KFSCALE_RIG_GKE_PROJECT")?;
    let path =
        format!("v1/projects/{project}/locations/{ZONAL_LOCATION}/clusters/{ZONAL_CLUSTER}/nodePools/{ZONAL_POOL}");
    let (code, pool) = gke::api(&rig, reqwest::Method::GET, &path, None).await?;
    assert_eq!(code, 200, "{pool}");
    assert_eq!(pool["name"], ZONAL_POOL);
    assert_eq!(pool["config"]["machineType"], "e2-standard-4");
    assert_eq!(pool["autoscaling"]["enabled"], true);
    // Without the token the API refuses, as Google's front end does.
    let unauthenticated = reqwest::get(format!("{}{path}", rig.get("KFSCALE_RIG_GKE_URL")?)).await?;
    assert_eq!(unauthenticated.status().as_u16(), 401);

    // The zonal pool is only read by tests, so its size is the seed's: 3 e2-standard-4 in one zone.
    let nodes = wait::ready_nodes(&kube, &selector(ZONAL_CLUSTER, ZONAL_POOL), 3, WAIT).await?;
    let zones = zones_of(&nodes, project, "e2-standard-4", "4")?;
    assert_eq!(zones, BTreeMap::from([(ZONAL_LOCATION.to_owned(), 3)]));
    for node in &nodes {
        let labels = node.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get("cloud.google.com/machine-family").map(String::as_str),
            Some("e2")
        );
        let memory = node
            .status
            .as_ref()
            .and_then(|s| s.capacity.clone())
            .unwrap_or_default();
        assert_eq!(memory.get("memory").map(|q| q.0.as_str()), Some("16Gi"));
    }
    Ok(())
}

/// The real gcloud resizes the regional pool (`--num-nodes` is per zone): every zone ends with N
/// Ready nodes carrying the pool label. The pool is put back through the API afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn gcloud_resize_of_a_regional_pool_brings_n_ready_nodes_per_zone() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let project = rig.get("KFSCALE_RIG_GKE_PROJECT")?;
    let selector = selector(REGIONAL_CLUSTER, REGIONAL_POOL);
    let before = gke::pool_sizes(&rig, REGIONAL_CLUSTER, REGIONAL_POOL).await?;
    let zones: Vec<String> = before.keys().cloned().collect();
    assert_eq!(zones, ["us-central1-a", "us-central1-b", "us-central1-c"]);
    let per_zone = *before.values().max().context("no zones")?;
    ensure!(before.values().all(|n| *n == per_zone), "uneven pool: {before:?}");
    // A size it does not have, whatever an earlier run left.
    let target = if per_zone >= 3 { 1 } else { per_zone + 1 };
    wait::ready_nodes(&kube, &selector, (per_zone * 3) as usize, WAIT).await?;

    let scratch = rig.run_dir()?.join("tests").join(names::unique("gcloud"));
    std::fs::create_dir_all(&scratch)?;
    let out = gke::gcloud(&rig, &scratch.join("gcloud"))?
        .args([
            "container",
            "clusters",
            "resize",
            REGIONAL_CLUSTER,
            "--node-pool",
            REGIONAL_POOL,
        ])
        .args([
            "--num-nodes",
            &target.to_string(),
            "--region",
            REGIONAL_LOCATION,
            "--quiet",
        ])
        .output()
        .await
        .context("running gcloud (the rig tests need the Google Cloud SDK's gcloud on PATH)")?;
    ensure!(
        out.status.success(),
        "gcloud resize failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // gcloud returns once the operation is DONE, so the pool has its new size now.
    let after = gke::pool_sizes(&rig, REGIONAL_CLUSTER, REGIONAL_POOL).await?;
    assert!(after.values().all(|n| *n == target), "{after:?}");
    let nodes = wait::ready_nodes(&kube, &selector, (target * 3) as usize, WAIT).await?;
    let zones = zones_of(&nodes, project, "n2-standard-8", "8")?;
    assert_eq!(zones, zones_map(&before, target));
    for node in &nodes {
        let labels = node.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get(NODEPOOL_LABEL).map(String::as_str), Some(REGIONAL_POOL));
        assert_eq!(
            labels.get("kf_role").map(String::as_str),
            Some("data"),
            "the pool's labels"
        );
        let taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        assert!(taints.is_empty(), "not-ready taint left: {taints:?}");
    }

    // Leave the shared rig as found.
    gke::set_size(&rig, REGIONAL_LOCATION, REGIONAL_CLUSTER, REGIONAL_POOL, per_zone).await?;
    wait::ready_nodes(&kube, &selector, (per_zone * 3) as usize, WAIT).await?;
    Ok(())
}

fn zones_map(zones: &BTreeMap<String, u32>, per_zone: u32) -> BTreeMap<String, u32> {
    zones.keys().map(|z| (z.clone(), per_zone)).collect()
}
