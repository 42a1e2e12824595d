//! Google's JSON error body (`{"error": {"code", "message", "status"}}`), which gcloud and Google's
//! client libraries parse to tell a precondition failure from a quota error.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    /// The `google.rpc.Code` name: FAILED_PRECONDITION, RESOURCE_EXHAUSTED, NOT_FOUND, ...
    pub status: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: u16, status: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            status: status.to_string(),
            message: message.into(),
        }
    }

    pub fn not_found(resource: &str) -> ApiError {
        ApiError::new(404, "NOT_FOUND", format!("Not found: {resource}."))
    }

    pub fn invalid_argument(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "INVALID_ARGUMENT", message)
    }

    /// What GKE answers while another operation runs on the cluster.
    pub fn operation_running(operation: &str) -> ApiError {
        ApiError::new(
            400,
            "FAILED_PRECONDITION",
            format!("Cluster is running incompatible operation {operation}."),
        )
    }

    pub fn quota(message: impl Into<String>) -> ApiError {
        ApiError::new(429, "RESOURCE_EXHAUSTED", message)
    }

    /// The message Google's front end gives a request without credentials.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            401,
            "UNAUTHENTICATED",
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or \
             other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code, "message": self.message, "status": self.status}})
    }
}

/// The `google.rpc.Code` number of a status name, for `Operation.error.code`.
pub fn rpc_code(status: &str) -> i32 {
    match status {
        "CANCELLED" => 1,
        "UNKNOWN" => 2,
        "INVALID_ARGUMENT" => 3,
        "DEADLINE_EXCEEDED" => 4,
        "NOT_FOUND" => 5,
        "ALREADY_EXISTS" => 6,
        "PERMISSION_DENIED" => 7,
        "RESOURCE_EXHAUSTED" => 8,
        "FAILED_PRECONDITION" => 9,
        "ABORTED" => 10,
        "OUT_OF_RANGE" => 11,
        "UNIMPLEMENTED" => 12,
        "UNAVAILABLE" => 14,
        "UNAUTHENTICATED" => 16,
        _ => 13,
    }
}

/// The status name Google pairs with an HTTP code, for injected faults that give only a code.
pub fn status_for_http(code: u16) -> &'static str {
    match code {
        400 => "FAILED_PRECONDITION",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, axum::Json(self.body())).into_response()
    }
}
