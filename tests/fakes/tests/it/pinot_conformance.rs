//! Conformance of every Pinot fake response shape with field lists taken from Pinot's source.
//!
//! The lists are `conformance/pinot/fields.json`, extracted by `conformance/pinot/extract_fields.py` from
//! apache/pinot at the commit recorded in the file (210c2951e720b72cbcb87224ff5e46237e098acd), from:
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/RebalanceResult.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/RebalanceSummaryResult.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/RebalancePreCheckerResult.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/RebalanceConfig.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/TableRebalanceProgressStats.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/TableRebalanceContext.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/ServerRebalanceJobStatusResponse.java
//! - pinot-common/src/main/java/org/apache/pinot/common/restlet/resources/TableView.java
//! - pinot-common/src/main/java/org/apache/pinot/common/assignment/InstancePartitions.java
//! - pinot-common/src/main/java/org/apache/pinot/common/utils/SimpleHttpErrorInfo.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/api/resources/SegmentStatusInfo.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/api/resources/SuccessResponse.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/api/resources/PinotInstanceRestletResource.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/api/resources/PinotTableRestletResource.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/util/ConsumingSegmentInfoReader.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/helix/core/rebalance/DefaultRebalancePreChecker.java
//! - pinot-controller/src/main/java/org/apache/pinot/controller/helix/core/rebalance/RebalanceJobConstants.java
//! - pinot-spi/src/main/java/org/apache/pinot/spi/config/table/TableConfig.java
//! - pinot-spi/src/main/java/org/apache/pinot/spi/config/table/SegmentsValidationAndRetentionConfig.java
//! - pinot-spi/src/main/java/org/apache/pinot/spi/config/table/TenantConfig.java
//! - pinot-spi/src/main/java/org/apache/pinot/spi/utils/CommonConstants.java (DisplaySegmentStatus, Helix, ControllerJob)
//! - pinot-spi/src/main/java/org/apache/pinot/spi/utils/Enablement.java
//!
//! Each response key must be in its list, required keys must be there, enum values must be Pinot's.
//! With `KFSCALE_PINOT_GIT_DIR` naming a clone of apache/pinot, the lists are re-extracted at the
//! recorded commit and compared with the committed file.
use std::path::PathBuf;
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{ConsumerSetting, Fault, PinotFake, REBALANCE_PARAMETERS, Seed};
use serde_json::{Value, json};

fn fields_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/pinot/fields.json")
}

fn shapes() -> Value {
    let text = std::fs::read_to_string(fields_path()).expect("committed field lists");
    serde_json::from_str::<Value>(&text).unwrap()["shapes"].clone()
}

/// Checks one object against a shape; collects the problems.
struct Checker {
    shapes: Value,
    errors: Vec<String>,
    checked: std::collections::BTreeSet<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            shapes: shapes(),
            errors: Vec::new(),
            checked: Default::default(),
        }
    }

    fn object(&mut self, shape: &str, value: &Value, path: &str) {
        self.checked.insert(shape.to_string());
        let spec = &self.shapes[shape];
        assert!(spec.is_object(), "no shape {shape} in fields.json");
        let Some(object) = value.as_object() else {
            self.errors
                .push(format!("{path}: expected an object ({shape}), got {value}"));
            return;
        };
        let fields: Vec<&str> = spec["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        for key in object.keys() {
            if !fields.contains(&key.as_str()) {
                self.errors
                    .push(format!("{path}.{key}: not a field of {shape} ({})", spec["file"]));
            }
        }
        for required in spec["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(required) {
                self.errors.push(format!("{path}: {shape} lacks `{required}`"));
            }
        }
        for (key, allowed) in spec["enums"].as_object().into_iter().flatten() {
            if let Some(found) = object.get(key)
                && !allowed.as_array().unwrap().contains(found)
            {
                self.errors
                    .push(format!("{path}.{key}: {found} is not one of {allowed}"));
            }
        }
    }

    /// `{name: shape}` maps (segment -> ..., server -> ...).
    fn map_of(&mut self, shape: &str, value: &Value, path: &str) {
        for (key, item) in value.as_object().into_iter().flatten() {
            self.object(shape, item, &format!("{path}[{key}]"));
        }
    }

    fn rebalance_result(&mut self, value: &Value, path: &str) {
        self.object("RebalanceResult", value, path);
        if let Some(pre) = value.get("preChecksResult") {
            let names: Vec<Value> = self.shapes["preChecksResult"]["fields"].as_array().unwrap().clone();
            for (name, item) in pre.as_object().unwrap() {
                if !names.contains(&json!(name)) {
                    self.errors.push(format!(
                        "{path}.preChecksResult.{name}: not a pre-check of DefaultRebalancePreChecker"
                    ));
                }
                self.object(
                    "RebalancePreCheckerResult",
                    item,
                    &format!("{path}.preChecksResult.{name}"),
                );
            }
        }
        if let Some(summary) = value.get("rebalanceSummaryResult") {
            let path = format!("{path}.rebalanceSummaryResult");
            self.object("RebalanceSummaryResult", summary, &path);
            let server = &summary["serverInfo"];
            self.object(
                "RebalanceSummaryResult.ServerInfo",
                server,
                &format!("{path}.serverInfo"),
            );
            self.object(
                "RebalanceSummaryResult.RebalanceChangeInfo",
                &server["numServers"],
                &format!("{path}.serverInfo.numServers"),
            );
            self.map_of(
                "RebalanceSummaryResult.ServerSegmentChangeInfo",
                &server["serverSegmentChangeInfo"],
                &format!("{path}.serverInfo.serverSegmentChangeInfo"),
            );
            let segment = &summary["segmentInfo"];
            self.object(
                "RebalanceSummaryResult.SegmentInfo",
                segment,
                &format!("{path}.segmentInfo"),
            );
            for change in [
                "replicationFactor",
                "numSegmentsInSingleReplica",
                "numSegmentsAcrossAllReplicas",
            ] {
                self.object(
                    "RebalanceSummaryResult.RebalanceChangeInfo",
                    &segment[change],
                    &format!("{path}.segmentInfo.{change}"),
                );
            }
            if let Some(consuming) = segment.get("consumingSegmentToBeMovedSummary") {
                let at = format!("{path}.segmentInfo.consumingSegmentToBeMovedSummary");
                self.object(
                    "RebalanceSummaryResult.ConsumingSegmentToBeMovedSummary",
                    consuming,
                    &at,
                );
                self.map_of(
                    "RebalanceSummaryResult.ConsumingSegmentSummaryPerServer",
                    &consuming["serverConsumingSegmentSummary"],
                    &at,
                );
            }
            for (index, tag) in summary["tagsInfo"].as_array().into_iter().flatten().enumerate() {
                self.object(
                    "RebalanceSummaryResult.TagInfo",
                    tag,
                    &format!("{path}.tagsInfo[{index}]"),
                );
            }
        }
        if let Some(instances) = value.get("instanceAssignment") {
            self.map_of("InstancePartitions", instances, &format!("{path}.instanceAssignment"));
        }
    }

    fn progress_stats(&mut self, value: &Value, path: &str) {
        self.object("TableRebalanceProgressStats", value, path);
        for stats in [
            "initialToTargetStateConvergence",
            "currentToTargetConvergence",
            "externalViewToIdealStateConvergence",
        ] {
            self.object(
                "TableRebalanceProgressStats.RebalanceStateStats",
                &value[stats],
                &format!("{path}.{stats}"),
            );
        }
        for stats in ["rebalanceProgressStatsOverall", "rebalanceProgressStatsCurrentStep"] {
            self.object(
                "TableRebalanceProgressStats.RebalanceProgressStats",
                &value[stats],
                &format!("{path}.{stats}"),
            );
        }
    }

    fn context(&mut self, value: &Value, path: &str) {
        self.object("TableRebalanceContext", value, path);
        self.object("RebalanceConfig", &value["config"], &format!("{path}.config"));
    }

    fn job_status(&mut self, value: &Value, path: &str) {
        self.object("ServerRebalanceJobStatusResponse", value, path);
        self.progress_stats(
            &value["tableRebalanceProgressStats"],
            &format!("{path}.tableRebalanceProgressStats"),
        );
        self.context(
            &value["tableRebalanceContext"],
            &format!("{path}.tableRebalanceContext"),
        );
    }

    /// `ConsumingSegmentsInfoMap` with its `ConsumingSegmentInfo` lists and their `PartitionOffsetInfo`.
    fn consuming_segments_info(&mut self, value: &Value, path: &str) {
        self.object("ConsumingSegmentsInfoMap", value, path);
        let segments = value["_segmentToConsumingInfoMap"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!segments.is_empty(), "{path}: no consuming segment in {value}");
        for (segment, consumers) in segments {
            for (index, consumer) in consumers.as_array().into_iter().flatten().enumerate() {
                let at = format!("{path}[{segment}][{index}]");
                self.object("ConsumingSegmentInfo", consumer, &at);
                self.object(
                    "PartitionOffsetInfo",
                    &consumer["partitionOffsetInfo"],
                    &format!("{at}.partitionOffsetInfo"),
                );
            }
        }
    }

    fn error(&mut self, value: &Value, path: &str) {
        self.object("SimpleHttpErrorInfo", value, path);
    }

    fn finish(self) -> std::collections::BTreeSet<String> {
        assert!(
            self.errors.is_empty(),
            "responses do not match Pinot's field lists:\n{}",
            self.errors.join("\n")
        );
        self.checked
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let code = response.status().as_u16();
        let text = response.text().await.unwrap();
        (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path).await
    }

    async fn post(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::POST, path).await
    }
}

#[tokio::test]
async fn every_response_matches_pinots_field_lists() {
    let clock = ModelClock::new(0.0);
    let fake = PinotFake::start(&Seed::example(), 0, clock.clone()).await.unwrap();
    let api = Client {
        http: reqwest::Client::new(),
        base: fake.api_url(),
    };
    let mut check = Checker::new();

    let (_, tables) = api.get("/tables").await;
    check.object("GET /tables", &tables, "GET /tables");
    for table in ["kf_metrics", "kf_rollup_archive"] {
        let (_, configs) = api.get(&format!("/tables/{table}")).await;
        for (kind, config) in configs.as_object().unwrap() {
            let path = format!("GET /tables/{table}.{kind}");
            check.object("TableConfig", config, &path);
            check.object(
                "TableConfig.segmentsConfig",
                &config["segmentsConfig"],
                &format!("{path}.segmentsConfig"),
            );
            check.object("TableConfig.tenants", &config["tenants"], &format!("{path}.tenants"));
        }
    }
    let (_, instances) = api.get("/instances").await;
    check.object("Instances", &instances, "GET /instances");
    for name in instances["instances"].as_array().unwrap() {
        let (_, instance) = api.get(&format!("/instances/{}", name.as_str().unwrap())).await;
        check.object("GET /instances/{name}", &instance, "GET /instances/{name}");
    }
    for view in ["idealstate", "externalview"] {
        let (_, table_view) = api.get(&format!("/tables/kf_metrics/{view}?tableType=REALTIME")).await;
        check.object("TableView", &table_view, view);
    }

    // The consumers of a REALTIME table: one stalled partition, one server not answering.
    fake.set_consumer(ConsumerSetting {
        table: "kf_logs_REALTIME".into(),
        partition: 1,
        stalled_seconds: Some(600.0),
        records_lag: None,
        availability_lag_ms: None,
        not_calculated: true,
        consumer_state: Some("NOT_CONSUMING".into()),
    })
    .unwrap();
    for (name, path) in [
        ("fresh", "/tables/kf_metrics/consumingSegmentsInfo"),
        ("stalled", "/tables/kf_logs_REALTIME/consumingSegmentsInfo"),
    ] {
        let (code, info) = api.get(path).await;
        assert_eq!(code, 200, "{name}: {info}");
        check.consuming_segments_info(&info, name);
    }
    let (code, error) = api.get("/tables/kf_rollup_archive_OFFLINE/consumingSegmentsInfo").await;
    assert_eq!(code, 500, "an OFFLINE table: {error}");
    check.error(&error, "consumingSegmentsInfo of an OFFLINE table");
    fake.reset_consumers();

    // A new server and the dry run with pre-checks and summary a plan would make.
    fake.set_server_pod("pinot-server-realtime-3", true, None);
    let (code, dry) = api
        .post("/tables/kf_metrics/rebalance?type=REALTIME&dryRun=true&preChecks=true")
        .await;
    assert_eq!(code, 200);
    assert_eq!(dry["status"], "DONE");
    check.rebalance_result(&dry, "dry run");
    let (_, no_op) = api
        .post("/tables/kf_logs/rebalance?type=REALTIME&dryRun=true&reassignInstances=false")
        .await;
    assert_eq!(no_op["status"], "NO_OP");
    check.rebalance_result(&no_op, "no-op dry run");
    let (_, failed) = api
        .post("/tables/kf_metrics/rebalance?type=REALTIME&preChecks=true")
        .await;
    assert_eq!(failed["status"], "FAILED");
    check.rebalance_result(&failed, "pre-checks without dry run");

    // A tracked job: started, conflicting, in progress, done.
    let (_, started) = api
        .post("/tables/kf_metrics/rebalance?type=REALTIME&minAvailableReplicas=1")
        .await;
    assert_eq!(started["status"], "IN_PROGRESS");
    check.rebalance_result(&started, "async start");
    let job = started["jobId"].as_str().unwrap().to_string();
    let (code, conflict) = api.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    assert_eq!(code, 409);
    check.error(&conflict, "409");
    let (_, running) = api.get(&format!("/rebalanceStatus/{job}")).await;
    assert_eq!(running["tableRebalanceProgressStats"]["status"], "IN_PROGRESS");
    check.job_status(&running, "status (IN_PROGRESS)");
    let (_, updating) = api.get("/tables/kf_metrics/segmentsStatus").await;
    for (index, segment) in updating.as_array().unwrap().iter().enumerate() {
        check.object("SegmentStatusInfo", segment, &format!("segmentsStatus[{index}]"));
    }
    clock.advance(Duration::from_secs(600));
    let (_, done) = api.get(&format!("/rebalanceStatus/{job}")).await;
    assert_eq!(done["tableRebalanceProgressStats"]["status"], "DONE");
    check.job_status(&done, "status (DONE)");

    // A job that fails (its servers stop loading) and one that is cancelled.
    fake.fault(Fault::StallLoading {
        table: Some("kf_logs_REALTIME".into()),
    })
    .unwrap();
    let (_, logs) = api
        .post("/tables/kf_logs/rebalance?type=REALTIME&externalViewStabilizationTimeoutInMs=60000")
        .await;
    clock.advance(Duration::from_secs(120));
    let (_, failed_job) = api
        .get(&format!("/rebalanceStatus/{}", logs["jobId"].as_str().unwrap()))
        .await;
    assert_eq!(failed_job["tableRebalanceProgressStats"]["status"], "FAILED");
    check.job_status(&failed_job, "status (FAILED)");
    let (_, downtime) = api
        .post("/tables/kf_rollup_archive/rebalance?type=OFFLINE&downtime=true&dryRun=true")
        .await;
    check.rebalance_result(&downtime, "offline dry run");
    fake.set_server_pod("pinot-server-realtime-4", true, None);
    let (_, again) = api.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    let (_, cancelled) = api
        .call(reqwest::Method::DELETE, "/tables/kf_metrics/rebalance?type=REALTIME")
        .await;
    assert_eq!(cancelled, json!([again["jobId"]]));
    let (_, cancelled_status) = api
        .get(&format!("/rebalanceStatus/{}", again["jobId"].as_str().unwrap()))
        .await;
    check.job_status(&cancelled_status, "status (CANCELLED)");

    let (_, jobs) = api.get("/table/kf_metrics/jobs?jobTypes=TABLE_REBALANCE").await;
    assert_eq!(jobs.as_object().unwrap().len(), 2);
    for (id, metadata) in jobs.as_object().unwrap() {
        check.object("GET /table/{t}/jobs job metadata", metadata, &format!("jobs[{id}]"));
        let stats: Value = serde_json::from_str(metadata["REBALANCE_PROGRESS_STATS"].as_str().unwrap()).unwrap();
        check.progress_stats(&stats, &format!("jobs[{id}].REBALANCE_PROGRESS_STATS"));
        let context: Value = serde_json::from_str(metadata["REBALANCE_CONTEXT"].as_str().unwrap()).unwrap();
        check.context(&context, &format!("jobs[{id}].REBALANCE_CONTEXT"));
    }

    let server = "Server_pinot-server-realtime-4.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098";
    let (_, updated) = api
        .call(
            reqwest::Method::PUT,
            &format!("/instances/{server}/updateTags?tags=DefaultTenant_REALTIME"),
        )
        .await;
    check.object("SuccessResponse", &updated, "updateTags");
    for path in [
        "/rebalanceStatus/nope",
        "/tables/nope/segmentsStatus",
        "/instances/nope",
        "/tables/nope",
    ] {
        let (code, error) = api.get(path).await;
        assert_eq!(code, 404, "{path}");
        check.error(&error, path);
    }
    let (code, error) = api.post("/tables/kf_metrics/rebalance").await;
    assert_eq!(code, 400, "no type");
    check.error(&error, "no type");

    let checked = check.finish();
    let all: std::collections::BTreeSet<String> = shapes()
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !["POST /tables/{t}/rebalance query parameters", "preChecksResult"].contains(&k.as_str()))
        .cloned()
        .collect();
    let missed: Vec<&String> = all.difference(&checked).collect();
    assert!(missed.is_empty(), "shapes never exercised: {missed:?}");
    fake.stop().await;
}

#[tokio::test]
async fn rebalance_accepts_every_parameter_of_the_resource_with_its_defaults() {
    let spec = &shapes()["POST /tables/{t}/rebalance query parameters"];
    let declared: std::collections::BTreeSet<&str> = spec["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .filter(|f| *f != "type")
        .collect();
    let served: std::collections::BTreeSet<&str> = REBALANCE_PARAMETERS.iter().copied().collect();
    assert_eq!(
        served, declared,
        "the fake parses exactly the query parameters PinotTableRestletResource declares"
    );

    let clock = ModelClock::new(0.0);
    let fake = PinotFake::start(&Seed::example(), 0, clock).await.unwrap();
    fake.set_server_pod("pinot-server-realtime-3", true, None);
    let api = Client {
        http: reqwest::Client::new(),
        base: fake.api_url(),
    };
    let (_, started) = api.post("/tables/kf_metrics/rebalance?type=REALTIME").await;
    let (_, status) = api
        .get(&format!("/rebalanceStatus/{}", started["jobId"].as_str().unwrap()))
        .await;
    let config = &status["tableRebalanceContext"]["config"];
    for (name, default) in spec["defaults"].as_object().unwrap() {
        let value = &config[name];
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_f64() => format!("{:?}", n.as_f64().unwrap()),
            other => other.to_string(),
        };
        assert_eq!(&json!(text), default, "default of {name}");
    }
    for value in spec["enums"]["minimizeDataMovement"].as_array().unwrap() {
        let (code, _) = api
            .post(&format!(
                "/tables/kf_logs/rebalance?type=REALTIME&dryRun=true&minimizeDataMovement={}",
                value.as_str().unwrap()
            ))
            .await;
        assert_eq!(code, 200, "{value}");
    }
    let (code, body) = api
        .post("/tables/kf_logs/rebalance?type=REALTIME&dryRun=true&minimizeDataMovement=SOMETIMES")
        .await;
    assert_eq!(
        (code, body["error"].as_str()),
        (404, Some("HTTP 404 Not Found")),
        "Jersey cannot convert the enum"
    );
    fake.stop().await;
}

#[test]
fn the_checker_catches_unknown_and_missing_fields_and_bad_enums() {
    let mut check = Checker::new();
    check.object(
        "RebalanceResult",
        &json!({"jobId": "x", "status": "RUNNING", "summary": {}}),
        "r",
    );
    let text = check.errors.join("\n");
    assert!(text.contains("r.summary: not a field of RebalanceResult"), "{text}");
    assert!(text.contains("r: RebalanceResult lacks `description`"), "{text}");
    assert!(text.contains("r.status: \"RUNNING\" is not one of"), "{text}");
    assert_eq!(check.errors.len(), 3);
}
