//! Fault injection in the Pinot fake: a job reporting DONE before the external view converges, a stalled
//! job, servers that stop loading (the job fails after the stabilization timeout and the
//! RebalanceChecker retries it), a controller restart that orphans a job (stuck IN_PROGRESS, 409 until
//! cancelled or aborted by the checker), ERROR replicas, HTTP errors and latency.
use std::time::{Duration, Instant};

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{Fault, PinotFake, Seed};
use serde_json::{Value, json};

struct Fixture {
    fake: PinotFake,
    clock: ModelClock,
    http: reqwest::Client,
}

impl Fixture {
    async fn start() -> Fixture {
        let clock = ModelClock::new(0.0);
        let fake = PinotFake::start(&Seed::example(), 0, clock.clone()).await.unwrap();
        fake.set_server_pod("pinot-server-realtime-3", true, None);
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

    async fn start_rebalance(&self, table: &str, extra: &str) -> String {
        let (code, started) = self
            .call(
                reqwest::Method::POST,
                &format!("/tables/{table}/rebalance?type=REALTIME{extra}"),
            )
            .await;
        assert_eq!(
            (code, started["status"].as_str()),
            (200, Some("IN_PROGRESS")),
            "{started}"
        );
        started["jobId"].as_str().unwrap().to_string()
    }

    async fn job(&self, id: &str) -> Value {
        self.get(&format!("/rebalanceStatus/{id}")).await["tableRebalanceProgressStats"].clone()
    }

    async fn updating(&self, table: &str) -> usize {
        let statuses = self.get(&format!("/tables/{table}/segmentsStatus")).await;
        statuses
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["segmentStatus"] == "UPDATING")
            .count()
    }

    async fn post_fault(&self, fault: Value) {
        let response = self
            .http
            .post(format!("{}/faults", self.fake.control_url()))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    }

    fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }
}

#[tokio::test]
async fn a_job_can_report_done_before_the_external_view_converges() {
    let f = Fixture::start().await;
    f.post_fault(json!({"kind": "done_before_converged", "count": 1})).await;
    let job = f.start_rebalance("kf_metrics", "&minAvailableReplicas=0").await;
    let stats = f.job(&job).await;
    assert_eq!(
        stats["status"], "DONE",
        "minAvailableReplicas=0 reaches the target in one step, and the job says DONE"
    );
    assert!(f.updating("kf_metrics").await > 0, "while segments are still UPDATING");
    f.advance(600);
    assert_eq!(f.updating("kf_metrics").await, 0);
}

#[tokio::test]
async fn a_stalled_job_stays_in_progress_and_keeps_heartbeating() {
    let f = Fixture::start().await;
    let job = f.start_rebalance("kf_metrics", "").await;
    f.fake.fault(Fault::StallJob { table: None }).unwrap();
    let jobs = f.get("/table/kf_metrics/jobs").await;
    let first_write: u64 = jobs[&job]["submissionTimeMs"].as_str().unwrap().parse().unwrap();
    f.advance(3 * 3600);
    let stats = f.job(&job).await;
    assert_eq!(stats["status"], "IN_PROGRESS");
    let overall = &stats["rebalanceProgressStatsOverall"];
    assert!(
        overall["totalRemainingSegmentsToBeAdded"].as_u64().unwrap() > 0,
        "no progress: {overall}"
    );
    let jobs = f.get("/table/kf_metrics/jobs").await;
    let last_write: u64 = jobs[&job]["submissionTimeMs"].as_str().unwrap().parse().unwrap();
    assert!(
        last_write >= first_write + 3 * 3600 * 1000 - 300_000,
        "a live controller heartbeats the stuck job"
    );
    let (code, _) = f
        .call(reqwest::Method::POST, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!(code, 409, "the checker does not abort a job that heartbeats");
}

#[tokio::test]
async fn servers_that_stop_loading_fail_the_job_and_the_checker_retries_it() {
    let f = Fixture::start().await;
    f.post_fault(json!({"kind": "stall_loading", "table": "kf_metrics_REALTIME"}))
        .await;
    let job = f
        .start_rebalance("kf_metrics", "&externalViewStabilizationTimeoutInMs=600000")
        .await;
    f.advance(300);
    let updating = f.updating("kf_metrics").await;
    assert!(updating > 0);
    assert_eq!(f.job(&job).await["status"], "IN_PROGRESS");
    f.advance(301);
    assert_eq!(
        f.updating("kf_metrics").await,
        updating,
        "UPDATING stays flat while loading is stalled"
    );
    let stats = f.job(&job).await;
    assert_eq!(stats["status"], "FAILED");
    let message = stats["completionStatusMsg"].as_str().unwrap();
    assert!(
        message.contains("ExternalView has not made progress for the last 600000ms"),
        "{message}"
    );
    f.http
        .delete(format!("{}/faults", f.fake.control_url()))
        .send()
        .await
        .unwrap();
    // retryInitialDelayInMs (5 min) after the job's start, at the checker's next 5-minute run.
    f.advance(900);
    let retry = format!("{job}_2");
    let retried = f.get(&format!("/rebalanceStatus/{retry}")).await;
    assert_eq!(retried["tableRebalanceContext"]["originalJobId"], job);
    assert_eq!(retried["tableRebalanceContext"]["attemptId"], 2);
    f.advance(600);
    assert_eq!(f.job(&retry).await["status"], "DONE");
    assert_eq!(f.updating("kf_metrics").await, 0);
}

#[tokio::test]
async fn a_controller_restart_orphans_the_job_until_cancelled() {
    let f = Fixture::start().await;
    let job = f.start_rebalance("kf_metrics", "").await;
    f.advance(2);
    f.post_fault(json!({"kind": "restart", "seconds": 30})).await;
    let (code, body) = f.call(reqwest::Method::GET, "/health").await;
    assert_eq!(
        (code, body["error"].as_str()),
        (503, Some("Pinot controller status is STARTING"))
    );
    let (code, _) = f.call(reqwest::Method::GET, &format!("/rebalanceStatus/{job}")).await;
    assert_eq!(code, 503);
    f.advance(31);
    let (code, _) = f.call(reqwest::Method::GET, "/health").await;
    assert_eq!(code, 200);
    let frozen = f.job(&job).await;
    assert_eq!(frozen["status"], "IN_PROGRESS", "ZK keeps the job IN_PROGRESS");
    f.advance(1800);
    assert_eq!(f.job(&job).await, frozen, "nobody runs it: its stats never change");
    let (code, _) = f
        .call(reqwest::Method::POST, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!(code, 409, "the orphan blocks a new rebalance");
    let (_, cancelled) = f
        .call(reqwest::Method::DELETE, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!(cancelled, json!([job]));
    let again = f.start_rebalance("kf_metrics", "").await;
    f.advance(600);
    assert_eq!(f.job(&again).await["status"], "DONE");
    assert_eq!(f.updating("kf_metrics").await, 0);
}

#[tokio::test]
async fn the_rebalance_checker_aborts_an_orphan_after_the_heartbeat_timeout_and_retries() {
    let f = Fixture::start().await;
    let job = f.start_rebalance("kf_metrics", "").await;
    f.fake.fault(Fault::Restart { seconds: Some(0.0) }).unwrap();
    f.advance(3599);
    assert_eq!(f.job(&job).await["status"], "IN_PROGRESS");
    // heartbeatTimeoutInMs is 1 h; the checker runs every 5 minutes.
    f.advance(601);
    assert_eq!(f.job(&job).await["status"], "ABORTED");
    let retry = format!("{job}_2");
    f.advance(600);
    assert_eq!(f.job(&retry).await["status"], "DONE");
}

#[tokio::test]
async fn an_error_replica_shows_bad_and_fails_a_job_without_best_efforts() {
    let f = Fixture::start().await;
    let segment = "kf_metrics__0__0__20250101T0000Z";
    let ideal = f.get("/tables/kf_metrics/idealstate?tableType=REALTIME").await;
    let instance = ideal["REALTIME"][segment]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    f.post_fault(
        json!({"kind": "bad_segment", "table": "kf_metrics_REALTIME", "segment": segment, "instance": instance}),
    )
    .await;
    let statuses = f.get("/tables/kf_metrics/segmentsStatus").await;
    let bad: Vec<&Value> = statuses
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["segmentStatus"] == "BAD")
        .collect();
    assert_eq!(bad, [&json!({"segmentName": segment, "segmentStatus": "BAD"})]);
    let job = f.start_rebalance("kf_metrics", "").await;
    f.advance(600);
    let stats = f.job(&job).await;
    assert_eq!(stats["status"], "FAILED");
    assert!(
        stats["completionStatusMsg"]
            .as_str()
            .unwrap()
            .ends_with("Found segments in ERROR state")
    );
}

#[tokio::test]
async fn injected_http_errors_and_latency() {
    let f = Fixture::start().await;
    f.post_fault(json!([
        {"kind": "http_error", "endpoint": "mutations", "code": 503, "count": 1},
        {"kind": "http_error", "endpoint": "segmentsStatus", "code": 500, "message": "boom", "count": 2},
        {"kind": "latency", "endpoint": "health", "millis": 300, "count": 1}
    ]))
    .await;
    let (code, body) = f
        .call(reqwest::Method::POST, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!((code, body["code"].as_u64()), (503, Some(503)));
    assert_eq!(
        f.fake.mutations()["rebalance"],
        1,
        "a refused mutation was still received"
    );
    for _ in 0..2 {
        let (code, body) = f.call(reqwest::Method::GET, "/tables/kf_metrics/segmentsStatus").await;
        assert_eq!((code, body), (500, json!({"code": 500, "error": "boom"})));
    }
    assert_eq!(
        f.call(reqwest::Method::GET, "/tables/kf_metrics/segmentsStatus")
            .await
            .0,
        200
    );
    let started = Instant::now();
    assert_eq!(f.call(reqwest::Method::GET, "/health").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let job = f.start_rebalance("kf_metrics", "").await;
    assert!(!job.is_empty());
    let faults = f.get("/_control/faults").await;
    assert_eq!(faults, json!([]), "counted faults are used up");
}
