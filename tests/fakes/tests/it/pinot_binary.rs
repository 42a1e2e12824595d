//! `fake-pinot` as the rig runs it: a seed file, port 0, one JSON line of addresses on stdout, a clean
//! exit on SIGTERM.
use serde_json::{Value, json};

use crate::fake_process::FakeProcess;

#[tokio::test]
async fn the_binary_prints_its_addresses_and_serves_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    let body = json!({
        "namespace": "obs",
        "servers": [{"pod": "pinot-server-realtime-0"}, {"pod": "pinot-server-realtime-1"}],
        "tables": [{"name": "kf_events", "type": "REALTIME", "replication": 2, "partitions": 2, "completedSegmentsPerPartition": 1}],
        "timing": {"segmentLoadSeconds": 1.0}
    });
    std::fs::write(&seed, body.to_string()).unwrap();
    let fake = FakeProcess::start(env!("CARGO_BIN_EXE_fake-pinot"), &seed, &["--clock-speed", "10"]);
    let addresses = &fake.addresses;
    assert_eq!(addresses["fake"], "pinot");
    let api = addresses["api"].as_str().unwrap();
    assert!(api.starts_with("http://127.0.0.1:"));
    let tables: Value = reqwest::get(format!("{api}/tables"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tables, json!({"tables": ["kf_events"]}));
    let instances: Value = reqwest::get(format!("{api}/instances"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        instances["instances"][0],
        "Server_pinot-server-realtime-0.pinot-server-realtime-headless.obs.svc.cluster.local_8098"
    );
    let mutations: Value = reqwest::get(format!("{}/mutations", addresses["control"].as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mutations, json!({}));
    fake.terminate();
}
