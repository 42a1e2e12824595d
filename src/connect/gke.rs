//! The GKE client `cluster.gcp` describes: its endpoint, and an access token file or Application
//! Default Credentials (checked here, before any call).
use std::path::Path;

use anyhow::Context;
use kfscale_gke::{Auth, Gke, GkeOptions};

use super::ConfigContext;

/// The GKE client `cluster.gcp` describes: its endpoint, and an access token file or Application
/// Default Credentials (checked here, before any call).
pub async fn gke(
    context: &ConfigContext<'_>,
    endpoint: Option<&str>,
    access_token_file: Option<&Path>,
    timeout: std::time::Duration,
) -> anyhow::Result<Gke> {
    let auth = match access_token_file {
        Some(path) => {
            let path = context.resolve(path);
            let token = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: cannot read cluster.gcp.access_token_file {}; fix: check the path, or remove the key to use Application Default Credentials",
                    context.origin,
                    path.display()
                )
            })?;
            crate::scrub::register_secret(token.trim());
            Auth::AccessToken(token)
        }
        None => Auth::ApplicationDefault,
    };
    Ok(Gke::connect(GkeOptions {
        endpoint: endpoint.map(str::to_string),
        auth,
        call_timeout: timeout.max(std::time::Duration::from_secs(1)),
        ..GkeOptions::default()
    })
    .await?)
}
