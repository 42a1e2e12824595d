//! The HTTP core: one reqwest client bound to a controller base URL, a per-call timeout, a request
//! counter per endpoint, and the mapping of transport failures and error answers to [`PinotError`].
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kfscale_http::{excerpt, message_or_excerpt, root_cause};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::connector::Connection;
use crate::error::{PinotError, fix_for_status};

/// The body of Jersey's 404 when no resource method matched the request.
const JERSEY_NOT_FOUND: &str = "HTTP 404 Not Found";

/// A client of one Pinot controller. Clones share the connection (and a port-forward) and the
/// request counter, so reads can run concurrently.
#[derive(Clone)]
pub struct Pinot {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
    connection: Arc<Connection>,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

/// One endpoint of the controller API: the method and the path template, which is also the key of
/// the request counter (`GET /tables/{table}/segmentsStatus`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint {
    pub method: &'static str,
    pub template: &'static str,
}

pub(crate) const fn get(template: &'static str) -> Endpoint {
    Endpoint {
        method: "GET",
        template,
    }
}

/// A request: the endpoint, the path segments after the base URL, the query.
pub(crate) struct Call<'a> {
    pub endpoint: Endpoint,
    pub segments: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
}

impl Pinot {
    pub(crate) fn new(base: Url, timeout: Duration, connection: Connection) -> Result<Pinot, PinotError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|err| PinotError::Unreachable {
                call: "client setup".into(),
                base: base.to_string(),
                message: err.to_string(),
                fix: "report this: the HTTP client could not be built".into(),
            })?;
        Ok(Pinot {
            http,
            base,
            timeout,
            connection: Arc::new(connection),
            counts: Arc::default(),
        })
    }

    /// The controller base URL requests go to (a local port when port-forwarding).
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Requests sent so far, by endpoint (`GET /tables/{table}`), failed ones included.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|counts| counts.clone()).unwrap_or_default()
    }

    /// Sends a call and returns the body of a 2xx answer; any other answer is an error.
    pub(crate) async fn text(&self, call: &Call<'_>) -> Result<String, PinotError> {
        let (status, body, shown) = self.send(call).await?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(PinotError::Http {
            call: shown,
            status,
            message: error_message(&body),
            fix: fix_for_status(status),
        })
    }

    /// Like [`Pinot::text`], parsed as JSON of type `T`.
    pub(crate) async fn json<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, PinotError> {
        let body = self.text(call).await?;
        self.decode(call, &body)
    }

    /// A table endpoint: a 404 means the table does not exist.
    pub(crate) async fn table_json<T: DeserializeOwned>(&self, call: &Call<'_>, table: &str) -> Result<T, PinotError> {
        match self.text(call).await {
            Ok(body) => self.decode(call, &body),
            // Jersey's own 404 (no resource matched, or a query parameter could not be converted)
            // says nothing about the table.
            Err(PinotError::Http {
                call,
                status: 404,
                message,
                ..
            }) if message == JERSEY_NOT_FOUND => Err(PinotError::Http {
                call,
                status: 404,
                message,
                fix: "the controller has no such API or could not convert a query parameter (Jersey answers 404 \
                      for both): check the parameter values (profile.pinot.parameter_sets in kfscale.yaml) and the \
                      controller's Pinot version"
                    .into(),
            }),
            Err(PinotError::Http {
                call,
                status: 404,
                message,
                ..
            }) => Err(PinotError::TableNotFound {
                call,
                base: self.connection.describe(&self.base),
                table: table.to_string(),
                message,
            }),
            Err(err) => Err(err),
        }
    }

    pub(crate) fn decode<T: DeserializeOwned>(&self, call: &Call<'_>, body: &str) -> Result<T, PinotError> {
        serde_json::from_str(body).map_err(|err| PinotError::Decode {
            call: shown_call(call),
            base: self.connection.describe(&self.base),
            message: format!("{err} in {}", excerpt(body)),
        })
    }

    /// The raw exchange: (status, body, the call as shown in errors).
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<(u16, String, String), PinotError> {
        self.count(call.endpoint);
        let shown = shown_call(call);
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| PinotError::Decode {
                call: shown.clone(),
                base: self.base.to_string(),
                message: "the base URL cannot take a path".into(),
            })?
            .pop_if_empty()
            .extend(call.segments);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query);
        }
        let method = Method::from_bytes(call.endpoint.method.as_bytes()).unwrap_or(Method::GET);
        tracing::debug!("Pinot {} {}", call.endpoint.method, url);
        let response = self
            .http
            .request(method, url)
            .send()
            .await
            .map_err(|err| self.transport_error(&shown, &err))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|err| self.transport_error(&shown, &err))?;
        Ok((status, body, shown))
    }

    fn count(&self, endpoint: Endpoint) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts
                .entry(format!("{} {}", endpoint.method, endpoint.template))
                .or_default() += 1;
        }
    }

    fn transport_error(&self, call: &str, err: &reqwest::Error) -> PinotError {
        let base = self.connection.describe(&self.base);
        if err.is_timeout() {
            return PinotError::Timeout {
                call: call.to_string(),
                base,
                seconds: self.timeout.as_secs(),
                fix: format!(
                    "{}; or raise pinot.timeout_seconds in kfscale.yaml if the controller is slow",
                    self.connection.reach_hint()
                ),
            };
        }
        let mut message = root_cause(err);
        if let Some(forward) = self.connection.forward_error() {
            message = format!("{message}; the port-forward failed: {forward}");
        }
        PinotError::Unreachable {
            call: call.to_string(),
            base,
            message,
            fix: self.connection.reach_hint(),
        }
    }
}

/// `GET /tables/kf_metrics/segmentsStatus?tableType=REALTIME`, as errors show a call.
fn shown_call(call: &Call<'_>) -> String {
    let mut shown = format!("{} /{}", call.endpoint.method, call.segments.join("/"));
    if !call.query.is_empty() {
        let query: Vec<String> = call.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        shown.push('?');
        shown.push_str(&query.join("&"));
    }
    shown
}

/// Pinot's error body is `{"code": 404, "error": "..."}`; anything else is shown as text.
fn error_message(body: &str) -> String {
    message_or_excerpt(body, "/error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_pinots_message() {
        assert_eq!(
            error_message(r#"{"code": 404, "error": "Table kf_x does not exist"}"#),
            "Table kf_x does not exist"
        );
        assert_eq!(error_message("  "), "(empty body)");
        assert_eq!(error_message(&"x".repeat(300)).len(), 203);
    }

    #[test]
    fn calls_are_shown_with_their_query() {
        let call = Call {
            endpoint: get("/tables/{table}/segmentsStatus"),
            segments: &["tables", "kf_metrics", "segmentsStatus"],
            query: &[("tableType", "REALTIME")],
        };
        assert_eq!(
            shown_call(&call),
            "GET /tables/kf_metrics/segmentsStatus?tableType=REALTIME"
        );
    }
}
