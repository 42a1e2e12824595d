//! What every request shares, and the one path an ARM request takes: counted if it mutates, faults,
//! the bearer token, the `api-version`, the model brought to the clock, served, logged.
use std::sync::{Mutex, MutexGuard};

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::errors::ArmError;
use super::faults::{self, Fault};
use super::model::World;
use crate::clock::ModelClock;
use crate::scaffold::desk::{self, Desk};

pub struct Shared {
    pub clock: ModelClock,
    /// The URL the fake serves ARM at, ending in `/` (the resource-manager endpoint).
    pub base: String,
    /// The same over HTTPS, when the fake serves it too.
    pub tls_base: Option<String>,
    inner: Mutex<Inner>,
}

pub struct Inner {
    pub world: World,
    /// Mutating requests received by ARM operation id, every request served, the faults.
    pub desk: Desk<Fault, RequestRecord>,
    /// Tokens the managed-identity endpoint handed out.
    pub tokens_issued: u64,
}

/// One served request, for `GET /_control/requests`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The ARM operation id (`AgentPools_CreateOrUpdate`, ...).
    pub operation_id: String,
    pub api_version: Option<String>,
    pub code: u16,
    /// A pool's `provisioningState`, or an operation's `status`, as answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub model_ms: u64,
}

/// An ARM operation as the handlers name it.
pub struct ArmOperation {
    pub id: &'static str,
    pub mutation: bool,
    pub http_method: &'static str,
}

/// A success: status, body and extra headers.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }
}

/// What a handler gets: the model at the clock's time, the `api-version` asked for, the fake's base URL.
pub struct Call<'a> {
    pub inner: &'a mut Inner,
    pub now_ms: u64,
    pub api_version: &'a str,
    pub base: &'a str,
    pub headers: &'a HeaderMap,
}

impl Shared {
    pub fn new(clock: ModelClock, base: String, tls_base: Option<String>, world: World) -> Shared {
        Shared {
            clock,
            base,
            tls_base,
            inner: Mutex::new(Inner {
                world,
                desk: Desk::default(),
                tokens_issued: 0,
            }),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a handler panicked mid-request; the data is still what the test wants.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The world advanced to the model clock's reading.
    pub fn world_now(&self) -> (MutexGuard<'_, Inner>, u64) {
        let mut inner = self.lock();
        let now = self.clock.now_ms();
        inner.world.advance(now);
        (inner, now)
    }

    pub async fn serve<F>(&self, headers: &HeaderMap, uri: &Uri, op: ArmOperation, serve: F) -> Response
    where
        F: FnOnce(Call<'_>) -> Result<Reply, ArmError>,
    {
        let effects = self.lock().desk.receive(op.id, op.mutation);
        desk::delay(&effects).await;
        let api_version = api_version(uri.query());
        let result = if !has_bearer_token(headers) {
            Err(ArmError::unauthenticated())
        } else if let Err(error) = check_api_version(api_version.as_deref()) {
            Err(error)
        } else if let Some(injected) = effects.error {
            if injected.applied {
                let (mut inner, now_ms) = self.world_now();
                let _ = serve(Call {
                    inner: &mut inner,
                    now_ms,
                    api_version: api_version.as_deref().unwrap_or_default(),
                    base: self.base_for(headers),
                    headers,
                });
            }
            Err(faults::arm_error(injected))
        } else {
            let (mut inner, now_ms) = self.world_now();
            serve(Call {
                inner: &mut inner,
                now_ms,
                api_version: api_version.as_deref().unwrap_or_default(),
                base: self.base_for(headers),
                headers,
            })
        };
        let (code, status, response) = match result {
            Ok(reply) => {
                let status = reply
                    .body
                    .pointer("/properties/provisioningState")
                    .or_else(|| reply.body.get("status"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                (reply.status, status, respond(reply))
            }
            Err(error) => (error.status, Some(error.code.clone()), error.into_response()),
        };
        let model_ms = self.clock.now_ms();
        self.lock().desk.served(RequestRecord {
            method: op.http_method.to_string(),
            path: uri.path().to_string(),
            operation_id: op.id.to_string(),
            api_version,
            code,
            status,
            model_ms,
        });
        response
    }
}

impl Shared {
    /// The base URL the request came in on (the HTTPS one when its `Host` is the TLS listener's), so
    /// the URLs the fake hands out work for the client that asked.
    fn base_for(&self, headers: &HeaderMap) -> &str {
        let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
        match (&self.tls_base, host) {
            (Some(tls), Some(host)) if tls.trim_end_matches('/').ends_with(&format!("//{host}")) => tls,
            _ => &self.base,
        }
    }
}

fn respond(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Json(reply.body)).into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
    response
}

fn api_version(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "api-version")
        .map(|(_, value)| value.to_string())
}

/// ARM wants an `api-version` on every request, `yyyy-mm-dd` with an optional `-preview`.
fn check_api_version(version: Option<&str>) -> Result<(), ArmError> {
    let version = version.ok_or_else(ArmError::missing_api_version)?;
    let date = version.strip_suffix("-preview").unwrap_or(version);
    let well_formed = date.len() == 10
        && date
            .char_indices()
            .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    if well_formed {
        Ok(())
    } else {
        Err(ArmError::invalid_api_version(version))
    }
}

/// ARM's front door wants a bearer token (any token: the fake checks no signature).
fn has_bearer_token(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_checked_for_shape() {
        assert!(check_api_version(Some("2026-06-01")).is_ok());
        assert!(check_api_version(Some("2025-10-02-preview")).is_ok());
        assert_eq!(check_api_version(None).unwrap_err().code, "MissingApiVersionParameter");
        assert_eq!(
            check_api_version(Some("latest")).unwrap_err().code,
            "InvalidApiVersionParameter"
        );
        assert_eq!(
            api_version(Some("a=1&api-version=2026-06-01")).as_deref(),
            Some("2026-06-01")
        );
    }
}
