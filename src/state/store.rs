//! Reading and writing the state file: an envelope with a checksum over the exact bytes of the
//! state, written atomically (temp file, fsync, rename). A damaged file is refused with the way out.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{ApplyRun, STATE_FORMAT_VERSION, State};
use crate::atomic_file::write_atomic;
use crate::snapshot::sha256_hex;

const KIND: &str = "kfscale-state";
pub const STATE_FILE: &str = "state.json";
pub const HISTORY_DIR: &str = "history";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    kind: String,
    format_version: u32,
    checksum: String,
    #[serde(borrow)]
    state: &'a RawValue,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {source}; fix: check the state directory (state.dir in kfscale.yaml)")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}; fix: check the state directory exists and is writable")]
    Write { path: String, source: std::io::Error },
    #[error(
        "{path} is damaged ({reason}); nothing was changed. fix: restore it from git (`git checkout -- {path}` or `git log -- {path}`), or, if no apply is in progress, move it aside and run plan again"
    )]
    Corrupted { path: String, reason: String },
    #[error(
        "{path}: state format {found} is newer than this kfscale reads ({STATE_FORMAT_VERSION}); fix: use the kfscale version that wrote it"
    )]
    NewerFormat { path: String, found: u32 },
}

pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    pub fn new(dir: &Path) -> StateStore {
        StateStore { dir: dir.to_path_buf() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// The state, or None before the first apply.
    pub fn load(&self) -> Result<Option<State>, StateError> {
        let path = self.state_path();
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Read { path: shown, source }),
        };
        parse_state(&shown, &text).map(Some)
    }

    /// Bumps the serial and writes the state atomically.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        let body = serde_json::to_string_pretty(state).map_err(|err| StateError::Write {
            path: self.state_path().display().to_string(),
            source: err.into(),
        })?;
        let text = format!(
            "{{\"kind\":\"{KIND}\",\"format_version\":{STATE_FORMAT_VERSION},\"checksum\":\"sha256:{}\",\"state\":{body}}}\n",
            sha256_hex(body.as_bytes())
        );
        self.write(&self.state_path(), text.as_bytes())
    }

    /// `history/<apply id>.json`: the run as it ended, one file per apply.
    pub fn write_history(&self, run: &ApplyRun) -> Result<PathBuf, StateError> {
        let path = self.dir.join(HISTORY_DIR).join(format!("{}.json", run.id));
        let text = serde_json::to_string_pretty(run).map_err(|err| StateError::Write {
            path: path.display().to_string(),
            source: err.into(),
        })?;
        self.write(&path, (text + "\n").as_bytes())?;
        Ok(path)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), StateError> {
        let fail = |source| StateError::Write {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        write_atomic(path, bytes).map_err(|source| StateError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}

/// A state from the text of a state file; `shown` names the file in errors (the fuzz target's
/// entry point too). The checksum catches a hand edit or a half-written file.
pub fn parse_state(shown: &str, text: &str) -> Result<State, StateError> {
    let corrupted = |reason: String| StateError::Corrupted {
        path: shown.to_string(),
        reason,
    };
    let envelope: Envelope = serde_json::from_str(text).map_err(|err| corrupted(format!("not a state file: {err}")))?;
    if envelope.kind != KIND {
        return Err(corrupted(format!("kind is `{}`", envelope.kind)));
    }
    if envelope.format_version > STATE_FORMAT_VERSION {
        return Err(StateError::NewerFormat {
            path: shown.to_string(),
            found: envelope.format_version,
        });
    }
    if envelope.checksum != format!("sha256:{}", sha256_hex(envelope.state.get().as_bytes())) {
        return Err(corrupted(
            "checksum mismatch: the file was edited or half-written".into(),
        ));
    }
    serde_json::from_str(envelope.state.get()).map_err(|err| corrupted(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            format_version: STATE_FORMAT_VERSION,
            lineage: "l-1".into(),
            serial: 0,
            cluster: "c".into(),
            run: None,
        }
    }

    #[test]
    fn saves_bumping_the_serial_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        assert!(store.load().unwrap().is_none());
        let mut s = state();
        store.save(&mut s).unwrap();
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 2);
        assert_eq!(store.load().unwrap().unwrap(), s);
    }

    #[test]
    fn refuses_a_damaged_file_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        store.save(&mut state()).unwrap();
        let text = std::fs::read_to_string(store.state_path()).unwrap();
        std::fs::write(store.state_path(), text.replace("\"l-1\"", "\"l-2\"")).unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(
            err.contains("checksum mismatch") && err.contains("git checkout"),
            "{err}"
        );
        std::fs::write(store.state_path(), &text[..text.len() / 2]).unwrap();
        assert!(matches!(store.load(), Err(StateError::Corrupted { .. })));
    }
}
