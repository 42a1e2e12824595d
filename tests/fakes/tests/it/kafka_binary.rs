//! The `fake-kafka` binary as the rig starts it: one JSON line with its addresses on stdout, then the
//! control endpoint drives it (brokers joining and leaving, sizes, the clock, the state dump).

use std::process::Stdio;
use std::time::Duration;

use crate::kafka_common::ops::{log_dir_size, metadata};
use crate::kafka_common::{Client, PATIENCE};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SEED: &str = r#"{
  "brokers": [{"id": 100, "rack": "us-east-1a"}, {"id": 101, "rack": "us-east-1b"}],
  "topics": [{"name": "kf_traces_topic", "partitions": [{"replicas": [100, 101], "size_bytes": 1234}]}]
}"#;

/// Starts the binary; returns the child (killed on drop) and its address line.
async fn start(args: &[&str]) -> anyhow::Result<(Child, Value)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-kafka"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(PATIENCE, lines.next_line())
        .await??
        .expect("an address line");
    Ok((child, serde_json::from_str(&line)?))
}

fn addr(line: &Value, broker: &str) -> std::net::SocketAddr {
    line["brokers"][broker]
        .as_str()
        .expect("broker address")
        .parse()
        .expect("socket address")
}

#[tokio::test]
async fn the_binary_prints_its_addresses_and_serves_the_seed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, SEED)?;
    let (_child, line) = start(&["--seed", seed.to_str().unwrap_or_default(), "--clock-speed", "0"]).await?;
    let brokers = line["brokers"].as_object().expect("brokers");
    assert_eq!(
        brokers.keys().cloned().collect::<Vec<_>>(),
        vec!["100".to_string(), "101".to_string()]
    );
    assert_eq!(
        line["bootstrap"],
        json!(format!(
            "{},{}",
            brokers["100"].as_str().unwrap_or(""),
            brokers["101"].as_str().unwrap_or("")
        ))
    );
    let mut c = Client::connect(addr(&line, "101")).await?;
    let shown = metadata(&mut c, "kf_traces_topic").await?;
    assert_eq!((shown[0].leader, shown[0].replicas.clone()), (100, vec![100, 101]));
    assert_eq!(log_dir_size(&mut c, "kf_traces_topic", 0).await?, Some(1234));
    Ok(())
}

#[tokio::test]
async fn brokers_join_and_leave_through_the_control_endpoint() -> anyhow::Result<()> {
    let (_child, line) = start(&["--brokers", "2", "--layout", "legacy", "--clock-speed", "0"]).await?;
    let control = line["control"].as_str().expect("control url").to_string();
    let http = reqwest::Client::new();

    let added: Value = http
        .post(format!("{control}/_control/brokers"))
        .json(&json!({"id": 2, "rack": "b"}))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(added["change"], json!("Registered"));
    let port = added["broker"]["port"].as_u64().expect("a port for the new broker");
    let mut c = Client::connect(([127, 0, 0, 1], port as u16).into()).await?;
    let described = c
        .send(kafka_protocol::messages::DescribeClusterRequest::default(), 2)
        .await?;
    assert_eq!(
        described.brokers.iter().map(|b| b.broker_id.0).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );

    let removed: Value = http
        .delete(format!("{control}/_control/brokers/1"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(removed["change"], json!("Fenced"));
    // Its listener is closed: connecting fails.
    let gone = addr(&line, "1");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(gone).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "broker 1 still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let with_fenced = c
        .send(
            kafka_protocol::messages::DescribeClusterRequest::default().with_include_fenced_brokers(true),
            2,
        )
        .await?;
    let fenced: Vec<(i32, bool)> = with_fenced
        .brokers
        .iter()
        .map(|b| (b.broker_id.0, b.is_fenced))
        .collect();
    assert_eq!(fenced, vec![(0, false), (1, true), (2, false)]);

    let state: Value = http
        .get(format!("{control}/_control/state"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(state["layout"], json!("legacy"));
    assert_eq!(state["controller_id"], json!(0));
    Ok(())
}

#[tokio::test]
async fn the_clock_moves_at_the_given_speed_and_on_request() -> anyhow::Result<()> {
    let (_child, line) = start(&["--clock-speed", "0"]).await?;
    let control = line["control"].as_str().expect("control url").to_string();
    let http = reqwest::Client::new();
    let clock: Value = http
        .get(format!("{control}/_control/clock"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(clock, json!({"now_ms": 0, "speed": 0.0}));
    let advanced: Value = http
        .post(format!("{control}/_control/clock/advance"))
        .json(&json!({"seconds": 90}))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(advanced["now_ms"], json!(90_000));
    let bad = http
        .post(format!("{control}/_control/clock/advance"))
        .json(&json!({"seconds": -1}))
        .send()
        .await?;
    assert_eq!(bad.status(), 400);
    Ok(())
}

#[tokio::test]
async fn a_bad_seed_fails_the_start_with_the_reason() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"brokers": [{"id": 1}], "topics": [{"name": "t", "partitions": [{"replicas": [7]}]}]}"#,
    )?;
    let output = tokio::time::timeout(
        PATIENCE,
        Command::new(env!("CARGO_BIN_EXE_fake-kafka"))
            .args(["--seed", seed.to_str().unwrap_or_default()])
            .output(),
    )
    .await??;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broker 7"), "{stderr}");
    Ok(())
}
