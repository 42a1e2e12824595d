//! Where secrets enter the registry: the values as kfscale reads them.
use kfscale_core::values::Document;
use kfscale_core::values::secrets::{document_needles, json_needles, secret_needles};

/// Registers the secrets of a values file's text (the customer values file, kfscale.yaml, a
/// values file read from git). A text that does not parse registers nothing here; the command
/// that reads it refuses it with its own error, which names a line, not a value.
pub fn register_values_text(shown: &str, text: &str) {
    if let Ok(document) = Document::parse(shown, text) {
        super::register(document_needles(&document, text));
    }
}

/// Registers the secrets of values in JSON form (a Helm release's user values).
pub fn register_json_values(values: &serde_json::Value) {
    super::register(json_needles(values));
}

/// Registers one secret kfscale read from a file of its own settings (a cloud access token, the
/// Grafana token): it is scrubbed like the values' secrets.
pub fn register_secret(secret: &str) {
    super::register(secret_needles(secret));
}
