//! A reverse proxy in front of one of the rig's HTTP systems, for the fault matrix: every request is
//! forwarded as it came and recorded under an operation name, unless a fault rule matches it. A
//! rule answers with an error of the system's own shape, holds the request unanswered (a client
//! timeout), or delays it; wrapped in [`Fault::Applied`] it does so only after the system has
//! carried the request out (the answer lost: the case an idempotent client must survive without
//! acting twice); [`FaultProxy::go_away`] closes the port and every open connection (the
//! system going away), [`FaultProxy::come_back`] opens it again on the same address.
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Names a request's operation from its method, path and query (`UpdateNodegroupConfig`,
/// `GET pods`, `GET info/refs?service=git-receive-pack`).
pub type OperationNamer = fn(&str, &str, &str) -> String;

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct ProxiedRequest {
    pub op: String,
    pub method: String,
    pub path: String,
    /// `clientRequestToken` of the JSON body, when it has one (EKS).
    pub token: Option<String>,
    /// The query string (`propagationPolicy` may travel there), empty when none.
    pub query: String,
    /// The body of a request that is not a GET, as text (a delete's `DeleteOptions`, a patch).
    pub body: String,
    /// The User-Agent header: helm's (`Helm/...`) tells its requests from kfscale's.
    pub agent: String,
    /// False when a fault answered or held it: the system never saw it.
    pub forwarded: bool,
    /// The system carried it out and its answer was lost ([`Fault::Applied`]).
    pub answer_lost: bool,
}

/// What a matching rule does to a request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, headers and body instead of forwarding.
    Answer {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Keep the request without forwarding or answering it.
    Hold,
    /// Forward it after this long.
    Delay(Duration),
    /// Forward it and let the system carry it out, then meet the inner fault (an error instead of
    /// the system's answer, or no answer at all).
    Applied(Box<Fault>),
}

struct Rule {
    /// An operation name, or `*` for every request.
    op: String,
    fault: Fault,
    /// None: until cleared.
    remaining: Option<u32>,
}

pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    name: OperationNamer,
    requests: Mutex<Vec<ProxiedRequest>>,
    rules: Mutex<VecDeque<Rule>>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream` with `http`.
    pub async fn start(upstream: &str, http: reqwest::Client, name: OperationNamer) -> Result<FaultProxy> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the fault proxy")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            http,
            name,
            requests: Mutex::default(),
            rules: Mutex::default(),
        });
        let proxy = FaultProxy {
            addr,
            shared,
            server: Mutex::new(None),
        };
        proxy.serve(listener);
        Ok(proxy)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests of `op` received so far, answered by a fault or not.
    pub fn count(&self, op: &str) -> usize {
        self.requests().iter().filter(|r| r.op == op).count()
    }

    /// Requests of `op` that reached the system.
    pub fn forwarded(&self, op: &str) -> usize {
        self.requests().iter().filter(|r| r.op == op && r.forwarded).count()
    }

    /// Requests of `op` the system carried out whose answer was lost.
    pub fn answers_lost(&self, op: &str) -> usize {
        self.requests().iter().filter(|r| r.op == op && r.answer_lost).count()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The next `count` requests of `op` (`*`: any; None: all until cleared) meet `fault`.
    pub fn inject(&self, op: &str, fault: Fault, count: Option<u32>) {
        lock(&self.shared.rules).push_back(Rule {
            op: op.to_string(),
            fault,
            remaining: count,
        });
    }

    /// Removes the rules of `op` (`*`: the rules for any request).
    pub fn clear(&self, op: &str) {
        lock(&self.shared.rules).retain(|rule| rule.op != op);
    }

    /// Removes every rule.
    pub fn clear_all(&self) {
        lock(&self.shared.rules).clear();
    }

    /// Closes the port and every open connection: clients get refused connections and resets.
    pub fn go_away(&self) {
        if let Some(server) = lock(&self.server).take() {
            // The accept loop owns the connections' JoinSet: aborting it aborts them all.
            server.abort();
        }
    }

    /// Opens the port again, on the same address.
    pub async fn come_back(&self) -> Result<()> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .with_context(|| format!("binding {} again", self.addr))?;
        self.serve(listener);
        Ok(())
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = axum::Router::new().fallback(forward).with_state(self.shared.clone());
        let server = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                connections.spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
                // Finished connections leave the set as the loop goes.
                while connections.try_join_next().is_some() {}
            }
        });
        *lock(&self.server) = Some(server);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.go_away();
    }
}

/// A poisoned lock only means a test thread panicked while holding it; the data is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The first rule for `op`, counted as used (and dropped when used up).
fn take_fault(shared: &Shared, op: &str) -> Option<Fault> {
    let mut rules = lock(&shared.rules);
    let index = rules.iter().position(|rule| rule.op == op || rule.op == "*")?;
    let rule = &mut rules[index];
    let fault = rule.fault.clone();
    if let Some(remaining) = rule.remaining.as_mut() {
        *remaining -= 1;
        if *remaining == 0 {
            rules.remove(index);
        }
    }
    Some(fault)
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(body) => body,
        Err(err) => return (StatusCode::BAD_REQUEST, format!("fault proxy: reading the body: {err}")).into_response(),
    };
    let path = parts.uri.path().to_string();
    let op = (shared.name)(parts.method.as_str(), &path, parts.uri.query().unwrap_or(""));
    let token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["clientRequestToken"].as_str().map(str::to_string));
    let fault = take_fault(&shared, &op);
    let forwarded = matches!(fault, None | Some(Fault::Delay(_) | Fault::Applied(_)));
    let agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = if parts.method == axum::http::Method::GET {
        String::new()
    } else {
        String::from_utf8_lossy(&body).into_owned()
    };
    lock(&shared.requests).push(ProxiedRequest {
        op,
        method: parts.method.to_string(),
        path: path.clone(),
        token,
        query: parts.uri.query().unwrap_or("").to_string(),
        body: text,
        agent,
        forwarded,
        answer_lost: matches!(fault, Some(Fault::Applied(_))),
    });
    match fault {
        Some(Fault::Hold) => return std::future::pending().await,
        Some(Fault::Answer { status, headers, body }) => return answer(status, &headers, body),
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Applied(_)) | None => {}
    }
    let query = parts.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("{}{path}{query}", shared.upstream);
    let upstream_answer = shared
        .http
        .request(parts.method, &url)
        .headers(end_to_end(&parts.headers))
        .body(body)
        .send()
        .await;
    if let Some(Fault::Applied(lost)) = fault {
        // The whole answer is read, so the system has finished; the client never sees it.
        if let Ok(unseen) = upstream_answer {
            let _ = unseen.bytes().await;
        }
        return match *lost {
            Fault::Answer { status, headers, body } => answer(status, &headers, body),
            _ => std::future::pending().await,
        };
    }
    match upstream_answer {
        Ok(answer) => {
            let status = answer.status();
            let headers = end_to_end(answer.headers());
            // Streamed, not buffered: a watch (helm waiting for its hook jobs) answers as it goes.
            let mut response = Response::new(Body::from_stream(answer.bytes_stream()));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
        Err(err) => (StatusCode::BAD_GATEWAY, format!("fault proxy: {url}: {err}")).into_response(),
    }
}

fn answer(status: u16, headers: &[(&'static str, String)], body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
    response
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
