//! What every request shares: the world, the faults, the counters, and the one path a request takes
//! through them (count, log, authenticate, fault, advance the model, serve).
use std::sync::{Mutex, MutexGuard};

use axum::Json;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::enums::{Schema, to_numbers, wants_int_enums};
use super::errors::ApiError;
use super::faults::{self, Fault};
use super::model::World;
use crate::clock::ModelClock;
use crate::scaffold::desk::{self, Desk};

pub struct Shared {
    pub clock: ModelClock,
    /// The URL the fake serves at, ending in `/`.
    pub base: String,
    inner: Mutex<Inner>,
}

pub struct Inner {
    pub world: World,
    /// Mutating requests received by API method id, every request served, the faults.
    pub desk: Desk<Fault, RequestRecord>,
}

/// One served request, for `GET /_control/requests`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// Discovery id of the API method.
    pub api_method: String,
    pub code: u16,
    /// The `status` field of the answer (an operation's PENDING/RUNNING/DONE, a pool's RUNNING, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub model_ms: u64,
}

/// An API method as the handlers name it.
pub struct ApiMethod {
    pub id: &'static str,
    pub mutation: bool,
    pub http_method: &'static str,
}

impl Shared {
    pub fn new(clock: ModelClock, base: String, world: World) -> Shared {
        let inner = Inner {
            world,
            desk: Desk::default(),
        };
        Shared {
            clock,
            base,
            inner: Mutex::new(inner),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a handler panicked mid-request; the data is still what the test wants to see.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The world advanced to the model clock's reading.
    pub fn world_now(&self) -> (MutexGuard<'_, Inner>, u64) {
        let mut inner = self.lock();
        let now = self.clock.now_ms();
        inner.world.advance(now);
        (inner, now)
    }

    /// Serves one API request: counts it if it mutates, checks the bearer token, applies faults, advances
    /// the model, runs `serve`, and logs the outcome.
    pub async fn serve<F>(&self, headers: &HeaderMap, uri: &Uri, api: ApiMethod, serve: F) -> Response
    where
        F: FnOnce(&mut Inner, u64, &str) -> Result<Value, ApiError>,
    {
        let path = uri.path();
        let effects = self.lock().desk.receive(api.id, api.mutation);
        desk::delay(&effects).await;
        let result = if !has_bearer_token(headers) {
            Err(ApiError::unauthenticated())
        } else if let Some(injected) = effects.error {
            if injected.applied {
                let (mut inner, now) = self.world_now();
                let _ = serve(&mut inner, now, &self.base);
            }
            Err(faults::api_error(injected))
        } else {
            let (mut inner, now) = self.world_now();
            serve(&mut inner, now, &self.base)
        };
        let (code, status, response) = match result {
            Ok(mut value) => {
                let status = value.get("status").and_then(Value::as_str).map(str::to_string);
                if wants_int_enums(uri.query()) {
                    to_numbers(&mut value, Schema::of_method(api.id));
                }
                (200, status, Json(value).into_response())
            }
            Err(error) => (error.code, Some(error.status.clone()), error.into_response()),
        };
        let model_ms = self.clock.now_ms();
        self.lock().desk.served(RequestRecord {
            method: api.http_method.to_string(),
            path: path.to_string(),
            api_method: api.id.to_string(),
            code,
            status,
            model_ms,
        });
        response
    }
}

/// kfscale must send credentials, so the fake wants a bearer token (any token).
fn has_bearer_token(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}
