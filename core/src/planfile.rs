//! The plan file's format (`plan -out FILE`): the whole plan, self-contained, in the checksummed
//! envelope, so a damaged or edited file is refused instead of applied. Reading and writing the
//! file itself is the edge's job (`kfscale::files`).
use crate::envelope::{EnvelopeError, EnvelopeKind};
use crate::plan::{PLAN_FORMAT_VERSION, Plan};
use crate::scrubbed_json::{Scrub, to_string_scrubbed};

pub const PLAN_FILE: EnvelopeKind = EnvelopeKind {
    kind: "kfscale-plan",
    payload: "plan",
    format_version: PLAN_FORMAT_VERSION,
};

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {path}: {error}; fix: check the path")]
    Read { path: String, error: std::io::Error },
    #[error("cannot write plan file {path}: {error}; fix: check the directory exists and is writable")]
    Write { path: String, error: std::io::Error },
    #[error(
        "{path}:{line}:{column}: not a kfscale plan file ({message}); fix: the file is truncated or damaged: make a new plan with `kfscale plan -out FILE`"
    )]
    Malformed {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path} is a snapshot (`kfscale snapshot`), not a plan; fix: make a plan from it: `kfscale plan --snapshot {path} --add-nodes N -out plan.json`, then `kfscale show plan.json`"
    )]
    Snapshot { path: String },
    #[error(
        "{path}: plan format version {found} is newer than this kfscale reads ({PLAN_FORMAT_VERSION}); fix: apply it with the kfscale version that wrote it ({writer}), or make a new plan"
    )]
    NewerFormat { path: String, found: u32, writer: String },
    #[error(
        "{path}: checksum mismatch: the plan was changed after kfscale wrote it; fix: never edit a plan file: make a new plan with `kfscale plan -out FILE`"
    )]
    Tampered { path: String },
}

/// A snapshot file (`kfscale snapshot -o`) given where a plan is expected: it has no envelope,
/// but its own top-level keys.
fn is_snapshot(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        kind: Option<serde::de::IgnoredAny>,
        observed_at: Option<serde::de::IgnoredAny>,
        node_pool: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Probe>(text)
        .is_ok_and(|probe| probe.kind.is_none() && probe.observed_at.is_some() && probe.node_pool.is_some())
}

/// The text of a plan file holding `plan`.
pub fn encode_plan_file(plan: &Plan) -> Result<String, serde_json::Error> {
    encode_plan_file_scrubbed(plan, &|text| text.to_string())
}

/// The text of a plan file holding `plan`, every string value passed through `scrub` before the
/// checksum is taken.
pub fn encode_plan_file_scrubbed(plan: &Plan, scrub: Scrub<'_>) -> Result<String, serde_json::Error> {
    Ok(PLAN_FILE.seal(&to_string_scrubbed(plan, false, scrub, &[])?))
}

/// A plan from the text of a plan file; `shown` names the file in errors (the fuzz target's entry
/// point too).
pub fn parse_plan_file(shown: &str, text: &str) -> Result<Plan, PlanFileError> {
    let path = shown.to_string();
    let malformed = |line, column, message| PlanFileError::Malformed {
        path: path.clone(),
        line,
        column,
        message,
    };
    if is_snapshot(text) {
        return Err(PlanFileError::Snapshot { path });
    }
    let payload = PLAN_FILE.open(text).map_err(|err| match err {
        EnvelopeError::Malformed { line, column, message } => malformed(line, column, message),
        EnvelopeError::OtherKind { found } => malformed(1, 1, format!("kind is `{found}`")),
        EnvelopeError::Newer { found, writer } => PlanFileError::NewerFormat {
            path: path.clone(),
            found,
            writer: writer.unwrap_or_else(|| "unknown".into()),
        },
        EnvelopeError::Tampered => PlanFileError::Tampered { path: path.clone() },
    })?;
    serde_json::from_str(payload).map_err(|err| malformed(err.line(), err.column(), err.to_string()))
}
