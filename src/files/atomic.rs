//! Files are written atomically: a temporary file in the same directory, fsync, rename, fsync of
//! the directory. A crash leaves either the old file or the new one, never half of one.
//!
//! And without a secret: every file kfscale writes for itself goes through [`write_atomic`] or
//! [`write_json`], which scrub the registered secrets (src/scrub/); the state and plan files
//! scrub their payload before sealing it (state_store.rs, plan_file.rs). The customer's values
//! file is the one file written as it is ([`write_values_file`]): its secrets are its content.
use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// Writes one of kfscale's own files, every registered secret scrubbed from its bytes.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_unscrubbed(path, &crate::scrub::bytes(bytes))
}

/// Writes `value` as JSON (pretty, with a final newline), every string value scrubbed: the
/// structure reads back whatever a secret looks like.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> std::io::Result<()> {
    let text = kfscale_core::scrubbed_json::to_string_scrubbed(value, true, &crate::scrub::owned, &[])?;
    write_unscrubbed(path, (text + "\n").as_bytes())
}

/// Writes the customer's values file (the apply's edit), secrets and all.
pub fn write_values_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_unscrubbed(path, bytes)
}

/// The write itself. Only for bytes already scrubbed or the customer's own file.
pub(super) fn write_unscrubbed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Dropped on any error before `persist`, the temporary file removes itself.
    let mut temp = tempfile::Builder::new().prefix(".kfscale-tmp-").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    // The rename itself is durable only once the directory is.
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn kfscale_files_are_scrubbed_and_the_values_file_is_not() {
        crate::scrub::register(["atomic-test-secret-77".to_string()]);
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("own.txt");
        write_atomic(&own, b"error: atomic-test-secret-77 refused").unwrap();
        assert_eq!(std::fs::read_to_string(&own).unwrap(), "error: (sensitive) refused");
        let json = dir.path().join("own.json");
        write_json(&json, &serde_json::json!({"message": "pw atomic-test-secret-77"})).unwrap();
        assert!(
            !std::fs::read_to_string(&json)
                .unwrap()
                .contains("atomic-test-secret-77")
        );
        let values = dir.path().join("values.yaml");
        write_values_file(&values, b"password: atomic-test-secret-77\n").unwrap();
        assert!(
            std::fs::read_to_string(&values)
                .unwrap()
                .contains("atomic-test-secret-77")
        );
    }

    #[test]
    fn fails_cleanly_in_a_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomic(&dir.path().join("nope/plan.json"), b"x").is_err());
    }
}
