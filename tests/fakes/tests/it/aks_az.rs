//! Conformance of the AKS fake with an independent real client: the Azure CLI (azure-cli 2.91.0 from
//! PyPI, installed by the rig in a venv of its own), pointed at the fake as a cloud of its own (`az
//! cloud register --endpoint-resource-manager`, which reads the fake's `/metadata/endpoints`), over
//! HTTPS with a certificate made here (az sends bearer tokens only over TLS), logged in with `az login
//! --identity` through the fake's App Service-style managed-identity endpoint. az parses the fake's
//! JSON with its generated containerservice models, follows the `Azure-AsyncOperation` URL itself
//! (azure-core's ARM poller, honouring `Retry-After`) and reports ARM's error bodies, so what passes
//! here is what az accepts.
//!
//! A missing az fails these tests: they never skip.
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use kfscale_fakes::aks::{AksFake, IDENTITY_HEADER, TlsOptions};
use kfscale_fakes::clock::ModelClock;
use serde_json::{Value, json};

use crate::aks_common::{Arm, seed};

const PUT: &str = "AgentPools_CreateOrUpdate";

fn az_path() -> PathBuf {
    std::env::var_os("KFSCALE_AZ").map(PathBuf::from).unwrap_or_else(|| {
        panic!("KFSCALE_AZ must name the az binary: run the tests through scripts/test (the rig installs azure-cli)")
    })
}

/// A fake served over HTTPS too, and an az with a private configuration logged in to it.
struct Setup {
    fake: AksFake,
    az: Arc<Az>,
    _dir: tempfile::TempDir,
}

struct Az {
    binary: PathBuf,
    config: PathBuf,
    cert: PathBuf,
    identity: String,
}

impl Az {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.binary)
            .args(args)
            .env("AZURE_CONFIG_DIR", &self.config)
            .env("REQUESTS_CA_BUNDLE", &self.cert)
            .env("IDENTITY_ENDPOINT", &self.identity)
            .env("IDENTITY_HEADER", IDENTITY_HEADER)
            .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
            .env("AZURE_CORE_NO_COLOR", "true")
            .env("AZURE_CORE_SURVEY_MESSAGE", "false")
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.binary.display()))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs az off the async runtime, so the fake keeps serving while az waits.
async fn az(az: &Arc<Az>, args: &[&str]) -> Output {
    let az = az.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || az.run(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

async fn ok_json(setup: &Setup, args: &[&str]) -> Value {
    let output = az(&setup.az, args).await;
    assert!(
        output.status.success(),
        "az {args:?} failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("az {args:?}: {e}: {}", text(&output.stdout)))
}

async fn setup(operation_seconds: f64, clock: ModelClock) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl makes the fake's certificate");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let tls = TlsOptions {
        port: 0,
        cert: cert.clone(),
        key,
    };
    let fake = AksFake::start_with(&seed(operation_seconds), 0, Some(tls), clock)
        .await
        .unwrap();
    let cli = Arc::new(Az {
        binary: az_path(),
        config: dir.path().join("az"),
        cert,
        identity: fake.identity_url(),
    });
    let setup = Setup {
        fake,
        az: cli,
        _dir: dir,
    };
    let arm = setup.fake.tls_api_url().unwrap();
    for args in [
        vec![
            "cloud",
            "register",
            "--name",
            "KfscaleFake",
            "--endpoint-resource-manager",
            arm.trim_end_matches('/'),
        ],
        vec!["cloud", "set", "--name", "KfscaleFake"],
    ] {
        let output = az(&setup.az, &args).await;
        assert!(output.status.success(), "az {args:?}: {}", text(&output.stderr));
    }
    let accounts = ok_json(&setup, &["login", "--identity", "-o", "json"]).await;
    assert_eq!(accounts[0]["id"], crate::aks_common::SUBSCRIPTION);
    assert_eq!(accounts[0]["environmentName"], "KfscaleFake");
    setup
}

const POOL: [&str; 6] = ["-g", "kfuse-rg", "--cluster-name", "kfuse", "-o", "json"];

fn args<'a>(command: &[&'a str], pool: &'a str) -> Vec<&'a str> {
    let mut all = command.to_vec();
    all.extend(POOL);
    all.extend(["-n", pool]);
    all
}

#[tokio::test]
async fn az_shows_what_the_api_serves_and_scales_through_the_async_operation() {
    let setup = setup(2.0, ModelClock::new(1.0)).await;
    let shown = ok_json(&setup, &args(&["aks", "nodepool", "show"], "kfuse")).await;
    let served = Arm::new(&setup.fake.api_url()).get(&Arm::pool_path("kfuse")).await.body;
    for (az_field, rest_field) in [
        ("count", "count"),
        ("vmSize", "vmSize"),
        ("availabilityZones", "availabilityZones"),
        ("nodeLabels", "nodeLabels"),
        ("nodeTaints", "nodeTaints"),
        ("provisioningState", "provisioningState"),
        ("eTag", "eTag"),
        ("enableAutoScaling", "enableAutoScaling"),
    ] {
        assert_eq!(shown[az_field], served["properties"][rest_field], "{az_field}");
    }
    assert_eq!(shown["id"], served["id"]);

    let scaled = ok_json(
        &setup,
        &[
            &args(&["aks", "nodepool", "scale"], "kfuse")[..],
            &["--node-count", "5"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(
        (scaled["count"].as_u64(), scaled["provisioningState"].as_str()),
        (Some(5), Some("Succeeded"))
    );
    assert_eq!(setup.fake.mutations()[PUT], 1);
    let pool = setup.fake.pool("kfuse", "kfuse").unwrap();
    assert_eq!((pool.nodes, pool.provisioning_state.as_str()), (5, "Succeeded"));
    // az followed the operation's URL until it succeeded, then read the pool.
    let requests = setup.fake.requests();
    let polled: Vec<&str> = requests
        .iter()
        .filter(|r| r.operation_id == "AsyncOperation_Get")
        .filter_map(|r| r.status.as_deref())
        .collect();
    assert_eq!(polled.first(), Some(&"InProgress"), "{polled:?}");
    assert_eq!(polled.last(), Some(&"Succeeded"), "{polled:?}");
    assert_eq!(requests.last().unwrap().operation_id, "AgentPools_Get");

    let updated = ok_json(
        &setup,
        &[
            &args(&["aks", "nodepool", "update"], "auto")[..],
            &["--update-cluster-autoscaler", "--min-count", "1", "--max-count", "8"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(
        (updated["minCount"].as_u64(), updated["maxCount"].as_u64()),
        (Some(1), Some(8))
    );
    let auto = setup.fake.pool("kfuse", "auto").unwrap();
    assert_eq!(
        (auto.enable_auto_scaling, auto.min_count, auto.max_count),
        (true, Some(1), Some(8))
    );
    setup.fake.stop().await;
}

#[tokio::test]
async fn az_rides_out_throttling_and_reports_a_failed_operation() {
    let setup = setup(1.0, ModelClock::new(1.0)).await;
    setup.fake.add_fault(
        serde_json::from_value(
            json!({"kind": "http_error", "method": PUT, "code": 429, "retry_after_seconds": 1, "count": 1}),
        )
        .unwrap(),
    );
    let scaled = ok_json(
        &setup,
        &[
            &args(&["aks", "nodepool", "scale"], "kfuse")[..],
            &["--node-count", "4"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(scaled["count"], 4);
    assert_eq!(setup.fake.mutations()[PUT], 2, "the throttled PUT and az's retry");

    setup
        .fake
        .add_fault(serde_json::from_value(json!({"kind": "operation_error", "count": 1})).unwrap());
    let failed = az(
        &setup.az,
        &[
            &args(&["aks", "nodepool", "scale"], "kfuse")[..],
            &["--node-count", "6"],
        ]
        .concat(),
    )
    .await;
    assert!(!failed.status.success());
    let stderr = text(&failed.stderr);
    assert!(stderr.contains("QuotaExceeded"), "{stderr}");
    assert_eq!(setup.fake.pool("kfuse", "kfuse").unwrap().provisioning_state, "Failed");
    setup.fake.stop().await;
}

#[tokio::test]
async fn az_reports_another_operation_in_progress() {
    // A frozen clock: the first operation runs until the test says otherwise.
    let setup = setup(30.0, ModelClock::new(0.0)).await;
    let arm = Arm::new(&setup.fake.api_url());
    assert_eq!(arm.update_pool("auto", json!({"count": 3})).await.status, 200);
    let busy = az(
        &setup.az,
        &[
            &args(&["aks", "nodepool", "scale"], "kfuse")[..],
            &["--node-count", "4"],
        ]
        .concat(),
    )
    .await;
    assert!(!busy.status.success());
    let stderr = text(&busy.stderr);
    assert!(
        stderr.contains("OperationNotAllowed") && stderr.contains("Another operation (Updating) is in progress"),
        "{stderr}"
    );
    assert_eq!(setup.fake.pool("kfuse", "kfuse").unwrap().count, 3);
    setup.fake.stop().await;
}
