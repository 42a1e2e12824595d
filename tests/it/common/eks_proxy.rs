//! A counting reverse proxy in front of the rig's moto, for tests that must prove how often kfscale
//! mutated an EKS node group: moto keeps no request counters and has no DescribeUpdate, so the
//! proxy is where the requests are seen. Point kfscale at it with `cluster.aws.endpoint: <url>`.
//!
//! Every request is forwarded as it came (method, path, query, headers, body) and recorded under
//! its EKS operation name, with the `clientRequestToken` it carried. [`EksProxy::swallow`] makes
//! the proxy keep the requests of one operation without forwarding or answering them: a request
//! lost together with the process that sent it (kill -9 while it is in flight).
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, Result};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use kfscale_rig::RigEnv;

pub const UPDATE_NODEGROUP_CONFIG: &str = "UpdateNodegroupConfig";
pub const DESCRIBE_NODEGROUP: &str = "DescribeNodegroup";

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct ProxiedRequest {
    /// The EKS operation (`UpdateNodegroupConfig`, ...), or `METHOD /path` for one not named here.
    pub op: String,
    pub method: String,
    pub path: String,
    /// `clientRequestToken` of the JSON body, when it has one.
    pub token: Option<String>,
    /// False when it was swallowed: moto never saw it.
    pub forwarded: bool,
}

pub struct EksProxy {
    url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    requests: Mutex<Vec<ProxiedRequest>>,
    swallowed: Mutex<BTreeSet<String>>,
}

impl EksProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to the rig's moto (`AWS_ENDPOINT_URL_EKS`).
    pub async fn start(rig: &RigEnv) -> Result<EksProxy> {
        let upstream = rig.get("AWS_ENDPOINT_URL_EKS")?.trim_end_matches('/').to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the EKS proxy")?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            upstream,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
            requests: Mutex::default(),
            swallowed: Mutex::default(),
        });
        let app = axum::Router::new().fallback(forward).with_state(shared.clone());
        // Aborted on drop rather than shut down gracefully: a swallowed request never completes.
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(EksProxy { url, shared, task })
    }

    /// The endpoint for `cluster.aws.endpoint`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests of `op` received so far, forwarded or not.
    pub fn count(&self, op: &str) -> usize {
        self.requests().iter().filter(|r| r.op == op).count()
    }

    /// Requests of `op` that reached moto.
    pub fn forwarded(&self, op: &str) -> usize {
        self.requests().iter().filter(|r| r.op == op && r.forwarded).count()
    }

    /// The `clientRequestToken` of each UpdateNodegroupConfig received, in order (None: sent without).
    pub fn tokens(&self) -> Vec<Option<String>> {
        self.requests()
            .into_iter()
            .filter(|r| r.op == UPDATE_NODEGROUP_CONFIG)
            .map(|r| r.token)
            .collect()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// From now on, requests of `op` are recorded but neither forwarded nor answered.
    pub fn swallow(&self, op: &str) {
        lock(&self.shared.swallowed).insert(op.to_string());
    }

    /// Forward requests of `op` again.
    pub fn pass(&self, op: &str) {
        lock(&self.shared.swallowed).remove(op);
    }
}

impl Drop for EksProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A poisoned lock only means a test thread panicked while holding it; the data is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(body) => body,
        Err(err) => return (StatusCode::BAD_REQUEST, format!("EKS proxy: reading the body: {err}")).into_response(),
    };
    let path = parts.uri.path().to_string();
    let op = operation(parts.method.as_str(), &path);
    let token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["clientRequestToken"].as_str().map(str::to_string));
    let swallow = lock(&shared.swallowed).contains(&op);
    lock(&shared.requests).push(ProxiedRequest {
        op,
        method: parts.method.to_string(),
        path: path.clone(),
        token,
        forwarded: !swallow,
    });
    if swallow {
        return std::future::pending().await;
    }
    let query = parts.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("{}{path}{query}", shared.upstream);
    let answer = shared
        .http
        .request(parts.method, &url)
        .headers(end_to_end(&parts.headers))
        .body(body)
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let status = answer.status();
            let headers = end_to_end(answer.headers());
            let body: Bytes = answer.bytes().await.unwrap_or_default();
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
        Err(err) => (StatusCode::BAD_GATEWAY, format!("EKS proxy: {url}: {err}")).into_response(),
    }
}

/// The headers that travel end to end: hop-by-hop ones, the host and the length are the
/// connection's own, set again by each side.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP: [&str; 6] = [
        "host",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "upgrade",
    ];
    headers
        .iter()
        .filter(|(name, _)| !HOP.contains(&name.as_str()))
        .map(|(name, value)| (HeaderName::clone(name), value.clone()))
        .collect()
}

/// The EKS operation of a REST request (the routes of the EKS API reference).
fn operation(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["clusters", _, "node-groups", _, "update-config"]) => UPDATE_NODEGROUP_CONFIG,
        ("POST", ["clusters", _, "node-groups", _, "update-version"]) => "UpdateNodegroupVersion",
        ("GET", ["clusters", _, "node-groups", _]) => DESCRIBE_NODEGROUP,
        ("DELETE", ["clusters", _, "node-groups", _]) => "DeleteNodegroup",
        ("GET", ["clusters", _, "node-groups"]) => "ListNodegroups",
        ("POST", ["clusters", _, "node-groups"]) => "CreateNodegroup",
        ("GET", ["clusters", _, "updates", _]) => "DescribeUpdate",
        ("GET", ["clusters", _, "updates"]) => "ListUpdates",
        ("GET", ["clusters", _]) => "DescribeCluster",
        ("GET", ["clusters"]) => "ListClusters",
        ("POST", ["clusters"]) => "CreateCluster",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}
