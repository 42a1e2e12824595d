//! Reading a snapshot file with errors that say where and what to do.
use std::path::Path;

use super::{SNAPSHOT_FORMAT_VERSION, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot {path}: {source}; fix: check the path")]
    Read { path: String, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}; fix: {fix}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
        fix: String,
    },
    #[error(
        "{path}: snapshot format version {found} is newer than this kfscale understands ({SNAPSHOT_FORMAT_VERSION}); fix: upgrade kfscale, or take the snapshot with this version"
    )]
    NewerFormat { path: String, found: u32 },
}

pub fn read_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
        path: shown.clone(),
        source,
    })?;
    parse_snapshot(&shown, &text)
}

/// A snapshot from its text; `shown` names the file in errors (the fuzz target's entry point too).
pub fn parse_snapshot(shown: &str, text: &str) -> Result<Snapshot, SnapshotError> {
    let shown = shown.to_string();
    let value: serde_json::Value = serde_json::from_str(text).map_err(|err| SnapshotError::Invalid {
        path: shown.clone(),
        line: err.line(),
        column: err.column(),
        message: format!("not valid JSON: {err}"),
        fix: "the file is damaged or not a snapshot; take a new one with `kfscale snapshot -o FILE`".into(),
    })?;
    if let Some(found) = value.get("format_version").and_then(|v| v.as_u64())
        && found > u64::from(SNAPSHOT_FORMAT_VERSION)
    {
        return Err(SnapshotError::NewerFormat {
            path: shown,
            found: u32::try_from(found).unwrap_or(u32::MAX),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let key = err.path().to_string();
        let inner = err.into_inner();
        SnapshotError::Invalid {
            path: shown,
            line: inner.line(),
            column: inner.column(),
            message: format!("key `{key}`: {inner}"),
            fix: "correct that key (state/snapshot.schema.json describes the format)".into(),
        }
    })
}
