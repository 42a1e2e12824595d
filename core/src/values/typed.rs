//! Typed YAML (kfscale.yaml, profiles) read through the same parser as values files, so errors
//! name the file, the line and the key.
use serde::de::DeserializeOwned;

use super::document::{Document, Lookup};
use super::error::ValuesError;
use super::json::to_json;
use super::path::ValuePath;

pub fn from_yaml_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, ValuesError> {
    let document = Document::parse(file, text)?;
    from_json_value(file, Some(&document), to_json(&document))
}

/// Deserializes a JSON value; on error, names the key path (and its line when `document` has it).
pub fn from_json_value<T: DeserializeOwned>(
    file: &str,
    document: Option<&Document>,
    value: serde_json::Value,
) -> Result<T, ValuesError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let key = err.path().to_string();
        let line = document.and_then(|document| line_of(document, &key));
        let inner = err.inner().to_string();
        let message = if key == "." {
            inner
        } else if inner.contains("expected map with a single key") {
            // serde's words for an enum given two variants at once.
            format!(
                "key `{key}` must hold exactly one of its alternatives{}, not several",
                if key == "cluster" { " (`aws` or `gcp`)" } else { "" }
            )
        } else {
            format!("key `{key}`: {inner}")
        };
        ValuesError::new(
            file,
            line,
            None,
            message,
            "correct that key (see the config reference in the README)",
        )
    })
}

/// The line of the deepest existing key on a serde path such as `profile.workloads.ingester.rule`.
fn line_of(document: &Document, serde_path: &str) -> Option<usize> {
    let mut path = serde_path.to_string();
    loop {
        if let Ok(parsed) = ValuePath::parse(&path)
            && let Lookup::Found(node) = document.lookup(&parsed)
        {
            return Some(node.line());
        }
        let cut = path.rfind(['.', '['])?;
        path.truncate(cut);
    }
}
