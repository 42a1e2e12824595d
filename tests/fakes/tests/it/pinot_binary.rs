//! `fake-pinot` as the rig runs it: a seed file, port 0, one JSON line of addresses on stdout, a clean
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
        "namespace": "obs",
        "servers": [{"pod": "pinot-server-realtime-0"}, {"pod": "pinot-server-realtime-1"}],
        "tables": [{"name": "kf_events", "type": "REALTIME", "replication": 2, "partitions": 2, "completedSegmentsPerPartition": 1}],
        "timing": {"segmentLoadSeconds": 1.0}
    });
    std::fs::write(&seed, body.to_string()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_fake-pinot"))
        .arg("--seed")
        .arg(&seed)
        .arg("--clock-speed")
        .arg("10")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Reaper(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addresses: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
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
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}
