//! The AKS fake's behaviour as ARM's: a PUT shows the requested pool at once (`Updating`) and hands
//! out its `Azure-AsyncOperation` URL; the machines arrive when the operation succeeds on the model
//! clock; one operation per cluster; `If-Match`; failed operations and reconciling PUTs; the errors
//! ARM's front door and the resource provider give; the managed-identity endpoint.
use std::time::Duration;

use kfscale_fakes::aks::{AksFake, IDENTITY_HEADER};
use kfscale_fakes::clock::ModelClock;
use serde_json::{Value, json};

use crate::aks_common::{Arm, CLUSTER_PATH, SUBSCRIPTION, seed};

const PUT: &str = "AgentPools_CreateOrUpdate";

async fn started() -> (AksFake, Arm) {
    let fake = AksFake::start(&seed(60.0), 0, ModelClock::new(0.0)).await.unwrap();
    let arm = Arm::new(&fake.api_url());
    (fake, arm)
}

fn advance(fake: &AksFake, seconds: u64) {
    fake.clock().advance(Duration::from_secs(seconds));
}

#[tokio::test]
async fn a_scale_is_followed_through_its_async_operation_and_adds_the_machines_at_its_end() {
    let (fake, arm) = started().await;
    let put = arm.update_pool("kfuse", json!({"count": 5})).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["properties"]["count"], 5);
    assert_eq!(put.body["properties"]["provisioningState"], "Updating");
    assert_eq!(put.header("retry-after"), Some("1"));
    let status_url = put.header("azure-asyncoperation").unwrap().to_string();
    assert!(
        status_url.starts_with(&format!(
            "{}subscriptions/{SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/westeurope/operations/",
            fake.api_url()
        )) && status_url.ends_with("?api-version=2026-06-01"),
        "{status_url}"
    );
    // ARM shows the pool as asked; the machines are not there yet.
    let pool = fake.pool("kfuse", "kfuse").unwrap();
    assert_eq!(
        (pool.count, pool.nodes, pool.provisioning_state.as_str()),
        (5, 3, "Updating")
    );
    let running = arm.get(&status_url).await;
    assert_eq!(running.body["status"], "InProgress");
    assert!(running.body.get("endTime").is_none());
    assert_eq!(running.header("retry-after"), Some("1"));

    advance(&fake, 60);
    let done = arm.get(&status_url).await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.body);
    assert!(done.body["endTime"].is_string());
    assert_eq!(done.header("retry-after"), None);
    let pool = fake.pool("kfuse", "kfuse").unwrap();
    assert_eq!(
        (pool.count, pool.nodes, pool.provisioning_state.as_str()),
        (5, 5, "Succeeded")
    );
    assert_eq!(fake.mutations(), [(PUT.to_string(), 1)].into());
    fake.stop().await;
}

#[tokio::test]
async fn one_operation_at_a_time_per_cluster() {
    let (fake, arm) = started().await;
    assert_eq!(arm.update_pool("kfuse", json!({"count": 4})).await.status, 200);
    let refused = arm.update_pool("auto", json!({"count": 3})).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["error"]["code"], "OperationNotAllowed");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Another operation (Updating) is in progress")
    );
    // Refused, and counted all the same: a test proves what a client sent.
    assert_eq!(fake.mutations()[PUT], 2);
    advance(&fake, 60);
    assert_eq!(arm.update_pool("auto", json!({"count": 3})).await.status, 200);
    fake.stop().await;
}

#[tokio::test]
async fn if_match_wants_the_etag_the_client_read() {
    let (fake, arm) = started().await;
    let read = arm.get(&Arm::pool_path("kfuse")).await.body;
    let etag = read["properties"]["eTag"].as_str().unwrap().to_string();
    let mut body = read.clone();
    body["properties"]["count"] = json!(4);
    let put_with = |etag: String| {
        let (arm, body) = (&arm, &body);
        async move {
            arm.send(
                arm.http
                    .put(arm.url(&Arm::pool_path("kfuse")))
                    .header("If-Match", format!("\"{etag}\""))
                    .json(body),
            )
            .await
        }
    };
    let stale = put_with("00000000-stale".into()).await;
    assert_eq!(
        (stale.status, stale.body["error"]["code"].as_str()),
        (412, Some("PreconditionFailed"))
    );
    let fresh = put_with(etag.clone()).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_ne!(
        fresh.body["properties"]["eTag"],
        json!(etag),
        "a change makes a new eTag"
    );
    fake.stop().await;
}

#[tokio::test]
async fn a_failed_operation_leaves_the_machines_and_a_new_put_reconciles() {
    let (fake, arm) = started().await;
    fake.add_fault(serde_json::from_value(json!({"kind": "operation_error", "count": 1})).unwrap());
    let put = arm.update_pool("kfuse", json!({"count": 6})).await;
    let status_url = put.header("azure-asyncoperation").unwrap().to_string();
    advance(&fake, 60);
    let failed = arm.get(&status_url).await.body;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(failed["error"]["code"], "QuotaExceeded");
    let pool = fake.pool("kfuse", "kfuse").unwrap();
    assert_eq!(
        (pool.count, pool.nodes, pool.provisioning_state.as_str()),
        (6, 3, "Failed")
    );
    // The same PUT again is how a Failed pool is reconciled.
    let again = arm.update_pool("kfuse", json!({"count": 6})).await;
    assert_eq!(again.status, 200);
    advance(&fake, 60);
    let pool = fake.pool("kfuse", "kfuse").unwrap();
    assert_eq!((pool.nodes, pool.provisioning_state.as_str()), (6, "Succeeded"));
    fake.stop().await;
}

#[tokio::test]
async fn autoscaled_pools_keep_their_count_within_the_bounds() {
    let (fake, arm) = started().await;
    let outside = arm.update_pool("auto", json!({"count": 6})).await;
    assert_eq!(outside.status, 400);
    assert_eq!(outside.body["error"]["code"], "InvalidParameter");
    let raised = arm.update_pool("auto", json!({"count": 6, "maxCount": 6})).await;
    assert_eq!(raised.status, 200, "{}", raised.body);
    advance(&fake, 60);
    let pool = fake.pool("kfuse", "auto").unwrap();
    assert_eq!((pool.nodes, pool.min_count, pool.max_count), (6, Some(1), Some(6)));
    let fixed = arm.update_pool("kfuse", json!({"vmSize": "Standard_D2s_v5"})).await;
    assert_eq!(fixed.body["error"]["code"], "PropertyChangeNotAllowed");
    fake.stop().await;
}

#[tokio::test]
async fn front_door_errors_and_injected_faults_use_arms_error_body() {
    let (fake, arm) = started().await;
    let path = Arm::pool_path("kfuse");
    let anonymous = reqwest::get(arm.url(&path)).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "AuthenticationFailed");
    let unversioned = arm.send(arm.http.get(format!("{}{path}", arm.base))).await;
    assert_eq!(unversioned.body["error"]["code"], "MissingApiVersionParameter");
    assert_eq!(arm.get(&Arm::pool_path("nope")).await.status, 404);
    assert_eq!(
        arm.get(&format!("{CLUSTER_PATH}x/agentPools")).await.body["error"]["code"],
        "ResourceNotFound"
    );
    let missing = arm
        .get(&format!(
            "subscriptions/{SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/westeurope/operations/unknown"
        ))
        .await;
    assert_eq!(missing.status, 404);

    fake.add_fault(
        serde_json::from_value(
            json!({"kind": "http_error", "method": "mutations", "code": 429, "retry_after_seconds": 7, "count": 1}),
        )
        .unwrap(),
    );
    fake.add_fault(
        serde_json::from_value(json!({"kind": "http_error", "method": "AgentPools_Get", "code": 403, "count": 1}))
            .unwrap(),
    );
    let forbidden = arm.get(&path).await;
    assert_eq!(
        (forbidden.status, forbidden.body["error"]["code"].as_str()),
        (403, Some("AuthorizationFailed"))
    );
    let throttled = arm.update_pool("kfuse", json!({"count": 4})).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("7"));
    assert_eq!(
        fake.pool("kfuse", "kfuse").unwrap().count,
        3,
        "a refused PUT changes nothing"
    );
    assert_eq!(arm.update_pool("kfuse", json!({"count": 4})).await.status, 200);
    fake.stop().await;
}

#[tokio::test]
async fn the_managed_identity_endpoint_hands_out_tokens_naming_the_tenant() {
    let (fake, _) = started().await;
    let http = reqwest::Client::new();
    let query = [
        ("api-version", "2019-08-01"),
        ("resource", "https://management.azure.com/"),
    ];
    let refused = http.get(fake.identity_url()).query(&query).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let token: Value = http
        .get(fake.identity_url())
        .query(&query)
        .header("X-IDENTITY-HEADER", IDENTITY_HEADER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["expires_on"].as_str().unwrap().parse::<u64>().is_ok());
    let claims = token["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    // base64url without padding, decoded by hand: the claims are JSON naming the seed's tenant.
    let decoded = base64url_decode(&claims);
    let claims: Value = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(claims["tid"], "72f988bf-0000-4000-8000-00000000fa4e");
    assert_eq!(claims["aud"], "https://management.azure.com/");
    assert_eq!(fake.tokens_issued(), 1);
    fake.stop().await;
}

fn base64url_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let values: Vec<u32> = text
        .bytes()
        .map(|b| ALPHABET.iter().position(|a| *a == b).unwrap() as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
