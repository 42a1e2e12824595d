//! ARM's error answer: an HTTP status with `{"error": {"code", "message"}}` (the `CloudError` and
//! `ErrorResponse` shapes of the containerservice spec and ARM's common types), and `Retry-After` on
//! throttling. The codes are the ones ARM and the AKS resource provider send for each case.
use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub struct ArmError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ArmError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ArmError {
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// No bearer token: ARM's front door refuses before any resource provider sees the request.
    pub fn unauthenticated() -> ArmError {
        ArmError::new(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
    }

    pub fn missing_api_version() -> ArmError {
        ArmError::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    pub fn invalid_api_version(version: &str) -> ArmError {
        ArmError::new(
            400,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. The supported versions are in the form 'yyyy-mm-dd' or 'yyyy-mm-dd-preview'."
            ),
        )
    }

    pub fn subscription_not_found(subscription: &str) -> ArmError {
        ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    }

    pub fn resource_group_not_found(group: &str) -> ArmError {
        ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{group}' could not be found."),
        )
    }

    pub fn cluster_not_found(group: &str, cluster: &str) -> ArmError {
        ArmError::new(
            404,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.ContainerService/managedClusters/{cluster}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    pub fn pool_not_found(cluster: &str, pool: &str) -> ArmError {
        ArmError::new(
            404,
            "NotFound",
            format!("Could not find agent pool {pool} in managed cluster {cluster}."),
        )
    }

    pub fn operation_not_found(id: &str) -> ArmError {
        ArmError::new(404, "NotFound", format!("Could not find operation {id}."))
    }

    /// The AKS resource provider's answer to a change while another one runs on the cluster.
    pub fn operation_in_progress(running: &str) -> ArmError {
        ArmError::new(
            409,
            "OperationNotAllowed",
            format!(
                "Operation is not allowed: Another operation ({running}) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details"
            ),
        )
    }

    pub fn invalid_parameter(message: impl Into<String>) -> ArmError {
        ArmError::new(400, "InvalidParameter", message)
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }
}

/// The usual ARM code for an injected HTTP status, when the fault names none.
pub fn code_for_status(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "InvalidAuthenticationToken",
        403 => "AuthorizationFailed",
        404 => "NotFound",
        409 => "Conflict",
        412 => "PreconditionFailed",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InternalServerError",
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}
