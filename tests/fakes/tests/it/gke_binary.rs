//! `fake-gke` as the rig runs it: a seed file, port 0, one JSON line of addresses on stdout, a clean
//! exit on SIGTERM.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// Kills the child if the test fails before it stopped it, so no fake outlives the test.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

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
    let child = Command::new(env!("CARGO_BIN_EXE_fake-gke"))
        .arg("--seed")
        .arg(&seed)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Reaper(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addresses: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
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
    assert!(
        Command::new("kill")
            .arg("-TERM")
            .arg(child.0.id().to_string())
            .status()
            .unwrap()
            .success()
    );
    assert!(child.0.wait().unwrap().success(), "clean exit on SIGTERM");
}
