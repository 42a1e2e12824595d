//! What the AKS fake's tests share: a small ARM client on reqwest and a seed with every kind of pool.
use serde_json::{Value, json};

use kfscale_fakes::aks::Seed;

pub const SUBSCRIPTION: &str = "00000000-0000-4000-8000-0000000000aa";
pub const API_VERSION: &str = "2026-06-01";
pub const CLUSTER_PATH: &str = "subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/kfuse-rg/providers/Microsoft.ContainerService/managedClusters/kfuse";

/// A cluster with a system pool, a zonal user pool with labels and taints, and an autoscaled pool.
pub fn seed(operation_seconds: f64) -> Seed {
    serde_json::from_value(json!({
        "subscriptions": [{"subscriptionId": SUBSCRIPTION, "displayName": "kfscale-test"}],
        "clusters": [{
            "resourceGroup": "kfuse-rg", "name": "kfuse", "location": "westeurope",
            "agentPools": [
                {"name": "system", "count": 1, "vmSize": "Standard_D4s_v5", "mode": "System"},
                {"name": "kfuse", "count": 3, "vmSize": "Standard_D8s_v5", "availabilityZones": ["1", "2", "3"],
                 "nodeLabels": {"kf_role": "data"}, "nodeTaints": ["kf_role=data:NoSchedule"]},
                {"name": "auto", "count": 2, "vmSize": "Standard_D8s_v5",
                 "enableAutoScaling": true, "minCount": 1, "maxCount": 4}
            ]
        }],
        "timing": {"operationSeconds": operation_seconds}
    }))
    .unwrap()
}

/// An answer: status, headers, JSON body (Null when empty).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Arm {
    pub http: reqwest::Client,
    /// Ends in `/`.
    pub base: String,
}

impl Arm {
    pub fn new(base: &str) -> Arm {
        Arm {
            http: reqwest::Client::new(),
            base: base.to_string(),
        }
    }

    /// `path` under the base; `?api-version=` is added unless the path has a query.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            return path.to_string();
        }
        let separator = if path.contains('?') { "&" } else { "?" };
        format!("{}{path}{separator}api-version={API_VERSION}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.bearer_auth("test-token").send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
        };
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send(self.http.put(self.url(path)).json(body)).await
    }

    pub fn pool_path(pool: &str) -> String {
        format!("{CLUSTER_PATH}/agentPools/{pool}")
    }

    /// GET the pool, change `changes` in its properties and PUT it back, as `az aks nodepool` does.
    pub async fn update_pool(&self, pool: &str, changes: Value) -> Answer {
        let mut current = self.get(&Arm::pool_path(pool)).await.body;
        for (key, value) in changes.as_object().unwrap() {
            current["properties"][key] = value.clone();
        }
        self.put(&Arm::pool_path(pool), &current).await
    }
}
