//! Credentials, checked before the first call. Google's client falls back to the GCE metadata server
//! when it finds no credentials file, and off Google Cloud that waits for ever; so kfscale looks for
//! Application Default Credentials itself first and says how to get them when there are none.
use std::path::PathBuf;

use google_cloud_auth::credentials::{CacheableResource, Credentials, CredentialsProvider, EntityTag};
use http::{Extensions, HeaderMap, HeaderValue, header};

use crate::error::GkeError;

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC file, or the
    /// metadata server when running on Google Cloud.
    ApplicationDefault,
    /// A fixed OAuth 2 access token (tests; `gcloud auth print-access-token` output).
    AccessToken(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::ApplicationDefault => f.write_str("ApplicationDefault"),
            Auth::AccessToken(_) => f.write_str("AccessToken(<sensitive>)"),
        }
    }
}

/// Where Application Default Credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdcSource {
    /// The file `GOOGLE_APPLICATION_CREDENTIALS` names.
    EnvironmentFile(PathBuf),
    /// gcloud's `application_default_credentials.json`.
    GcloudFile(PathBuf),
    /// The metadata server of a Compute Engine VM or a GKE pod.
    MetadataServer,
}

/// Finds Application Default Credentials the way Google's client will (AIP-4110), without waiting on
/// the metadata server off Google Cloud.
pub fn find_adc() -> Result<AdcSource, GkeError> {
    if let Some(path) = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS") {
        let path = PathBuf::from(path);
        return match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(AdcSource::EnvironmentFile(path)),
            Ok(_) => Err(GkeError::NoCredentials {
                detail: format!(
                    "GOOGLE_APPLICATION_CREDENTIALS names {}, which is not a file",
                    path.display()
                ),
            }),
            Err(err) => Err(GkeError::NoCredentials {
                detail: format!(
                    "GOOGLE_APPLICATION_CREDENTIALS names {}, which cannot be read: {err}",
                    path.display()
                ),
            }),
        };
    }
    let well_known = gcloud_adc_path();
    if let Some(path) = well_known.as_ref().filter(|p| p.is_file()) {
        return Ok(AdcSource::GcloudFile(path.clone()));
    }
    if on_google_cloud() {
        return Ok(AdcSource::MetadataServer);
    }
    Err(GkeError::NoCredentials {
        detail: format!(
            "GOOGLE_APPLICATION_CREDENTIALS is not set, {} does not exist, and this is not a Google Cloud VM (no \
             metadata server)",
            well_known.map_or_else(
                || "gcloud's application_default_credentials.json".to_string(),
                |p| p.display().to_string()
            )
        ),
    })
}

/// The credentials for `auth`; Application Default Credentials are located first ([`find_adc`]).
pub(crate) fn credentials(auth: &Auth) -> Result<(Credentials, Option<AdcSource>), GkeError> {
    match auth {
        Auth::AccessToken(token) => {
            let value =
                HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| GkeError::NoCredentials {
                    detail: "the access token contains characters not allowed in an HTTP header".into(),
                })?;
            Ok((Credentials::from(StaticToken(value)), None))
        }
        Auth::ApplicationDefault => {
            let source = find_adc()?;
            let credentials = google_cloud_auth::credentials::Builder::default()
                .build()
                .map_err(|err| GkeError::NoCredentials {
                    detail: format!("the credentials from {source:?} cannot be loaded: {err}"),
                })?;
            Ok((credentials, Some(source)))
        }
    }
}

/// gcloud's ADC file (AIP-4113): `$HOME/.config/gcloud/...` (`%APPDATA%\gcloud\...` on Windows).
fn gcloud_adc_path() -> Option<PathBuf> {
    let root = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config"))
    };
    root.map(|root| root.join("gcloud").join("application_default_credentials.json"))
}

/// A Compute Engine VM (and so a GKE node) says so in its DMI product name, which Google's own
/// libraries check before asking the metadata server; `GCE_METADATA_HOST` names a metadata server
/// explicitly.
fn on_google_cloud() -> bool {
    if std::env::var_os("GCE_METADATA_HOST").is_some() {
        return true;
    }
    std::fs::read_to_string("/sys/class/dmi/id/product_name").is_ok_and(|name| name.trim().starts_with("Google"))
}

/// A fixed bearer token.
#[derive(Debug)]
struct StaticToken(HeaderValue);

impl CredentialsProvider for StaticToken {
    async fn headers(
        &self,
        _extensions: Extensions,
    ) -> Result<CacheableResource<HeaderMap>, google_cloud_auth::errors::CredentialsError> {
        let mut headers = HeaderMap::new();
        let mut value = self.0.clone();
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
        Ok(CacheableResource::New {
            entity_tag: EntityTag::new(),
            data: headers,
        })
    }

    async fn universe_domain(&self) -> Option<String> {
        None
    }
}

/// The request headers of `credentials` (for the Compute Engine read, which the container client
/// does not make).
pub(crate) async fn auth_headers(credentials: &Credentials) -> Result<HeaderMap, String> {
    match credentials.headers(Extensions::new()).await {
        Ok(CacheableResource::New { data, .. }) => Ok(data),
        Ok(CacheableResource::NotModified) => Err("the credentials returned no headers".into()),
        Err(err) => Err(err.to_string()),
    }
}
