//! `fake-aks` as the rig runs it: a seed file, port 0 (and HTTPS when asked), one JSON line of
//! addresses on stdout, a clean exit on SIGTERM.
use serde_json::{Value, json};

use crate::aks_common::{Arm, seed};
use crate::fake_process::FakeProcess;

#[tokio::test]
async fn the_binary_prints_its_addresses_and_serves_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, serde_json::to_string(&seed(5.0)).unwrap()).unwrap();
    let fake = FakeProcess::start(env!("CARGO_BIN_EXE_fake-aks"), &path, &[]);
    let addresses = &fake.addresses;
    assert_eq!(addresses["fake"], "aks");
    assert_eq!(addresses["tlsApi"], Value::Null);
    let api = addresses["api"].as_str().unwrap();
    assert!(api.starts_with("http://127.0.0.1:") && api.ends_with('/'));
    let pool = Arm::new(api).get(&Arm::pool_path("kfuse")).await.body;
    assert_eq!(pool["properties"]["count"], 3);
    let pools: Value = reqwest::get(format!("{}/pools", addresses["control"].as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kfuse = pools.as_array().unwrap().iter().find(|p| p["pool"] == "kfuse").unwrap();
    assert_eq!(kfuse["nodes"], 3);
    assert_eq!(kfuse["zones"], json!(["1", "2", "3"]));
    assert_eq!(kfuse["nodeTaints"], json!(["kf_role=data:NoSchedule"]));
    fake.terminate();
}
