//! The plan file (`plan -out FILE`): the whole plan, self-contained, with a checksum over its exact
//! bytes so a damaged or edited file is refused instead of applied.
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::atomic_file::write_atomic;
use crate::plan::{PLAN_FORMAT_VERSION, Plan};
use crate::snapshot::sha256_hex;

const KIND: &str = "kfscale-plan";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    kind: String,
    format_version: u32,
    /// `sha256:<hex>` of the bytes of `plan` exactly as written.
    checksum: String,
    #[serde(borrow)]
    plan: &'a RawValue,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {path}: {source}; fix: check the path")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write plan file {path}: {source}; fix: check the directory exists and is writable")]
    Write { path: String, source: std::io::Error },
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
        "{path}: plan format version {found} is newer than this kfscale reads ({PLAN_FORMAT_VERSION}); fix: apply it with the kfscale version that wrote it ({writer}), or make a new plan"
    )]
    NewerFormat { path: String, found: u32, writer: String },
    #[error(
        "{path}: checksum mismatch: the plan was changed after kfscale wrote it; fix: never edit a plan file: make a new plan with `kfscale plan -out FILE`"
    )]
    Tampered { path: String },
}

pub fn write_plan_file(path: &Path, plan: &Plan) -> Result<(), PlanFileError> {
    let body = serde_json::to_string(plan).map_err(|err| PlanFileError::Write {
        path: path.display().to_string(),
        source: err.into(),
    })?;
    let envelope = format!(
        "{{\"kind\":\"{KIND}\",\"format_version\":{PLAN_FORMAT_VERSION},\"checksum\":\"sha256:{}\",\"plan\":{body}}}\n",
        sha256_hex(body.as_bytes())
    );
    write_atomic(path, envelope.as_bytes()).map_err(|source| PlanFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

pub fn read_plan_file(path: &Path) -> Result<Plan, PlanFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
        path: shown.clone(),
        source,
    })?;
    parse_plan_file(&shown, &text)
}

/// A plan from the text of a plan file; `shown` names the file in errors (the fuzz target's entry
/// point too).
pub fn parse_plan_file(shown: &str, text: &str) -> Result<Plan, PlanFileError> {
    let shown = shown.to_string();
    let malformed = |err: serde_json::Error| PlanFileError::Malformed {
        path: shown.clone(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    };
    let envelope: Envelope = serde_json::from_str(text).map_err(malformed)?;
    if envelope.kind != KIND {
        return Err(PlanFileError::Malformed {
            path: shown,
            line: 1,
            column: 1,
            message: format!("kind is `{}`", envelope.kind),
        });
    }
    if envelope.format_version > PLAN_FORMAT_VERSION {
        let writer = serde_json::from_str::<serde_json::Value>(envelope.plan.get())
            .ok()
            .and_then(|plan| plan.get("kfscale_version").and_then(|v| v.as_str()).map(String::from))
            .unwrap_or_else(|| "unknown".into());
        return Err(PlanFileError::NewerFormat {
            path: shown,
            found: envelope.format_version,
            writer,
        });
    }
    if envelope.checksum != format!("sha256:{}", sha256_hex(envelope.plan.get().as_bytes())) {
        return Err(PlanFileError::Tampered { path: shown });
    }
    serde_json::from_str(envelope.plan.get()).map_err(malformed)
}
