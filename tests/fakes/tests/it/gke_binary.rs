//! `fake-gke` as the rig runs it: a seed file, port 0, one JSON line of addresses on stdout, a clean
//! exit on SIGTERM.
use serde_json::{Value, json};

use crate::fake_process::FakeProcess;

#[tokio::test]
async fn the_binary_prints_its_addresses_and_serves_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    let body = json!({
        "project": "p1",
        "clusters": [{"name": "c1", "location": "europe-west4-a",
                      "nodePools": [{"name": "np", "machineType": "n2-standard-8", "initialNodeCount": 4}]}]
    });
    std::fs::write(&seed, body.to_string()).unwrap();
    let fake = FakeProcess::start(env!("CARGO_BIN_EXE_fake-gke"), &seed, &[]);
    let addresses = &fake.addresses;
    assert_eq!(addresses["fake"], "gke");
    let api = addresses["api"].as_str().unwrap();
    assert!(api.starts_with("http://127.0.0.1:") && api.ends_with('/'));
    let pool: Value = reqwest::Client::new()
        .get(format!(
            "{api}v1/projects/p1/locations/europe-west4-a/clusters/c1/nodePools/np"
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pool["initialNodeCount"], 4);
    let pools: Value = reqwest::get(format!("{}/pools", addresses["control"].as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pools[0]["zones"], json!({"europe-west4-a": 4}));
    fake.terminate();
}
