//! An error for a machine to read. Under `--json` a command's stdout is JSON lines, and an error
//! is one more line there, shaped as Terraform's machine-readable UI shapes its diagnostics
//! (`terraform plan -json` writes them to stdout too, so a reader follows one stream):
//!
//! `{"@level":"error","@message":"Error: ...","@module":"kfscale","@timestamp":"...",
//! "type":"diagnostic","diagnostic":{"severity":"error","summary":"...","detail":"fix: ..."}}`
//!
//! `summary` is what went wrong, `detail` what to do (kfscale's `fix:`). The exit code is the
//! same as without `--json`. `kfscale schema diagnostic` prints the line's schema.
use schemars::JsonSchema;
use serde::Serialize;

/// One error line (`kfscale schema diagnostic`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(title = "kfscale diagnostic line")]
pub struct DiagnosticLine {
    #[serde(rename = "@level")]
    pub level: Severity,
    /// `Error: ` and the summary: what a person reads first.
    #[serde(rename = "@message")]
    pub message: String,
    #[serde(rename = "@module")]
    pub module: Module,
    /// When it was written (RFC 3339, UTC).
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    /// What the line is: always `diagnostic` (the other lines of `apply --json` are its events).
    #[serde(rename = "type")]
    pub kind: LineType,
    pub diagnostic: Diagnostic,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What went wrong, naming the file, key or resource.
    pub summary: String,
    /// What to do about it (`fix: ...`); empty when the error names no fix.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Module {
    Kfscale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LineType {
    Diagnostic,
}

impl Diagnostic {
    /// An error's whole text (its context chain, as `{err:#}` prints it) split at its `fix:`.
    pub fn error(text: &str) -> Diagnostic {
        let (summary, detail) = split_fix(text);
        Diagnostic {
            severity: Severity::Error,
            summary,
            detail,
        }
    }

    /// `more` after the detail, on a line of its own (what happens next, beyond the fix).
    pub fn and_then(mut self, more: &str) -> Diagnostic {
        if !self.detail.is_empty() {
            self.detail.push('\n');
        }
        self.detail.push_str(more);
        self
    }

    pub fn line(self, timestamp: String) -> DiagnosticLine {
        DiagnosticLine {
            level: self.severity,
            message: format!("Error: {}", self.summary),
            module: Module::Kfscale,
            timestamp,
            kind: LineType::Diagnostic,
            diagnostic: self,
        }
    }

    /// Writes the line to stdout (`crate::output`: a closed pipe ends quietly there too).
    pub fn emit(self) {
        let line = self.line(crate::time::now_rfc3339());
        // Plain strings and enums: serializing cannot fail.
        // Scrubbed string by string: a secret JSON escapes (a quote, a backslash) would slip a
        // scrub of the encoded line.
        let text = kfscale_core::scrubbed_json::to_string_scrubbed(&line, false, &crate::scrub::owned, &[]);
        crate::outln!("{}", text.unwrap_or_default());
    }
}

/// (what went wrong, `fix: ...`): kfscale's messages end in `; fix: ...`, `. fix: ...` or a line
/// `fix: ...`; the first `fix:` that starts a clause starts the detail.
fn split_fix(text: &str) -> (String, String) {
    let text = text.trim();
    let starts = text
        .match_indices("fix:")
        .map(|(at, _)| at)
        .find(|&at| at == 0 || text[..at].ends_with(|c: char| c.is_whitespace()) || text[..at].ends_with(';'));
    match starts {
        Some(at) => {
            let summary = text[..at].trim_end().trim_end_matches(';').trim_end();
            (summary.to_string(), text[at..].trim().to_string())
        }
        None => (text.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_becomes_the_detail() {
        let d = Diagnostic::error("cannot read plan file p.json: No such file; fix: check the path");
        assert_eq!(d.summary, "cannot read plan file p.json: No such file");
        assert_eq!(d.detail, "fix: check the path");
        let d = Diagnostic::error("apply cancelled; nothing was changed");
        assert_eq!(
            (d.summary.as_str(), d.detail.as_str()),
            ("apply cancelled; nothing was changed", "")
        );
        let d = Diagnostic::error("the state changed; nothing was changed. fix: run it again");
        assert_eq!(d.summary, "the state changed; nothing was changed.");
        let d = Diagnostic::error("unknown flag\nfix: drop it").and_then("more");
        assert_eq!(
            (d.summary.as_str(), d.detail.as_str()),
            ("unknown flag", "fix: drop it\nmore")
        );
        // `fix:` inside a word or a path is not the fix.
        let d = Diagnostic::error("no file prefix:fix: here");
        assert_eq!(d.detail, "");
    }

    #[test]
    fn the_line_is_terraforms_shape() {
        let line = Diagnostic::error("bad; fix: good").line("2026-12-06T00:00:00.000Z".into());
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            serde_json::json!({
                "@level": "error",
                "@message": "Error: bad",
                "@module": "kfscale",
                "@timestamp": "2026-12-06T00:00:00.000Z",
                "type": "diagnostic",
                "diagnostic": {"severity": "error", "summary": "bad", "detail": "fix: good"},
            })
        );
    }
}
