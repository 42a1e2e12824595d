//! The install's Grafana as kfscale.yaml's `grafana:` section says: its URL and, from a file, the
//! service account token (read here, kept in the client, never printed, logged or stored).
use std::time::Duration;

use anyhow::bail;
use kfscale_grafana::Grafana;

use super::ConfigContext;

/// The client, or None without a `grafana:` section.
pub fn grafana(context: &ConfigContext<'_>) -> anyhow::Result<Option<Grafana>> {
    let Some(settings) = &context.config.grafana else {
        return Ok(None);
    };
    let origin = context.origin;
    let token = match &settings.token_file {
        Some(file) => {
            let path = context.resolve(file);
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(err) => bail!(
                    "{origin}: grafana.token_file {}: {err}; fix: write the Grafana service account token into that file, or remove grafana.token_file for an anonymous Grafana",
                    path.display()
                ),
            };
            let token = text.trim().to_string();
            crate::scrub::register_secret(&token);
            if token.is_empty() {
                bail!(
                    "{origin}: grafana.token_file {} is empty; fix: write the Grafana service account token into it",
                    path.display()
                );
            }
            Some(token)
        }
        None => None,
    };
    let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
    match Grafana::new(&settings.url, token, timeout) {
        Ok(grafana) => Ok(Some(grafana)),
        Err(err) => bail!("{origin}: {err}"),
    }
}
