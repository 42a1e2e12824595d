//! The Pinot fake's segment-assignment model and rebalance API: new servers receive segments only after
//! a rebalance, jobs progress on the model clock, dry runs change nothing, downtime rebalances are
//! synchronous and untracked, conflicts and errors answer as the controller does.
use std::collections::BTreeMap;
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed};
use serde_json::{Value, json};

const NEW_SERVER: &str = "Server_pinot-server-realtime-3.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098";

struct Fixture {
    fake: PinotFake,
    clock: ModelClock,
    http: reqwest::Client,
}

impl Fixture {
    async fn start() -> Fixture {
        let clock = ModelClock::new(0.0);
        let fake = PinotFake::start(&Seed::example(), 0, clock.clone()).await.unwrap();
        Fixture {
            fake,
            clock,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.fake.api_url()))
            .send()
            .await
            .unwrap();
        let code = response.status().as_u16();
        let text = response.text().await.unwrap();
        (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> Value {
        let (code, value) = self.call(reqwest::Method::GET, path).await;
        assert_eq!(code, 200, "GET {path}: {value}");
        value
    }

    async fn post(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::POST, path).await
    }

    fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }

    /// GOOD/BAD/UPDATING counts of `GET /tables/{t}/segmentsStatus`.
    async fn status_counts(&self, table: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for segment in self
            .get(&format!("/tables/{table}/segmentsStatus"))
            .await
            .as_array()
            .unwrap()
        {
            *counts
                .entry(segment["segmentStatus"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        counts
    }

    /// Segments per server in the ideal state.
    async fn per_server(&self, table: &str, view: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        let value = self.get(&format!("/tables/{table}/{view}?tableType=REALTIME")).await;
        for replicas in value["REALTIME"].as_object().unwrap().values() {
            for server in replicas.as_object().unwrap().keys() {
                *counts.entry(server.clone()).or_default() += 1;
            }
        }
        counts
    }
}

fn counts(good: usize, updating: usize) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    if good > 0 {
        map.insert("GOOD".to_string(), good);
    }
    if updating > 0 {
        map.insert("UPDATING".to_string(), updating);
    }
    map
}

#[tokio::test]
async fn a_new_server_gets_segments_only_through_a_rebalance_that_progresses_on_the_clock() {
    let f = Fixture::start().await;
    let name = f.fake.set_server_pod("pinot-server-realtime-3", true, None);
    assert_eq!(name, NEW_SERVER);
    let instance = f.get(&format!("/instances/{NEW_SERVER}")).await;
    assert_eq!(instance["tags"], json!(["DefaultTenant_REALTIME"]));
    f.advance(3600);
    assert!(
        !f.per_server("kf_metrics", "idealstate").await.contains_key(NEW_SERVER),
        "no segments without a rebalance"
    );
    assert_eq!(f.status_counts("kf_metrics").await, counts(16, 0));

    let before = f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await;
    let (_, dry) = f
        .post("/tables/kf_metrics/rebalance?type=REALTIME&dryRun=true&preChecks=true")
        .await;
    assert_eq!(
        (dry["status"].as_str(), dry["description"].as_str()),
        (Some("DONE"), Some("Dry-run mode"))
    );
    assert_eq!(
        dry["rebalanceSummaryResult"]["serverInfo"]["serversAdded"],
        json!([NEW_SERVER])
    );
    assert_eq!(
        dry["rebalanceSummaryResult"]["serverInfo"]["numServers"],
        json!({"valueBeforeRebalance": 3, "expectedValueAfterRebalance": 4})
    );
    assert_eq!(
        f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await,
        before,
        "a dry run changes nothing"
    );
    assert!(f.fake.mutations().is_empty(), "a dry run is not a mutation");

    let (code, started) = f
        .post("/tables/kf_metrics/rebalance?type=REALTIME&reassignInstances=true&includeConsuming=true")
        .await;
    assert_eq!((code, started["status"].as_str()), (200, Some("IN_PROGRESS")));
    assert_eq!(
        started["segmentAssignment"], dry["segmentAssignment"],
        "the job goes where the dry run said"
    );
    let job = started["jobId"].as_str().unwrap().to_string();
    let during = f.status_counts("kf_metrics").await;
    assert!(
        during.get("UPDATING").copied().unwrap_or(0) > 0,
        "segments are UPDATING while new replicas load: {during:?}"
    );

    let mut remaining = Vec::new();
    for _ in 0..8 {
        let status = f.get(&format!("/rebalanceStatus/{job}")).await;
        let stats = &status["tableRebalanceProgressStats"];
        if stats["status"] == "DONE" {
            break;
        }
        assert_eq!(stats["status"], "IN_PROGRESS");
        remaining.push(
            stats["rebalanceProgressStatsOverall"]["totalRemainingSegmentsToBeAdded"]
                .as_u64()
                .unwrap(),
        );
        f.advance(5);
    }
    assert!(
        remaining.windows(2).all(|w| w[0] >= w[1]) && remaining.first() > remaining.last(),
        "progress: {remaining:?}"
    );
    f.advance(600);
    let done = f.get(&format!("/rebalanceStatus/{job}")).await;
    let stats = &done["tableRebalanceProgressStats"];
    assert_eq!(stats["status"], "DONE");
    assert!(
        stats["completionStatusMsg"]
            .as_str()
            .unwrap()
            .starts_with("Finished rebalancing with minAvailableReplicas: 1")
    );
    assert_eq!(
        done["timeElapsedSinceStartInSeconds"], 0,
        "Pinot reports 0 elapsed once DONE"
    );
    assert_eq!(f.status_counts("kf_metrics").await, counts(16, 0));
    let spread = f.per_server("kf_metrics", "externalview").await;
    assert_eq!(
        spread.values().copied().collect::<Vec<_>>(),
        vec![8, 8, 8, 8],
        "balanced over four servers: {spread:?}"
    );
    assert_eq!(
        f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await["REALTIME"],
        dry["segmentAssignment"]
    );
    assert_eq!(f.fake.mutations(), BTreeMap::from([("rebalance".to_string(), 1)]));
    let jobs = f.get("/table/kf_metrics_REALTIME/jobs?jobTypes=TABLE_REBALANCE").await;
    assert_eq!(jobs.as_object().unwrap().keys().collect::<Vec<_>>(), [&job]);
}

#[tokio::test]
async fn downtime_rebalance_is_synchronous_untracked_and_converges_later() {
    let f = Fixture::start().await;
    f.fake.set_server_pod("pinot-server-realtime-3", true, None);
    let set = "type=REALTIME&dryRun=false&reassignInstances=true&includeConsuming=false&bootstrap=false&downtime=true&\
               bestEfforts=false&lowDiskMode=false&minAvailableReplicas=1";
    let (code, result) = f.post(&format!("/tables/kf_metrics/rebalance?{set}")).await;
    assert_eq!((code, result["status"].as_str()), (200, Some("DONE")));
    assert!(
        result["description"]
            .as_str()
            .unwrap()
            .starts_with("Success with downtime")
    );
    let (code, missing) = f
        .call(
            reqwest::Method::GET,
            &format!("/rebalanceStatus/{}", result["jobId"].as_str().unwrap()),
        )
        .await;
    assert_eq!(code, 404, "a downtime rebalance is not tracked: {missing}");
    let ideal = f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await;
    assert_eq!(
        ideal["REALTIME"], result["segmentAssignment"],
        "the ideal state is the target at once"
    );
    assert!(
        f.status_counts("kf_metrics").await.contains_key("UPDATING"),
        "the external view has not caught up"
    );
    f.advance(600);
    assert_eq!(f.status_counts("kf_metrics").await, counts(16, 0));
}

#[tokio::test]
async fn nothing_to_move_is_a_no_op_without_a_job() {
    let f = Fixture::start().await;
    let (code, result) = f.post("/tables/kf_logs/rebalance?type=REALTIME").await;
    assert_eq!(
        (code, result["status"].as_str(), result["description"].as_str()),
        (200, Some("NO_OP"), Some("Table is already balanced"))
    );
    assert_eq!(
        f.call(
            reqwest::Method::GET,
            &format!("/rebalanceStatus/{}", result["jobId"].as_str().unwrap())
        )
        .await
        .0,
        404
    );
    assert_eq!(f.get("/table/kf_logs/jobs").await, json!({}));
    // The call still counts: it could have moved segments.
    assert_eq!(f.fake.mutations()["rebalance"], 1);
}

#[tokio::test]
async fn conflicts_cancel_and_errors() {
    let f = Fixture::start().await;
    f.fake.set_server_pod("pinot-server-realtime-3", true, None);
    let (code, missing) = f.post("/tables/nope/rebalance?type=REALTIME").await;
    assert_eq!(
        (code, missing["error"].as_str()),
        (404, Some("Failed to find table config for table: nope_REALTIME"))
    );
    let (code, bad_type) = f.post("/tables/kf_metrics/rebalance?type=HYBRID").await;
    assert_eq!(
        (code, bad_type["error"].as_str()),
        (400, Some("Illegal table type: HYBRID"))
    );
    let (code, _) = f
        .post("/tables/kf_metrics/rebalance?type=REALTIME&batchSizePerServer=0")
        .await;
    assert_eq!(code, 500);

    let (_, first) = f.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    let job = first["jobId"].as_str().unwrap().to_string();
    let (code, conflict) = f.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    assert_eq!(code, 409);
    assert!(conflict["error"].as_str().unwrap().contains(&job));
    let (code, dry) = f.post("/tables/kf_metrics/rebalance?type=REALTIME&dryRun=true").await;
    assert_eq!(
        (code, dry["status"].as_str()),
        (200, Some("DONE")),
        "a dry run is allowed during a rebalance"
    );

    f.advance(3);
    let (_, cancelled) = f
        .call(reqwest::Method::DELETE, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!(cancelled, json!([job]));
    let ideal_at_cancel = f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await;
    f.advance(600);
    let status = f.get(&format!("/rebalanceStatus/{job}")).await;
    assert_eq!(status["tableRebalanceProgressStats"]["status"], "CANCELLED");
    assert_eq!(
        f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await,
        ideal_at_cancel,
        "a cancelled job stops where it was"
    );
    let (_, none) = f
        .call(reqwest::Method::DELETE, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!(none, json!([]), "cancelling nothing is fine");
    let (_, second) = f.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    assert_eq!(
        second["status"], "IN_PROGRESS",
        "after a cancel a new rebalance may start"
    );
    assert_eq!(
        f.fake.mutations(),
        BTreeMap::from([("rebalance".into(), 6), ("cancelRebalance".into(), 2)])
    );
}

#[tokio::test]
async fn min_available_replicas_not_below_replication_fails_the_job() {
    let f = Fixture::start().await;
    f.fake.set_server_pod("pinot-server-realtime-3", true, None);
    let (_, started) = f
        .post("/tables/kf_metrics/rebalance?type=REALTIME&minAvailableReplicas=2")
        .await;
    assert_eq!(
        started["status"], "IN_PROGRESS",
        "the resource answers before the job checks it"
    );
    let status = f
        .get(&format!("/rebalanceStatus/{}", started["jobId"].as_str().unwrap()))
        .await;
    let stats = &status["tableRebalanceProgressStats"];
    assert_eq!(stats["status"], "FAILED");
    assert!(
        stats["completionStatusMsg"]
            .as_str()
            .unwrap()
            .starts_with("Illegal config for minReplicasToKeepUpForNoDowntime: 2")
    );
}

#[tokio::test]
async fn a_server_without_the_tenant_tag_gets_nothing_until_tagged_and_rebalanced() {
    let f = Fixture::start().await;
    f.fake
        .set_server_pod("pinot-server-realtime-3", true, Some(vec!["server_untagged".into()]));
    let (_, result) = f.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    assert_eq!(result["status"], "NO_OP", "an untagged server is not a target");
    let (code, updated) = f
        .call(
            reqwest::Method::PUT,
            &format!("/instances/{NEW_SERVER}/updateTags?tags=DefaultTenant_REALTIME"),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        updated["status"],
        format!("Updated tags: [DefaultTenant_REALTIME] for instance: {NEW_SERVER}")
    );
    assert!(
        !f.per_server("kf_metrics", "idealstate").await.contains_key(NEW_SERVER),
        "tags alone move nothing"
    );
    let (_, started) = f.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    assert_eq!(started["status"], "IN_PROGRESS");
    f.advance(600);
    assert_eq!(f.per_server("kf_metrics", "externalview").await[NEW_SERVER], 8);
    let (code, _) = f.call(reqwest::Method::PUT, "/instances/nope/updateTags?tags=a").await;
    assert_eq!(code, 404);
    let (code, _) = f
        .call(reqwest::Method::PUT, &format!("/instances/{NEW_SERVER}/updateTags"))
        .await;
    assert_eq!(code, 400, "tags are required");
}

#[tokio::test]
async fn table_views_take_table_type_and_names_with_or_without_suffix() {
    let f = Fixture::start().await;
    let both = f.get("/tables/kf_metrics/idealstate").await;
    assert!(both["OFFLINE"].is_null() && both["REALTIME"].is_object());
    let suffixed = f
        .get("/tables/kf_metrics_REALTIME/externalview?tableType=realtime")
        .await;
    assert_eq!(suffixed["REALTIME"], both["REALTIME"]);
    let (code, error) = f
        .call(reqwest::Method::GET, "/tables/kf_metrics/idealstate?tableType=OFFLINE")
        .await;
    assert_eq!((code, error["error"].as_str()), (404, Some("Table not found")));
    let (code, _) = f
        .call(reqwest::Method::GET, "/tables/kf_metrics/idealstate?tableType=hybrid")
        .await;
    assert_eq!(code, 400);
    let config = f.get("/tables/kf_metrics_REALTIME").await;
    assert_eq!(config["REALTIME"]["tenants"]["server"], "DefaultTenant");
    assert_eq!(config["REALTIME"]["segmentsConfig"]["replication"], "2");
    assert_eq!(
        f.get("/tables?type=realtime").await,
        json!({"tables": ["kf_logs_REALTIME", "kf_metrics_REALTIME"]})
    );
    let health = f.http.get(format!("{}/health", f.fake.api_url())).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "OK");
}
