//! The state file's format: the state in the checksummed envelope, so a hand edit or a
//! half-written file is refused with the way out. Reading and writing the file itself is the
//! edge's job (`kfscale::files::StateStore`).
use super::{STATE_FORMAT_VERSION, State};
use crate::envelope::{EnvelopeError, EnvelopeKind};
use crate::scrubbed_json::{Scrub, to_string_scrubbed};

pub const STATE_FILE_KIND: EnvelopeKind = EnvelopeKind {
    kind: "kfscale-state",
    payload: "state",
    format_version: STATE_FORMAT_VERSION,
};
/// The state file's name in `state.dir`.
pub const STATE_FILE: &str = "state.json";
/// `state.dir/history/<apply id>.json`: each apply as it ended.
pub const HISTORY_DIR: &str = "history";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {error}; fix: check the state directory (state.dir in kfscale.yaml)")]
    Read { path: String, error: std::io::Error },
    #[error("cannot write {path}: {error}; fix: check the state directory exists and is writable")]
    Write { path: String, error: std::io::Error },
    #[error(
        "{path} is damaged ({reason}); nothing was changed. fix: restore it from git (`git checkout -- {path}` or `git log -- {path}`), or, if no apply is in progress, move it aside and run plan again"
    )]
    Corrupted { path: String, reason: String },
    #[error(
        "{path}: state format {found} is newer than this kfscale reads ({STATE_FORMAT_VERSION}); fix: use the kfscale version that wrote it"
    )]
    NewerFormat { path: String, found: u32 },
    #[error(
        "{path} changed under this apply (it read {read}, the file now holds {on_disk}): something wrote it without the lock; this apply's state was not written. fix: see who changed it (`git log -- {path}`), then run `kfscale apply` again to resume from the state as it is"
    )]
    Moved {
        path: String,
        read: String,
        on_disk: String,
    },
}

/// The text of a state file holding `state`.
pub fn encode_state(state: &State) -> Result<String, serde_json::Error> {
    encode_state_scrubbed(state, &|text| text.to_string())
}

/// The state's keys whose values are written as they are: a step's `handles` are the ids, names
/// and configs the systems returned (EKS update ids, Kafka moves, the customer's throttle configs
/// to restore), never text of the values file, and a resumed apply acts on them.
pub const UNSCRUBBED_KEYS: &[&str] = &["handles"];

/// The text of a state file holding `state`, every string value passed through `scrub` before
/// the checksum is taken (so the file kfscale writes without its secrets still opens).
pub fn encode_state_scrubbed(state: &State, scrub: Scrub<'_>) -> Result<String, serde_json::Error> {
    Ok(STATE_FILE_KIND.seal(&to_string_scrubbed(state, true, scrub, UNSCRUBBED_KEYS)?))
}

/// A state from the text of a state file; `shown` names the file in errors (the fuzz target's
/// entry point too). The checksum catches a hand edit or a half-written file.
pub fn parse_state(shown: &str, text: &str) -> Result<State, StateError> {
    let corrupted = |reason: String| StateError::Corrupted {
        path: shown.to_string(),
        reason,
    };
    let payload = STATE_FILE_KIND.open(text).map_err(|err| match err {
        EnvelopeError::Malformed { message, .. } => corrupted(format!("not a state file: {message}")),
        EnvelopeError::OtherKind { found } => corrupted(format!("kind is `{found}`")),
        EnvelopeError::Newer { found, .. } => StateError::NewerFormat {
            path: shown.to_string(),
            found,
        },
        EnvelopeError::Tampered => corrupted("checksum mismatch: the file was edited or half-written".into()),
    })?;
    serde_json::from_str(payload).map_err(|err| corrupted(err.to_string()))
}
