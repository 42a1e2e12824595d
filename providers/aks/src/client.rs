//! The ARM client: one reqwest client, the token source, and the three calls kfscale makes. Each
//! request carries `api-version` and a bearer token and is bounded by the call timeout; an answer
//! that is not a success becomes an `AksError` with ARM's code, message, `Retry-After` and a fix.
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use kfscale_http::{excerpt, message_or_excerpt, root_cause};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::credentials::{Credentials, TokenSource};
use crate::error::{AksError, ArmFailure, fix_for};
use crate::types::{Accepted, AgentPool, Cloud, OperationStatus, PoolRef};

/// The containerservice API version kfscale speaks (stable; the one azure-cli 2.91.0 uses, whose
/// models the test fake is checked against).
pub const API_VERSION: &str = "2026-06-01";

pub struct AksOptions {
    /// The resource-manager URL; None: the cloud's own.
    pub endpoint: Option<String>,
    pub cloud: Cloud,
    pub credentials: Credentials,
    /// The longest one ARM call may take.
    pub call_timeout: Duration,
}

impl Default for AksOptions {
    fn default() -> Self {
        AksOptions {
            endpoint: None,
            cloud: Cloud::Public,
            credentials: Credentials::Chain,
            call_timeout: Duration::from_secs(60),
        }
    }
}

pub struct Aks {
    http: reqwest::Client,
    /// Ends in `/`.
    base: String,
    tokens: TokenSource,
    timeout: Duration,
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl std::fmt::Debug for Aks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aks").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Aks {
    pub fn connect(options: AksOptions) -> Result<Aks, AksError> {
        let base = options
            .endpoint
            .unwrap_or_else(|| options.cloud.resource_manager().to_string());
        let base = format!("{}/", base.trim_end_matches('/'));
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(api_error(
                "connect",
                &base,
                None,
                "BAD_ENDPOINT",
                "not an http(s) URL",
                "set cluster.azure.endpoint in kfscale.yaml to the resource manager's URL, or remove it".into(),
                false,
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(options.call_timeout)
            .build()
            .map_err(|e| {
                api_error(
                    "connect",
                    &base,
                    None,
                    "CLIENT",
                    &root_cause(&e),
                    "report this".into(),
                    false,
                )
            })?;
        Ok(Aks {
            tokens: TokenSource::new(&options.credentials, options.cloud)?,
            http,
            base,
            timeout: options.call_timeout,
            counts: Mutex::new(BTreeMap::new()),
        })
    }

    /// Gets a token now, so missing credentials are reported before anything else happens.
    pub async fn check_credentials(&self) -> Result<(), AksError> {
        self.tokens.token().await.map(|_| ())
    }

    /// Which credential gave the token (after the first call).
    pub async fn credential(&self) -> Option<&'static str> {
        self.tokens.chosen().await
    }

    /// Requests made, by ARM operation.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    /// `AgentPools_Get`.
    pub async fn agent_pool(&self, pool: &PoolRef) -> Result<AgentPool, AksError> {
        let call = "AgentPools_Get";
        let url = self.url(&pool.id());
        let (_, _, body) = self.send(call, pool, Method::GET, &url, None, None).await?;
        let value = self.decode(call, pool, &body)?;
        AgentPool::from_json(value).map_err(|e| self.unexpected(call, pool, &e, &body))
    }

    /// `AgentPools_CreateOrUpdate` with `body` (the pool as read, resized: see [`crate::scaled`]);
    /// with `if_match`, only if the pool still has that eTag.
    pub async fn put_agent_pool(
        &self,
        pool: &PoolRef,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Accepted, AksError> {
        let call = "AgentPools_CreateOrUpdate";
        let url = self.url(&pool.id());
        let (_, headers, text) = self.send(call, pool, Method::PUT, &url, Some(body), if_match).await?;
        let value = self.decode(call, pool, &text)?;
        let answered = AgentPool::from_json(value).map_err(|e| self.unexpected(call, pool, &e, &text))?;
        let async_operation = headers
            .get("azure-asyncoperation")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Accepted {
            pool: answered,
            async_operation,
        })
    }

    /// The status at an `Azure-AsyncOperation` URL. The URL must be under this client's resource
    /// manager: a recorded URL pointing elsewhere would get kfscale's token.
    pub async fn operation(&self, pool: &PoolRef, url: &str) -> Result<OperationStatus, AksError> {
        let call = "AsyncOperation_Get";
        if !url.starts_with(&self.base) {
            return Err(api_error(
                call,
                &pool.to_string(),
                None,
                "FOREIGN_URL",
                &format!(
                    "the operation URL {url} is not under the resource manager {}",
                    self.base
                ),
                "the recorded operation came from another endpoint: check cluster.azure.endpoint in kfscale.yaml"
                    .into(),
                false,
            ));
        }
        let (_, _, text) = self.send(call, pool, Method::GET, url, None, None).await?;
        let value = self.decode(call, pool, &text)?;
        OperationStatus::from_json(&value).map_err(|e| self.unexpected(call, pool, &e, &text))
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}?api-version={API_VERSION}",
            self.base,
            path.trim_start_matches('/')
        )
    }

    async fn send(
        &self,
        call: &'static str,
        pool: &PoolRef,
        method: Method,
        url: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, String), AksError> {
        let token = self.tokens.token().await?;
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(call)
            .or_default() += 1;
        tracing::debug!("ARM {method} {url}");
        let mut request = self.http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(etag) = if_match {
            request = request.header("If-Match", format!("\"{}\"", etag.trim_matches('"')));
        }
        let response = request.send().await.map_err(|e| self.transport(call, pool, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| self.transport(call, pool, &e))?;
        if status.is_success() {
            return Ok((status, headers, text));
        }
        let retry_after = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.pointer("/error/code").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| format!("HTTP_{}", status.as_u16()));
        let (fix, retriable) = fix_for(status.as_u16(), &code, retry_after, &pool.cluster_id());
        Err(AksError::Api(Box::new(ArmFailure {
            call,
            resource: pool.to_string(),
            code,
            http_status: Some(status.as_u16()),
            message: message_or_excerpt(&text, "/error/message"),
            fix,
            retriable,
            retry_after,
        })))
    }

    fn decode(&self, call: &'static str, pool: &PoolRef, text: &str) -> Result<Value, AksError> {
        serde_json::from_str(text).map_err(|e| self.unexpected(call, pool, &e.to_string(), text))
    }

    fn unexpected(&self, call: &'static str, pool: &PoolRef, problem: &str, body: &str) -> AksError {
        api_error(
            call,
            &pool.to_string(),
            None,
            "UNEXPECTED_ANSWER",
            &format!("{problem} in {}", excerpt(body)),
            format!(
                "check that cluster.azure.endpoint ({}) is Azure Resource Manager, not a proxy or another service",
                self.base
            ),
            false,
        )
    }

    fn transport(&self, call: &'static str, pool: &PoolRef, err: &reqwest::Error) -> AksError {
        if err.is_timeout() {
            return api_error(
                call,
                &pool.to_string(),
                None,
                "TIMEOUT",
                &format!("no answer within {} s", self.timeout.as_secs()),
                "Azure Resource Manager is slow or unreachable: kfscale retries; raise cluster.azure.timeout_seconds if it persists"
                    .into(),
                true,
            );
        }
        api_error(
            call,
            &pool.to_string(),
            None,
            "UNREACHABLE",
            &root_cause(err),
            format!(
                "check the network path to {} (proxy, firewall, DNS), or cluster.azure.endpoint in kfscale.yaml",
                self.base
            ),
            true,
        )
    }
}

fn api_error(
    call: &'static str,
    resource: &str,
    http_status: Option<u16>,
    code: &str,
    message: &str,
    fix: String,
    retriable: bool,
) -> AksError {
    AksError::Api(Box::new(ArmFailure {
        call,
        resource: resource.to_string(),
        code: code.to_string(),
        http_status,
        message: message.to_string(),
        fix,
        retriable,
        retry_after: None,
    }))
}
