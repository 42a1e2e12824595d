//! Conformance of the GKE fake with an independent real client: the `gcloud` CLI of the machine image
//! (Google Cloud SDK 528), pointed at the fake with `CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER` and
//! `--access-token-file`, with its own temporary `CLOUDSDK_CONFIG`. gcloud parses the fake's JSON with
//! its generated container v1 messages, polls operations itself (every 5 s of real time) and reports
//! errors from Google's error body, so what passes here is what gcloud accepts.
//!
//! A missing gcloud fails these tests: they never skip.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{Fault, GkeFake, Seed};
use serde_json::{Value, json};

const PROJECT: &str = "kfuse-project";
const SET_SIZE: &str = "container.projects.locations.clusters.nodePools.setSize";
const GET_OPERATION: &str = "container.projects.locations.operations.get";

fn gcloud_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join("gcloud")).find(|candidate| candidate.is_file()).unwrap_or_else(|| {
        panic!("gcloud is not on PATH: the GKE conformance suite needs the real gcloud CLI (Google Cloud SDK) installed")
    })
}

/// A gcloud with a private configuration directory and an access token, talking to `fake`.
struct Gcloud {
    binary: PathBuf,
    config: tempfile::TempDir,
    token: PathBuf,
    endpoint: String,
}

impl Gcloud {
    fn new(fake: &GkeFake) -> Gcloud {
        let config = tempfile::tempdir().unwrap();
        let token = config.path().join("token");
        std::fs::write(&token, "fake-access-token\n").unwrap();
        Gcloud {
            binary: gcloud_path(),
            config,
            token,
            endpoint: fake.api_url(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .arg("--project")
            .arg(PROJECT)
            .arg("--access-token-file")
            .arg(&self.token)
            .env("CLOUDSDK_CONFIG", self.config.path().join("gcloud"))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER", &self.endpoint)
            .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
            .env("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true")
            .env("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true")
            .env("CLOUDSDK_CORE_CHECK_GCE_METADATA", "false")
            .env_remove("CLOUDSDK_CORE_PROJECT");
        command
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.binary.display()))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs gcloud off the async runtime, so the fake keeps serving while gcloud waits.
async fn gcloud(gcloud: &std::sync::Arc<Gcloud>, args: &[&str]) -> Output {
    let gcloud = gcloud.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || gcloud.run(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

/// Waits (real time, bounded) until the fake has answered a request matching `wanted`.
async fn wait_for(fake: &GkeFake, what: &str, wanted: impl Fn(&kfscale_fakes::gke::RequestRecord) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !fake.requests().iter().any(&wanted) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; requests: {:#?}",
            fake.requests()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Moves the frozen model clock the way a resize needs, as gcloud polls: once gcloud has seen the
/// operation PENDING, into RUNNING; once it has seen it RUNNING, past DONE.
async fn drive_operation(fake: &GkeFake, clock: &ModelClock, get_operation: &str) {
    wait_for(fake, "gcloud to poll the PENDING operation", |r| {
        r.api_method == get_operation && r.status.as_deref() == Some("PENDING")
    })
    .await;
    clock.advance(Duration::from_secs(10));
    wait_for(fake, "gcloud to poll the RUNNING operation", |r| {
        r.api_method == get_operation && r.status.as_deref() == Some("RUNNING")
    })
    .await;
    clock.advance(Duration::from_secs(120));
}

async fn start(seed: &Seed) -> (GkeFake, ModelClock, std::sync::Arc<Gcloud>) {
    let clock = ModelClock::new(0.0);
    let fake = GkeFake::start(seed, 0, clock.clone()).await.unwrap();
    let gcloud = std::sync::Arc::new(Gcloud::new(&fake));
    (fake, clock, gcloud)
}

fn zonal_seed() -> Seed {
    serde_json::from_value(json!({
        "project": PROJECT,
        "clusters": [{"name": "zonal", "location": "us-east1-b",
                      "nodePools": [{"name": "default-pool", "machineType": "e2-standard-4", "initialNodeCount": 3,
                                     "autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 5},
                                     "taints": [{"key": "kf_role", "value": "query", "effect": "NO_SCHEDULE"}]}]}]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_pools_describe_shows_what_the_api_serves() {
    let (fake, _clock, gcloud) = start(&Seed::example()).await;
    let output = self::gcloud(
        &gcloud,
        &[
            "container",
            "node-pools",
            "describe",
            "kfuse-pool",
            "--cluster",
            "kfuse",
            "--region",
            "us-central1",
            "--format=json",
        ],
    )
    .await;
    assert!(output.status.success(), "gcloud failed:\n{}", text(&output.stderr));
    let described: Value = serde_json::from_slice(&output.stdout).expect("gcloud printed JSON");
    let log = fake.requests();
    let served: Value = reqwest::Client::new()
        .get(format!(
            "{}v1/projects/{PROJECT}/locations/us-central1/clusters/kfuse/nodePools/kfuse-pool",
            fake.api_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        described, served,
        "gcloud's parse of the fake's NodePool loses or changes nothing"
    );
    assert_eq!(described["initialNodeCount"], 2);
    assert_eq!(
        described["locations"],
        json!(["us-central1-a", "us-central1-b", "us-central1-c"])
    );
    assert_eq!(described["config"]["machineType"], "n2-standard-16");
    assert_eq!(log.len(), 1, "describe is one GET: {log:#?}");
    assert_eq!(
        log[0].path,
        format!("/v1/projects/{PROJECT}/locations/us-central1/clusters/kfuse/nodePools/kfuse-pool")
    );
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_pools_describe_zonal_with_autoscaling_and_taints() {
    let (fake, _clock, gcloud) = start(&zonal_seed()).await;
    let args = [
        "container",
        "node-pools",
        "describe",
        "default-pool",
        "--cluster",
        "zonal",
        "--zone",
        "us-east1-b",
        "--format=json",
    ];
    let output = self::gcloud(&gcloud, &args).await;
    assert!(output.status.success(), "gcloud failed:\n{}", text(&output.stderr));
    let described: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        described["autoscaling"],
        json!({"enabled": true, "minNodeCount": 1, "maxNodeCount": 5, "locationPolicy": "BALANCED"})
    );
    assert_eq!(
        described["config"]["taints"],
        json!([{"key": "kf_role", "value": "query", "effect": "NO_SCHEDULE"}])
    );
    assert_eq!(described["locations"], json!(["us-east1-b"]));
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_resize_regional_sets_every_zone_and_polls_to_done() {
    let (fake, clock, gcloud) = start(&Seed::example()).await;
    let args = [
        "container",
        "clusters",
        "resize",
        "kfuse",
        "--node-pool",
        "kfuse-pool",
        "--num-nodes",
        "4",
        "--region",
        "us-central1",
        "--quiet",
    ];
    let (output, ()) = tokio::join!(
        self::gcloud(&gcloud, &args),
        drive_operation(&fake, &clock, GET_OPERATION)
    );
    assert!(
        output.status.success(),
        "gcloud resize failed:\n{}",
        text(&output.stderr)
    );
    let sizes = fake.pool_sizes("kfuse", "kfuse-pool").unwrap();
    assert_eq!(
        sizes.values().copied().collect::<Vec<_>>(),
        vec![4, 4, 4],
        "--num-nodes is per zone: {sizes:?}"
    );
    let log = fake.requests();
    let polled: Vec<&str> = log
        .iter()
        .filter(|r| r.api_method == GET_OPERATION)
        .filter_map(|r| r.status.as_deref())
        .collect();
    assert_eq!(polled.first(), Some(&"PENDING"));
    assert!(polled.contains(&"RUNNING"), "{polled:?}");
    assert_eq!(
        polled.last(),
        Some(&"DONE"),
        "gcloud polled the operation to DONE: {polled:?}"
    );
    assert_eq!(fake.mutations().get(SET_SIZE), Some(&1), "one setSize");
    assert!(text(&output.stderr).contains("Updated ["), "{}", text(&output.stderr));
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_resize_zonal() {
    let (fake, clock, gcloud) = start(&zonal_seed()).await;
    let args = [
        "container",
        "clusters",
        "resize",
        "zonal",
        "--node-pool",
        "default-pool",
        "--num-nodes",
        "5",
        "--zone",
        "us-east1-b",
        "--quiet",
    ];
    let (output, ()) = tokio::join!(
        self::gcloud(&gcloud, &args),
        drive_operation(&fake, &clock, GET_OPERATION)
    );
    assert!(
        output.status.success(),
        "gcloud resize failed:\n{}",
        text(&output.stderr)
    );
    assert_eq!(fake.pool_sizes("zonal", "default-pool").unwrap()["us-east1-b"], 5);
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcloud_reports_the_failed_precondition_of_a_busy_cluster() {
    let (fake, _clock, gcloud) = start(&Seed::example()).await;
    let busy = reqwest::Client::new()
        .post(format!(
            "{}v1/projects/{PROJECT}/locations/us-central1/clusters/kfuse/nodePools/kfuse-pool:setSize",
            fake.api_url()
        ))
        .bearer_auth("t")
        .json(&json!({"nodeCount": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status().as_u16(), 200);
    let args = [
        "container",
        "clusters",
        "resize",
        "kfuse",
        "--node-pool",
        "kfuse-pool",
        "--num-nodes",
        "4",
        "--region",
        "us-central1",
        "--quiet",
    ];
    let output = self::gcloud(&gcloud, &args).await;
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "gcloud should fail while an operation runs");
    assert!(
        stderr.contains("FAILED_PRECONDITION") && stderr.contains("incompatible operation"),
        "{stderr}"
    );
    assert_eq!(fake.mutations().get(SET_SIZE), Some(&2));
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcloud_reports_an_operation_that_ends_in_error() {
    let (fake, clock, gcloud) = start(&Seed::example()).await;
    fake.add_fault(Fault::OperationError {
        status: "RESOURCE_EXHAUSTED".into(),
        message: "ZONE_RESOURCE_POOL_EXHAUSTED: no n2-standard-16 left in us-central1-b".into(),
        count: Some(1),
    });
    let args = [
        "container",
        "clusters",
        "resize",
        "kfuse",
        "--node-pool",
        "kfuse-pool",
        "--num-nodes",
        "4",
        "--region",
        "us-central1",
        "--quiet",
    ];
    let (output, ()) = tokio::join!(
        self::gcloud(&gcloud, &args),
        drive_operation(&fake, &clock, GET_OPERATION)
    );
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "gcloud should report the failed operation");
    assert!(
        stderr.contains("finished with error") && stderr.contains("ZONE_RESOURCE_POOL_EXHAUSTED"),
        "{stderr}"
    );
    assert!(
        fake.pool_sizes("kfuse", "kfuse-pool")
            .unwrap()
            .values()
            .all(|&n| n == 2)
    );
    fake.stop().await;
}

#[test]
fn gcloud_is_installed() {
    let binary = gcloud_path();
    let output = Command::new(&binary)
        .arg("version")
        .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} version failed: {}",
        binary.display(),
        text(&output.stderr)
    );
    assert!(Path::new(&binary).exists());
}
