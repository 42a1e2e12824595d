//! The plan document: what `plan -out FILE` writes, `plan --json` and `show --json` print, and
//! `apply FILE` and `show FILE` read. One shape for all of them: the whole plan, self-contained,
//! in the checksummed envelope, so a damaged or edited copy is refused instead of applied. Reading
//! and writing the file itself is the edge's job (`kfscale::files`).
use schemars::JsonSchema;

use crate::envelope::{EnvelopeError, EnvelopeKind};
use crate::plan::{PLAN_FORMAT_VERSION, Plan};
use crate::scrubbed_json::{Scrub, to_string_scrubbed};

pub const PLAN_FILE: EnvelopeKind = EnvelopeKind {
    kind: "kfscale-plan",
    payload: "plan",
    format_version: PLAN_FORMAT_VERSION,
};

/// The plan document as its JSON Schema describes it (`kfscale schema plan`). Only the schema is
/// made from this type: the document itself is written by [`encode_plan_file`], whose checksum
/// is over the exact bytes of `plan`.
#[derive(JsonSchema)]
#[schemars(title = "kfscale plan document", deny_unknown_fields)]
#[allow(dead_code)]
pub struct PlanDocument {
    /// What the document is: always `kfscale-plan`.
    kind: PlanDocumentKind,
    /// The format of this document and of its `plan`; a reader refuses a newer one.
    format_version: u32,
    /// `sha256:` and the SHA-256 of `plan` as compact JSON (the bytes kfscale writes; a
    /// re-indented copy has the same checksum).
    #[schemars(pattern(r"^sha256:[0-9a-f]{64}$"))]
    checksum: String,
    plan: Plan,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
enum PlanDocumentKind {
    #[serde(rename = "kfscale-plan")]
    Plan,
}

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
        "{path} is a bare plan, as an older `kfscale plan --json` printed it, with no checksum to prove it unchanged; fix: make the plan again: `kfscale plan ... -out FILE` (or `--json`, which now prints the same document)"
    )]
    BarePlan { path: String },
    #[error(
        "{path}:{line}: only kfscale's error lines may follow the plan, not this; fix: the file is damaged: make a new plan with `kfscale plan -out FILE`"
    )]
    Trailing { path: String, line: usize },
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

/// An older `kfscale plan --json` output: the plan alone, no envelope.
fn is_bare_plan(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        kind: Option<serde::de::IgnoredAny>,
        format_version: Option<serde::de::IgnoredAny>,
        intent: Option<serde::de::IgnoredAny>,
        fingerprints: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Probe>(text).is_ok_and(|probe| {
        probe.kind.is_none() && probe.format_version.is_some() && probe.intent.is_some() && probe.fingerprints.is_some()
    })
}

/// The plan document at the start of `text`, and the line of anything after it that is not a
/// diagnostic: `plan --json` prints its error lines (`"type":"diagnostic"`) after the plan when the
/// command fails later (a failed pre-check, a plan file it could not write), and a saved copy of
/// that output is still the plan.
fn split_trailing_diagnostics(text: &str) -> (&str, Option<usize>) {
    #[derive(serde::Deserialize)]
    struct Line {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>();
    let end = match values.next() {
        Some(Ok(_)) => values.byte_offset(),
        // Not JSON: the envelope's own reading names the line and column.
        _ => return (text, None),
    };
    let mut start = end;
    while let Some(next) = values.next() {
        let diagnostic = next
            .ok()
            .and_then(|raw| serde_json::from_str::<Line>(raw.get()).ok())
            .is_some_and(|line| line.kind.as_deref() == Some("diagnostic"));
        if !diagnostic {
            let at = text.len() - text[start..].trim_start().len();
            return (&text[..end], Some(1 + text[..at].matches('\n').count()));
        }
        start = values.byte_offset();
    }
    (&text[..end], None)
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
    if is_bare_plan(text) {
        return Err(PlanFileError::BarePlan { path });
    }
    let (document, trailing) = split_trailing_diagnostics(text);
    if let Some(line) = trailing {
        return Err(PlanFileError::Trailing { path, line });
    }
    let payload = PLAN_FILE.open(document).map_err(|err| match err {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_after_the_plan_are_set_aside_anything_else_is_named_by_its_line() {
        let plan = "{\"kind\":\"kfscale-plan\"}\n";
        let error = "{\"@level\":\"error\",\"type\":\"diagnostic\",\"diagnostic\":{}}\n";
        assert_eq!(split_trailing_diagnostics(plan), (plan.trim_end(), None));
        assert_eq!(
            split_trailing_diagnostics(&format!("{plan}{error}{error}")),
            (plan.trim_end(), None)
        );
        assert_eq!(
            split_trailing_diagnostics(&format!("{plan}{error}\n{{\"kind\":\"x\"}}\n")),
            (plan.trim_end(), Some(4))
        );
        assert_eq!(split_trailing_diagnostics(&format!("{plan}garbage")).1, Some(2));
        // A cut plan is left whole for the envelope to name where it ends.
        assert_eq!(split_trailing_diagnostics("{\"kind\":"), ("{\"kind\":", None));
    }
}
