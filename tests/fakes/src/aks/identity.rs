//! A managed-identity token endpoint in the App Service form (`IDENTITY_ENDPOINT` and
//! `IDENTITY_HEADER`), which both the Azure CLI (`az login --identity`, through MSAL) and
//! azure_identity's `ManagedIdentityCredential` use when those variables are set: so a client's real
//! credential code gets its ARM token from 127.0.0.1. The token is a JWT whose claims carry the tenant
//! (`tid`, which `az login` reads); its signature is not real and nothing here checks one.
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::state::Shared;

/// Where the endpoint is served, relative to the fake's base URL.
pub const PATH: &str = "_identity/token";
/// The secret a client must send in `X-IDENTITY-HEADER` (the value of `IDENTITY_HEADER`).
pub const HEADER_SECRET: &str = "kfscale-fake-identity";
/// The object and application id of the fake's identity.
const PRINCIPAL: &str = "5b4f0000-0000-4000-8000-00000000aa01";

pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route(&format!("/{PATH}"), get(token))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
    resource: Option<String>,
}

async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, Query(query): Query<TokenQuery>) -> Response {
    let refuse = |message: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"statusCode": 400, "message": message})),
        )
            .into_response()
    };
    if headers.get("x-identity-header").and_then(|v| v.to_str().ok()) != Some(HEADER_SECRET) {
        return refuse("X-IDENTITY-HEADER is missing or wrong");
    }
    if query.api_version.as_deref() != Some("2019-08-01") {
        return refuse("api-version must be 2019-08-01");
    }
    let Some(resource) = query.resource.filter(|r| !r.is_empty()) else {
        return refuse("resource is required");
    };
    let tenant = {
        let mut inner = shared.lock();
        inner.tokens_issued += 1;
        inner.world.tenant_id.clone()
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let expires = now + 3600;
    let claims = json!({
        "aud": resource, "iss": format!("https://sts.windows.net/{tenant}/"), "iat": now, "nbf": now,
        "exp": expires, "tid": tenant, "oid": PRINCIPAL, "appid": PRINCIPAL, "sub": PRINCIPAL,
        "idtyp": "app", "ver": "1.0",
    });
    let jwt = format!(
        "{}.{}.{}",
        base64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        base64url(claims.to_string().as_bytes()),
        base64url(b"not-a-signature")
    );
    Json(json!({
        "access_token": jwt,
        "expires_on": expires.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": PRINCIPAL,
    }))
    .into_response()
}

/// Base64 with the URL alphabet and no padding, as JWTs are written.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn base64url_matches_the_rfc_examples() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
