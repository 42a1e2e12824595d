//! A snapshot file on disk (`plan --snapshot FILE`); its format is the core's.
use std::path::Path;

use crate::snapshot::{Snapshot, SnapshotError, parse_snapshot};

pub fn read_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
        path: shown.clone(),
        error: source,
    })?;
    parse_snapshot(&shown, &text)
}
