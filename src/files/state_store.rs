//! The state directory on disk: `state.json` (written atomically after every step, its serial
//! bumped on each write), `history/<apply id>.json` and, for an apply that moves Kafka replicas,
//! `history/<apply id>.kafka-rollback.json`. The format is the core's
//! (`kfscale_core::state`); a damaged file is refused with the way out.
use std::path::{Path, PathBuf};

use super::atomic::write_unscrubbed;
use crate::balance::tool_json::write_partitions;
use crate::state::{
    ApplyRun, HISTORY_DIR, STATE_FILE, State, StateError, UNSCRUBBED_KEYS, encode_state_scrubbed, parse_state,
};

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
            Err(source) => {
                return Err(StateError::Read {
                    path: shown,
                    error: source,
                });
            }
        };
        parse_state(&shown, &text).map(Some)
    }

    /// Bumps the serial and writes the state atomically, but only over the state it was read as
    /// (same lineage, same serial, or no file for a state never written): a compare-and-swap, so
    /// a writer that did not hold the lock is never silently overwritten.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        let path = self.state_path();
        let on_disk = self.load()?.map(|s| (s.lineage, s.serial));
        let read = (state.serial > 0).then(|| (state.lineage.clone(), state.serial));
        if on_disk != read {
            let show = |s: Option<(String, u64)>| {
                s.map_or("no state".to_string(), |(lineage, serial)| {
                    format!("lineage {lineage} serial {serial}")
                })
            };
            return Err(StateError::Moved {
                path: path.display().to_string(),
                read: show(read),
                on_disk: show(on_disk),
            });
        }
        state.serial += 1;
        let fail = |error: std::io::Error| StateError::Write {
            path: path.display().to_string(),
            error,
        };
        // Step errors quote helm's and git's stderr: every string is scrubbed before the checksum
        // is taken, and the result must read back (a secret equal to one of the state's own
        // words, a step status, would not) before it replaces the state.
        let text = encode_state_scrubbed(state, &crate::scrub::owned).map_err(|err| fail(err.into()))?;
        parse_state(&path.display().to_string(), &text).map_err(|err| {
            fail(std::io::Error::other(format!(
                "with the values' secrets scrubbed the state would not read back ({err}); fix: a secret of the values file equals one of kfscale's own words: change it"
            )))
        })?;
        self.write(&path, text.as_bytes())
    }

    /// `history/<apply id>.json`: the run as it ended, one file per apply.
    pub fn write_history(&self, run: &ApplyRun) -> Result<PathBuf, StateError> {
        let path = self.dir.join(HISTORY_DIR).join(format!("{}.json", run.id));
        let text = kfscale_core::scrubbed_json::to_string_scrubbed(run, true, &crate::scrub::owned, UNSCRUBBED_KEYS)
            .map_err(|err| StateError::Write {
                path: path.display().to_string(),
                error: err.into(),
            })?;
        self.write(&path, (text + "\n").as_bytes())?;
        Ok(path)
    }

    /// `history/<apply id>.kafka-rollback.json`: the replicas each partition the apply moves had
    /// before (`(topic, partition, replicas)`), in `kafka-reassign-partitions` format
    /// (`--execute` it to go back), as Kloudfuse's own scale-out script saves them. Written once,
    /// when the moves are computed from the live cluster, before the first is sent: a resumed
    /// apply finds the cluster part-way and keeps the first file, the true "before".
    pub fn write_kafka_rollback<'a>(
        &self,
        run_id: &str,
        before: impl IntoIterator<Item = (&'a str, i32, &'a [i32])>,
    ) -> Result<PathBuf, StateError> {
        let path = self.kafka_rollback_path(run_id);
        if path.is_file() {
            return Ok(path);
        }
        let mut bytes = Vec::new();
        write_partitions(before, &mut bytes).map_err(|err| StateError::Write {
            path: path.display().to_string(),
            error: err,
        })?;
        self.write(&path, &bytes)?;
        Ok(path)
    }

    /// The run's rollback file, when it moved replicas (see [`StateStore::write_kafka_rollback`]).
    pub fn kafka_rollback(&self, run_id: &str) -> Option<PathBuf> {
        let path = self.kafka_rollback_path(run_id);
        path.is_file().then_some(path)
    }

    fn kafka_rollback_path(&self, run_id: &str) -> PathBuf {
        self.dir.join(HISTORY_DIR).join(format!("{run_id}.kafka-rollback.json"))
    }

    /// `bytes` are scrubbed already (by `save` and `write_history`), or hold only what kfscale acts
    /// on and never scrubs (the rollback file: topic names, partitions, broker ids).
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), StateError> {
        let fail = |source| StateError::Write {
            path: path.display().to_string(),
            error: source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        write_unscrubbed(path, bytes).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::STATE_FORMAT_VERSION;

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

    #[test]
    fn never_writes_over_a_state_someone_else_wrote_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        let mut ours = state();
        store.save(&mut ours).unwrap();
        // Another writer (no lock) read the same state and wrote first.
        let mut theirs = store.load().unwrap().unwrap();
        store.save(&mut theirs).unwrap();
        let err = store.save(&mut ours).unwrap_err();
        assert!(matches!(err, StateError::Moved { .. }), "{err}");
        assert!(
            err.to_string().contains("serial 1") && err.to_string().contains("serial 2"),
            "{err}"
        );
        assert_eq!(store.load().unwrap().unwrap(), theirs, "their state was overwritten");
        assert_eq!(ours.serial, 1, "a refused save bumped the serial");
        // A state file that appears under a first apply, or one deleted under a later one.
        let mut fresh = state();
        assert!(matches!(store.save(&mut fresh), Err(StateError::Moved { .. })));
        std::fs::remove_file(store.state_path()).unwrap();
        assert!(matches!(store.save(&mut theirs), Err(StateError::Moved { .. })));
    }
}
