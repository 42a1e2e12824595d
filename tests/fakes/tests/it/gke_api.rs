//! Behaviour of the GKE fake through its HTTP API: operations on the model clock, per-zone sizes,
//! conflicts, quota, faults, the autoscaler, the instance-group read, the mutation counter.
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{GkeFake, Seed};
use serde_json::{Value, json};

const POOL: &str = "v1/projects/kfuse-project/locations/us-central1/clusters/kfuse/nodePools/kfuse-pool";
const OPERATIONS: &str = "v1/projects/kfuse-project/locations/us-central1/operations";

struct Fixture {
    fake: GkeFake,
    clock: ModelClock,
    http: reqwest::Client,
}

impl Fixture {
    async fn start(seed: Seed) -> Fixture {
        let clock = ModelClock::new(0.0);
        let fake = GkeFake::start(&seed, 0, clock.clone()).await.unwrap();
        Fixture {
            fake,
            clock,
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.fake.api_url()))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.fake.api_url());
        let response = self.http.post(url).bearer_auth("t").json(&body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}/{path}", self.fake.control_url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "control {path}: {}", response.status());
        response.json().await.unwrap()
    }

    fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }

    async fn resize(&self, count: u32) -> String {
        let (code, op) = self.post(&format!("{POOL}:setSize"), json!({"nodeCount": count})).await;
        assert_eq!(code, 200, "{op}");
        op["name"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn resize_goes_pending_running_done_and_sets_every_zone() {
    let f = Fixture::start(Seed::example()).await;
    let op = f.resize(4).await;
    let (_, pending) = f.get(&format!("{OPERATIONS}/{op}")).await;
    assert_eq!(
        (pending["status"].as_str(), pending["operationType"].as_str()),
        (Some("PENDING"), Some("SET_NODE_POOL_SIZE"))
    );
    f.advance(5);
    let (_, running) = f.get(&format!("{OPERATIONS}/{op}")).await;
    assert_eq!(running["status"], "RUNNING");
    let (_, pool) = f.get(POOL).await;
    assert_eq!(pool["status"], "RECONCILING");
    assert_eq!(
        f.fake.pool_sizes("kfuse", "kfuse-pool").unwrap().values().sum::<u32>(),
        6,
        "unchanged until DONE"
    );
    f.advance(90);
    let (_, done) = f.get(&format!("{OPERATIONS}/{op}")).await;
    assert_eq!(done["status"], "DONE");
    assert!(done["endTime"].is_string() && done.get("error").is_none());
    let sizes = f.fake.pool_sizes("kfuse", "kfuse-pool").unwrap();
    assert_eq!(
        sizes.values().copied().collect::<Vec<_>>(),
        vec![4, 4, 4],
        "nodeCount is per zone"
    );
    let (_, pool) = f.get(POOL).await;
    assert_eq!(
        (pool["status"].as_str(), pool["initialNodeCount"].as_u64()),
        (Some("RUNNING"), Some(2))
    );
    let (_, cluster) = f
        .get("v1/projects/kfuse-project/locations/us-central1/clusters/kfuse")
        .await;
    assert_eq!(cluster["nodePools"][0]["name"], "kfuse-pool");
    assert_eq!(cluster["currentNodeCount"], 12);
}

#[tokio::test]
async fn the_instance_groups_carry_the_current_size() {
    let f = Fixture::start(Seed::example()).await;
    f.resize(5).await;
    f.advance(100);
    let (_, pool) = f.get(POOL).await;
    let urls: Vec<String> = pool["instanceGroupUrls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 3);
    for url in urls {
        let response = f.http.get(&url).bearer_auth("t").send().await.unwrap();
        let manager: Value = response.json().await.unwrap();
        assert_eq!(
            (manager["targetSize"].as_u64(), manager["status"]["isStable"].as_bool()),
            (Some(5), Some(true))
        );
    }
}

#[tokio::test]
async fn a_mutation_while_an_operation_runs_is_a_failed_precondition() {
    let f = Fixture::start(Seed::example()).await;
    let first = f.resize(3).await;
    let (code, error) = f.post(&format!("{POOL}:setSize"), json!({"nodeCount": 5})).await;
    assert_eq!(code, 400);
    assert_eq!(error["error"]["status"], "FAILED_PRECONDITION");
    assert!(error["error"]["message"].as_str().unwrap().contains(&first));
    let body = json!({"autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 9}});
    let (code, _) = f.post(&format!("{POOL}:setAutoscaling"), body).await;
    assert_eq!(code, 400);
    f.advance(95);
    f.resize(5).await;
    let counts = f.control(reqwest::Method::GET, "mutations", None).await;
    assert_eq!(
        counts["container.projects.locations.clusters.nodePools.setSize"], 3,
        "refused requests count too"
    );
    assert_eq!(
        counts["container.projects.locations.clusters.nodePools.setAutoscaling"],
        1
    );
}

#[tokio::test]
async fn the_concurrent_operation_quota_gives_429() {
    let mut seed: Seed = serde_json::from_value(json!({
        "project": "kfuse-project",
        "concurrentOperationsQuota": 1,
        "clusters": [
            {"name": "kfuse", "location": "us-central1", "locations": ["us-central1-a"],
             "nodePools": [{"name": "kfuse-pool", "machineType": "n2-standard-16", "initialNodeCount": 2}]},
            {"name": "other", "location": "us-central1", "locations": ["us-central1-a"],
             "nodePools": [{"name": "p", "machineType": "n2-standard-16", "initialNodeCount": 2}]}
        ]
    }))
    .unwrap();
    seed.timing.operation_running_seconds = 30.0;
    let f = Fixture::start(seed).await;
    f.resize(3).await;
    let other = "v1/projects/kfuse-project/locations/us-central1/clusters/other/nodePools/p:setSize";
    let (code, error) = f.post(other, json!({"nodeCount": 3})).await;
    assert_eq!(
        (code, error["error"]["status"].as_str()),
        (429, Some("RESOURCE_EXHAUSTED"))
    );
    f.advance(60);
    assert_eq!(f.post(other, json!({"nodeCount": 3})).await.0, 200);
}

#[tokio::test]
async fn injected_http_errors_latency_and_operation_errors() {
    let f = Fixture::start(Seed::example()).await;
    let faults = json!([
        {"kind": "http_error", "method": "mutations", "code": 429, "count": 1},
        {"kind": "http_error", "method": "container.projects.locations.clusters.nodePools.get", "code": 503, "count": 2},
        {"kind": "latency", "method": "container.projects.locations.operations.get", "millis": 200, "count": 1},
        {"kind": "operation_error", "status": "RESOURCE_EXHAUSTED", "message": "ZONE_RESOURCE_POOL_EXHAUSTED", "count": 1}
    ]);
    f.control(reqwest::Method::POST, "faults", Some(faults)).await;
    let (code, error) = f.post(&format!("{POOL}:setSize"), json!({"nodeCount": 4})).await;
    assert_eq!(
        (code, error["error"]["status"].as_str()),
        (429, Some("RESOURCE_EXHAUSTED"))
    );
    assert_eq!(f.get(POOL).await.0, 503);
    assert_eq!(f.get(POOL).await.0, 503);
    assert_eq!(f.get(POOL).await.0, 200);
    let op = f.resize(4).await;
    let started = std::time::Instant::now();
    f.advance(100);
    let (_, done) = f.get(&format!("{OPERATIONS}/{op}")).await;
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "latency fault delays the answer"
    );
    assert_eq!(done["status"], "DONE");
    assert_eq!(done["statusMessage"], "ZONE_RESOURCE_POOL_EXHAUSTED");
    assert_eq!(done["error"]["code"], 8);
    assert!(
        f.fake
            .pool_sizes("kfuse", "kfuse-pool")
            .unwrap()
            .values()
            .all(|&n| n == 2),
        "a failed resize changes nothing"
    );
    assert_eq!(
        f.control(reqwest::Method::GET, "faults", None).await,
        json!([]),
        "counted faults are used up"
    );
}

#[tokio::test]
async fn the_autoscaler_shrinks_a_pool_whose_bounds_were_not_raised() {
    let f = Fixture::start(Seed::example()).await;
    let body = json!({"autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 3}});
    let (code, op) = f.post(&format!("{POOL}:setAutoscaling"), body).await;
    assert_eq!((code, op["operationType"].as_str()), (200, Some("UPDATE_CLUSTER")));
    f.advance(100);
    f.resize(5).await;
    f.advance(100);
    assert!(
        f.fake
            .pool_sizes("kfuse", "kfuse-pool")
            .unwrap()
            .values()
            .all(|&n| n == 5)
    );
    f.advance(60);
    assert!(
        f.fake
            .pool_sizes("kfuse", "kfuse-pool")
            .unwrap()
            .values()
            .all(|&n| n == 3),
        "back within maxNodeCount"
    );
    let (_, pool) = f.get(POOL).await;
    assert_eq!(
        pool["autoscaling"],
        json!({"enabled": true, "minNodeCount": 1, "maxNodeCount": 3, "locationPolicy": "BALANCED"})
    );
}

#[tokio::test]
async fn requests_without_a_bearer_token_are_refused() {
    let f = Fixture::start(Seed::example()).await;
    let response = f.http.get(format!("{}{POOL}", f.fake.api_url())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = f
        .http
        .post(format!("{}{POOL}:setSize", f.fake.api_url()))
        .json(&json!({"nodeCount": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        f.fake
            .pool_sizes("kfuse", "kfuse-pool")
            .unwrap()
            .values()
            .all(|&n| n == 2)
    );
}

#[tokio::test]
async fn zonal_paths_reach_the_same_pools() {
    let seed: Seed = serde_json::from_value(json!({
        "clusters": [{"name": "z", "location": "us-east1-b",
                      "nodePools": [{"name": "default-pool", "machineType": "e2-standard-4", "initialNodeCount": 3}]}]
    }))
    .unwrap();
    let f = Fixture::start(seed).await;
    let zonal = "v1/projects/kfuse-project/zones/us-east1-b/clusters/z/nodePools/default-pool";
    let (code, op) = f.post(&format!("{zonal}/setSize"), json!({"nodeCount": 1})).await;
    assert_eq!(code, 200, "{op}");
    f.advance(100);
    let (_, done) = f
        .get(&format!(
            "v1/projects/kfuse-project/zones/us-east1-b/operations/{}",
            op["name"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["status"], "DONE");
    let (_, pool) = f
        .get("v1/projects/kfuse-project/locations/us-east1-b/clusters/z/nodePools/default-pool")
        .await;
    assert_eq!(pool["locations"], json!(["us-east1-b"]));
    assert_eq!(f.fake.pool_sizes("z", "default-pool").unwrap()["us-east1-b"], 1);
    let counts = f.control(reqwest::Method::GET, "mutations", None).await;
    assert_eq!(
        counts,
        json!({"container.projects.zones.clusters.nodePools.setSize": 1})
    );
}

#[tokio::test]
async fn the_rig_reads_pool_sizes_from_the_control_endpoint() {
    let f = Fixture::start(Seed::example()).await;
    f.resize(3).await;
    f.control(reqwest::Method::POST, "clock/advance", Some(json!({"seconds": 120})))
        .await;
    let pools = f.control(reqwest::Method::GET, "pools", None).await;
    assert_eq!(
        pools[0]["zones"],
        json!({"us-central1-a": 3, "us-central1-b": 3, "us-central1-c": 3})
    );
    assert_eq!(pools[0]["total"], 9);
    assert_eq!(pools[0]["labels"], json!({"kf_role": "data"}));
}

#[tokio::test]
async fn enums_are_proto_numbers_when_the_client_asks_for_them() {
    let f = Fixture::start(Seed::example()).await;
    // What google-cloud-container-v1 sends on every call.
    let (_, pool) = f.get(&format!("{POOL}?%24alt=json%3Benum-encoding%3Dint")).await;
    assert_eq!(
        (pool["status"].as_i64(), pool["upgradeSettings"]["strategy"].as_i64()),
        (Some(2), Some(3))
    );
    let response = f
        .http
        .post(format!(
            "{}{POOL}:setSize?$alt=json;enum-encoding=int",
            f.fake.api_url()
        ))
        .bearer_auth("t")
        .json(&json!({"nodeCount": 3}))
        .send()
        .await
        .unwrap();
    let op: Value = response.json().await.unwrap();
    assert_eq!(
        (op["status"].as_i64(), op["operationType"].as_i64()),
        (Some(1), Some(14))
    );
    let (_, named) = f.get(POOL).await;
    assert_eq!(named["status"], "RUNNING", "names otherwise, as gcloud asks");
}
