//! `GET /tables/{t}/consumingSegmentsInfo` of the Pinot fake, read with a plain HTTP client: every
//! CONSUMING replica reports a fresh consumer by default; a partition set stalled keeps its
//! `lastConsumedTimestamp` and falls behind; a server that is gone or set not to answer counts in
//! `serversFailingToRespond` (its consumers are missing, and a segment nobody reports gets `[]`), an
//! unparsable one in `serversUnparsableRespond`; OFFLINE and unknown tables are Pinot's 500.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{ConsumerSetting, PinotFake, Seed, ServerAnswer};
use serde_json::{Value, json};

async fn get(fake: &PinotFake, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", fake.api_url())).await.unwrap();
    let code = response.status().as_u16();
    (code, response.json().await.unwrap())
}

fn wall_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// One consumer: (server, lastConsumedTimestamp, recordsLag of its partition).
type Consumer = (String, u64, String);

/// segment -> its consumers.
fn consumers(info: &Value) -> Vec<(String, Vec<Consumer>)> {
    info["_segmentToConsumingInfoMap"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(segment, list)| {
            let partition = segment.split("__").nth(1).unwrap().to_string();
            let rows = list
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["serverName"].as_str().unwrap().to_string(),
                        c["lastConsumedTimestamp"].as_u64().unwrap(),
                        c["partitionOffsetInfo"]["recordsLagMap"][&partition]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    )
                })
                .collect();
            (segment.clone(), rows)
        })
        .collect()
}

#[tokio::test]
async fn consumers_are_fresh_until_a_partition_is_set_stalled() -> anyhow::Result<()> {
    let clock = ModelClock::new(0.0);
    let fake = PinotFake::start(&Seed::example(), 0, clock.clone()).await?;
    let before = wall_ms();
    let (code, info) = get(&fake, "/tables/kf_logs/consumingSegmentsInfo").await;
    assert_eq!(code, 200, "{info}");
    assert_eq!(
        (
            info["serversFailingToRespond"].as_u64(),
            info["serversUnparsableRespond"].as_u64()
        ),
        (Some(0), Some(0))
    );
    let fresh = consumers(&info);
    assert_eq!(fresh.len(), 4, "one consuming segment per partition: {info:#}");
    for (segment, replicas) in &fresh {
        assert_eq!(replicas.len(), 2, "replication 2: {segment}");
        for (_, last, lag) in replicas {
            assert!(*last + 5_000 >= before, "consumed just now: {last} vs {before}");
            assert_eq!(lag, "0");
        }
    }

    fake.set_consumer(ConsumerSetting {
        table: "kf_logs".into(),
        partition: 2,
        stalled_seconds: Some(900.0),
        records_lag: None,
        availability_lag_ms: Some(1_500),
        not_calculated: false,
        consumer_state: None,
    })?;
    clock.advance(Duration::from_secs(60));
    let (_, info) = get(&fake, "/tables/kf_logs_REALTIME/consumingSegmentsInfo").await;
    for (segment, replicas) in consumers(&info) {
        for (server, last, lag) in replicas {
            let age = wall_ms() + 60_000 - last;
            if segment.starts_with("kf_logs__2__") {
                assert!(
                    (959_000..=965_000).contains(&age),
                    "{server}: stalled 900 s + 60 s: {age}"
                );
                assert_ne!(lag, "0", "{server}: behind while stalled");
            } else {
                assert_eq!(lag, "0");
                assert!(age < 65_000, "the other partitions still consume: {segment} {age}");
            }
        }
    }
    let stalled = &info["_segmentToConsumingInfoMap"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(s, _)| s.starts_with("kf_logs__2__"))
        .unwrap()
        .1[0];
    assert_eq!(
        stalled["partitionOffsetInfo"]["availabilityLagMsMap"],
        json!({"2": "1500"})
    );
    let lag: u64 = stalled["partitionOffsetInfo"]["recordsLagMap"]["2"]
        .as_str()
        .unwrap()
        .parse()?;
    assert!((95_000..=97_000).contains(&lag), "100 rows a second for 960 s: {lag}");
    let latest: u64 = stalled["partitionOffsetInfo"]["latestUpstreamOffsetMap"]["2"]
        .as_str()
        .unwrap()
        .parse()?;
    let current: u64 = stalled["partitionOffsetInfo"]["currentOffsetsMap"]["2"]
        .as_str()
        .unwrap()
        .parse()?;
    assert_eq!(latest - current, lag);

    // A partition or table that does not exist is refused by the control call.
    let mut wrong = ConsumerSetting {
        table: "kf_logs".into(),
        partition: 9,
        stalled_seconds: None,
        records_lag: None,
        availability_lag_ms: None,
        not_calculated: false,
        consumer_state: None,
    };
    assert!(
        fake.set_consumer(wrong.clone())
            .unwrap_err()
            .to_string()
            .contains("no partition 9")
    );
    wrong.table = "kf_rollup_archive_OFFLINE".into();
    assert!(
        fake.set_consumer(wrong)
            .unwrap_err()
            .to_string()
            .contains("not a REALTIME table")
    );
    fake.reset_consumers();
    let (_, info) = get(&fake, "/tables/kf_logs/consumingSegmentsInfo").await;
    assert!(
        consumers(&info)
            .iter()
            .all(|(_, r)| r.iter().all(|(_, _, lag)| lag == "0"))
    );
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn servers_that_do_not_answer_are_counted_and_their_consumers_missing() -> anyhow::Result<()> {
    let fake = PinotFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let (_, info) = get(&fake, "/tables/kf_metrics/consumingSegmentsInfo").await;
    let servers: std::collections::BTreeSet<String> = consumers(&info)
        .into_iter()
        .flat_map(|(_, r)| r.into_iter().map(|(server, _, _)| server))
        .collect();
    assert_eq!(servers.len(), 3, "{servers:?}");
    let mut servers = servers.into_iter();
    let (silent, garbled) = (servers.next().unwrap(), servers.next().unwrap());
    fake.set_consumer_server(&silent, ServerAnswer::None);
    fake.set_consumer_server(&garbled, ServerAnswer::Unparsable);
    let (code, info) = get(&fake, "/tables/kf_metrics/consumingSegmentsInfo").await;
    assert_eq!(code, 200);
    assert_eq!(info["serversFailingToRespond"], 1);
    assert_eq!(info["serversUnparsableRespond"], 1);
    let shown = consumers(&info);
    assert_eq!(
        shown.len(),
        4,
        "every CONSUMING segment of the ideal state is listed: {info:#}"
    );
    assert!(
        shown
            .iter()
            .all(|(_, r)| r.iter().all(|(s, _, _)| s != &silent && s != &garbled))
    );
    assert!(
        shown.iter().any(|(_, r)| r.is_empty()),
        "a segment only those two hold is listed with no consumer: {info:#}"
    );
    fake.set_consumer_server(&silent, ServerAnswer::Ok);
    fake.set_consumer_server(&garbled, ServerAnswer::Ok);
    // A server whose pod is gone does not answer either.
    let pod = silent
        .trim_start_matches("Server_")
        .split('.')
        .next()
        .unwrap()
        .to_string();
    fake.set_server_pod(&pod, false, None);
    let (_, info) = get(&fake, "/tables/kf_metrics/consumingSegmentsInfo").await;
    assert_eq!(
        (
            info["serversFailingToRespond"].as_u64(),
            info["serversUnparsableRespond"].as_u64()
        ),
        (Some(1), Some(0))
    );

    for (path, message) in [
        (
            "/tables/kf_rollup_archive_OFFLINE/consumingSegmentsInfo",
            "Failed to get consuming segments info for table kf_rollup_archive_OFFLINE. Cannot get consuming segments info for OFFLINE table: kf_rollup_archive_OFFLINE",
        ),
        (
            "/tables/nope/consumingSegmentsInfo",
            "Failed to get consuming segments info for table nope. Ideal state does not exist for table: nope_REALTIME",
        ),
    ] {
        let (code, error) = get(&fake, path).await;
        assert_eq!((code, error), (500, json!({"code": 500, "error": message})), "{path}");
    }
    fake.stop().await;
    Ok(())
}
