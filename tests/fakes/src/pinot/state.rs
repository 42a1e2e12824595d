//! What every request shares, and the one path a request takes: count it if it mutates, log it, apply
//! faults, refuse it while the controller restarts, advance the model to the clock, serve it.
use std::sync::{Mutex, MutexGuard};

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::engine::Controller;
use super::faults::Fault;
use crate::clock::ModelClock;
use crate::scaffold::desk::{self, Desk};

pub struct Shared {
    pub clock: ModelClock,
    pub base: String,
    inner: Mutex<Inner>,
}

pub struct Inner {
    pub controller: Controller,
    /// Mutating requests received by endpoint id, every request served, the request faults.
    pub desk: Desk<Fault, RequestRecord>,
    /// A restart keeps the API down until this model time.
    pub down_until_ms: Option<u64>,
    pub namespace: String,
    /// What tests set of the consumers of CONSUMING segments (consumingSegmentsInfo).
    pub consumers: super::consuming::Consumers,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub endpoint: String,
    pub code: u16,
    pub model_ms: u64,
}

/// Pinot's error answer: `{"code": 404, "error": "..."}` (SimpleHttpErrorInfo via WebApplicationExceptionMapper).
#[derive(Debug, Clone, PartialEq)]
pub struct PinotError {
    pub code: u16,
    pub message: String,
}

impl PinotError {
    pub fn new(code: u16, message: impl Into<String>) -> PinotError {
        PinotError {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for PinotError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, Json(json!({"code": self.code, "error": self.message}))).into_response()
    }
}

pub enum Reply {
    Json(Value),
    /// Already serialized JSON (segmentsStatus is pretty-printed by the resource itself).
    JsonText(String),
    Text(String),
}

/// An endpoint as the handlers name it (ids used by faults, counters and the request log).
pub struct Endpoint {
    pub id: &'static str,
    pub mutation: bool,
    pub method: &'static str,
}

impl Shared {
    pub fn new(clock: ModelClock, base: String, controller: Controller, namespace: String) -> Shared {
        let inner = Inner {
            controller,
            desk: Desk::default(),
            down_until_ms: None,
            namespace,
            consumers: Default::default(),
        };
        Shared {
            clock,
            base,
            inner: Mutex::new(inner),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a handler panicked; the model is still what a test wants to inspect.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The model advanced to the clock.
    pub fn now(&self) -> (MutexGuard<'_, Inner>, u64) {
        let mut inner = self.lock();
        let now = self.clock.now_ms();
        inner.controller.advance(now);
        (inner, now)
    }

    pub async fn serve<F>(&self, path: &str, endpoint: Endpoint, serve: F) -> Response
    where
        F: FnOnce(&mut Inner, u64) -> Result<Reply, PinotError>,
    {
        let effects = self.lock().desk.receive(endpoint.id, endpoint.mutation);
        desk::delay(&effects).await;
        let result = {
            let (mut inner, now) = self.now();
            if inner.down_until_ms.is_some_and(|until| now < until) {
                Err(PinotError::new(503, "Pinot controller status is STARTING"))
            } else if let Some(injected) = effects.error {
                if injected.applied {
                    let _ = serve(&mut inner, now);
                    inner.controller.advance(now);
                }
                let message = injected
                    .message
                    .unwrap_or_else(|| format!("Injected fault: HTTP {}", injected.code));
                Err(PinotError::new(injected.code, message))
            } else {
                let result = serve(&mut inner, now);
                // Work the request started (a job's first step) happens at once, as in the controller.
                inner.controller.advance(now);
                result
            }
        };
        let (code, response) = match result {
            Ok(Reply::Json(value)) => (200, Json(value).into_response()),
            Ok(Reply::JsonText(text)) => (
                200,
                ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
            ),
            Ok(Reply::Text(text)) => (200, ([(header::CONTENT_TYPE, "text/plain")], text).into_response()),
            Err(error) => (error.code, error.into_response()),
        };
        let model_ms = self.clock.now_ms();
        self.lock().desk.served(RequestRecord {
            method: endpoint.method.to_string(),
            path: path.to_string(),
            endpoint: endpoint.id.to_string(),
            code,
            model_ms,
        });
        response
    }
}
