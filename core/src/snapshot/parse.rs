//! A snapshot from its text, with errors that say where and what to do (the file itself is read
//! at the edge, `kfscale::files`).
use super::{SNAPSHOT_FORMAT_VERSION, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot {path}: {error}; fix: check the path")]
    Read { path: String, error: std::io::Error },
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

/// A snapshot from its text; `shown` names the file in errors (the fuzz target's entry point too).
pub fn parse_snapshot(shown: &str, text: &str) -> Result<Snapshot, SnapshotError> {
    let shown = shown.to_string();
    // The format version first (a newer one is refused before its keys are judged), read without
    // building the document: a tree of the whole file would take many times its size in memory.
    let probe: VersionProbe = serde_json::from_str(text).map_err(|err| SnapshotError::Invalid {
        path: shown.clone(),
        line: err.line(),
        column: err.column(),
        message: format!("not valid JSON: {err}"),
        fix: "the file is damaged or not a snapshot; take a new one with `kfscale snapshot -o FILE`".into(),
    })?;
    if let Some(found) = probe.format_version
        && found > u64::from(SNAPSHOT_FORMAT_VERSION)
    {
        return Err(SnapshotError::NewerFormat {
            path: shown,
            found: u32::try_from(found).unwrap_or(u32::MAX),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut snapshot: Snapshot = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let key = err.path().to_string();
        let inner = err.into_inner();
        SnapshotError::Invalid {
            path: shown,
            line: inner.line(),
            column: inner.column(),
            message: format!("key `{key}`: {inner}"),
            fix: "correct that key (`kfscale schema snapshot` prints the format)".into(),
        }
    })?;
    // A list read from JSON grows by doubling and keeps up to half its room unused: the
    // partitions of a big cluster's topics are the bulk of the snapshot in memory.
    for topic in &mut snapshot.kafka.topics {
        topic.partitions.shrink_to_fit();
    }
    Ok(snapshot)
}

/// Any JSON value, keeping only a top-level numeric `format_version`: the rest is checked for
/// syntax and skipped without being stored.
struct VersionProbe {
    format_version: Option<u64>,
}

impl<'de> serde::Deserialize<'de> for VersionProbe {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VersionVisitor)
    }
}

struct VersionVisitor;

const NO_VERSION: VersionProbe = VersionProbe { format_version: None };

impl<'de> serde::de::Visitor<'de> for VersionVisitor {
    type Value = VersionProbe;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<VersionProbe, A::Error> {
        let mut format_version = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "format_version" {
                // Only a number counts; anything else is judged by the typed read.
                format_version = map.next_value::<serde_json::Value>()?.as_u64();
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(VersionProbe { format_version })
    }

    // Not a snapshot, but valid JSON: the typed read says what is wrong.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<VersionProbe, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(NO_VERSION)
    }
    fn visit_bool<E>(self, _: bool) -> Result<VersionProbe, E> {
        Ok(NO_VERSION)
    }
    fn visit_i64<E>(self, _: i64) -> Result<VersionProbe, E> {
        Ok(NO_VERSION)
    }
    fn visit_u64<E>(self, _: u64) -> Result<VersionProbe, E> {
        Ok(NO_VERSION)
    }
    fn visit_f64<E>(self, _: f64) -> Result<VersionProbe, E> {
        Ok(NO_VERSION)
    }
    fn visit_str<E>(self, _: &str) -> Result<VersionProbe, E> {
        Ok(NO_VERSION)
    }
    fn visit_unit<E>(self) -> Result<VersionProbe, E> {
        Ok(NO_VERSION)
    }
}
