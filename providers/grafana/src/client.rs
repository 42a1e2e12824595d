//! The HTTP core: one reqwest client bound to Grafana's base URL, an optional bearer token, a
//! per-call timeout and a request counter.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kfscale_http::{excerpt, message_or_excerpt, root_cause};
use reqwest::Url;

use crate::error::{GrafanaError, fix_for_status};
use crate::rules::{RuleGroup, RuleResponse};

const RULES_PATH: &str = "api/prometheus/grafana/api/v1/rules";

/// A client of one Grafana. Clones share the connection pool and the counter.
#[derive(Clone)]
pub struct Grafana {
    http: reqwest::Client,
    base: Url,
    token: Option<Arc<str>>,
    timeout: Duration,
    requests: Arc<AtomicU64>,
}

impl std::fmt::Debug for Grafana {
    // By hand, so the token can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grafana")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "(sensitive)"))
            .finish()
    }
}

impl Grafana {
    /// A client of Grafana at `url` (its base URL, e.g. `http://kfuse-grafana.kfuse:80`); `token` is
    /// a service account token or None for an anonymous Grafana.
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> Result<Grafana, GrafanaError> {
        let bad = |message: String| GrafanaError::BadUrl {
            url: url.to_string(),
            message,
        };
        let mut base = Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad(format!("scheme {} is not http or https", base.scheme())));
        }
        // Url::join replaces the last segment unless the path ends with a slash.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| bad(format!("the HTTP client could not be built: {e}")))?;
        Ok(Grafana {
            http,
            base,
            token: token.map(Arc::from),
            timeout,
            requests: Arc::default(),
        })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Requests sent so far, failed ones included.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Every Grafana-managed rule group the token may see, with each rule's health, state and alerts.
    pub async fn rule_groups(&self) -> Result<Vec<RuleGroup>, GrafanaError> {
        let call = format!("GET /{RULES_PATH}");
        let base = self.base.to_string();
        let url = self.base.join(RULES_PATH).map_err(|e| GrafanaError::BadUrl {
            url: base.clone(),
            message: e.to_string(),
        })?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        tracing::debug!("Grafana GET {url}");
        let mut request = self.http.get(url).header("Accept", "application/json");
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| self.transport(&call, &e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| self.transport(&call, &e))?;
        if !(200..300).contains(&status) {
            return Err(GrafanaError::Http {
                call,
                status,
                message: error_message(&body),
                fix: fix_for_status(status),
            });
        }
        let decoded: RuleResponse = serde_json::from_str(&body).map_err(|e| GrafanaError::Decode {
            call: call.clone(),
            base: base.clone(),
            message: format!("{e} in {}", excerpt(&body)),
        })?;
        match (decoded.status.as_str(), decoded.data) {
            ("success", Some(data)) => Ok(data.groups),
            (status, _) => Err(GrafanaError::Decode {
                call,
                base,
                message: format!(
                    "status {status}: {} {}",
                    decoded.error_type.unwrap_or_default(),
                    decoded.error.unwrap_or_default()
                ),
            }),
        }
    }

    fn transport(&self, call: &str, err: &reqwest::Error) -> GrafanaError {
        if err.is_timeout() {
            return GrafanaError::Timeout {
                call: call.to_string(),
                base: self.base.to_string(),
                seconds: self.timeout.as_secs(),
            };
        }
        GrafanaError::Unreachable {
            call: call.to_string(),
            base: self.base.to_string(),
            message: root_cause(err),
        }
    }
}

/// Grafana's error body is `{"message": "..."}`; anything else is shown as text.
fn error_message(body: &str) -> String {
    message_or_excerpt(body, "/message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let grafana = Grafana::new("http://g:3000/sub", Some("glsa_secret".into()), Duration::from_secs(1)).unwrap();
        let shown = format!("{grafana:?}");
        assert!(
            !shown.contains("glsa_secret") && shown.contains("(sensitive)"),
            "{shown}"
        );
        assert_eq!(grafana.base_url(), "http://g:3000/sub/");
    }

    #[test]
    fn bad_urls_are_refused_with_the_key_to_fix() {
        let err = Grafana::new("ftp://g", None, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("grafana.url"), "{err}");
        assert!(Grafana::new("not a url", None, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn error_bodies_give_grafanas_message() {
        assert_eq!(error_message(r#"{"message":"Unauthorized"}"#), "Unauthorized");
        assert_eq!(error_message(""), "(empty body)");
    }
}
