//! The exact strings to scrub from free text (kfscale's output, logs, errors, other programs'
//! stderr, files, commit messages) for each secret the detector found: the value as parsed, as
//! written in the file, as JSON and Rust debug output quote it, each line of a multi-line secret
//! (a diff or an error shows a PEM block line by line) and each secret part of a value (the
//! password of a URL, which an error may quote without the rest).
use std::collections::BTreeSet;

use super::detector::{Finding, detect};
use super::leaves::{document_leaves, json_leaves};
use crate::values::document::{Document, Style};

/// Secrets shorter than this many characters are not scrubbed from free text: replacing every
/// `abc` in every line kfscale prints would garble its output and hide nothing (such a secret is
/// guessed faster than it is read). They are still hidden wherever redaction goes by structure
/// (the values file shown, plan diffs, Helm's values in a snapshot).
pub const MIN_SCRUB_CHARS: usize = 4;

/// The floor for a secret that is a plain word or number (`kafka`, `admin`, `1234`): below it,
/// the word is more likely part of a name kfscale works with (a topic, a workload, a release) or a
/// figure it prints than a leak, and scrubbing it would rewrite those names in plans and state.
pub const MIN_SCRUB_CHARS_PLAIN: usize = 8;

/// Every string to scrub for the secrets of a values document; `text` is the file's text, for
/// the form each secret is written in.
pub fn document_needles(document: &Document, text: &str) -> BTreeSet<String> {
    let leaves = document_leaves(document);
    let plain: Vec<_> = leaves.iter().map(|(leaf, _)| leaf.clone()).collect();
    let findings = detect(&plain);
    let mut out = needles(&findings);
    for finding in &findings {
        let scalar = leaves[finding.leaf].1;
        let quoted = matches!(scalar.style, Style::SingleQuoted | Style::DoubleQuoted);
        if quoted && scalar.end <= text.len() && scalar.end >= scalar.start + 2 {
            // `"p\"w"` in the file: an error quoting the file's line shows the escaped form.
            if let Some(written) = text.get(scalar.start + 1..scalar.end - 1) {
                add(&mut out, written);
            }
        }
    }
    out
}

/// Every string to scrub for the secrets of a JSON value (Helm's user values).
pub fn json_needles(value: &serde_json::Value) -> BTreeSet<String> {
    needles(&detect(&json_leaves(value)))
}

/// The strings to scrub for `findings`.
pub fn needles(findings: &[Finding]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for finding in findings {
        add(&mut out, &finding.value);
        add(&mut out, finding.value.trim());
        if finding.whole && finding.value.trim().contains('\n') {
            for line in finding.value.lines() {
                add(&mut out, line.trim());
            }
        }
        for part in &finding.parts {
            add(&mut out, part);
        }
    }
    out
}

/// The strings to scrub for one secret known as such (a token read from a file).
pub fn secret_needles(secret: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    add(&mut out, secret);
    out
}

/// Adds `secret` and the forms JSON and `{:?}` give it, when it is long enough to scrub.
fn add(out: &mut BTreeSet<String>, secret: &str) {
    let chars = secret.chars().count();
    let plain = secret.chars().all(|c| c.is_ascii_lowercase())
        || secret.chars().all(|c| c.is_ascii_uppercase())
        || secret.chars().all(|c| c.is_ascii_digit());
    if chars < MIN_SCRUB_CHARS || (plain && chars < MIN_SCRUB_CHARS_PLAIN) {
        return;
    }
    out.insert(secret.to_string());
    if let Ok(json) = serde_json::to_string(secret) {
        out.insert(json[1..json.len() - 1].to_string());
    }
    let debug = format!("{secret:?}");
    out.insert(debug[1..debug.len() - 1].to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_and_nothing_short() {
        let text = "a:\n  password: \"pa\\\"ss-1\"\n  url: postgres://u:pw-in-url@db/x\n  token: abc\n  pin: \"1234\"\n  pass: kafka\n  pwd: kafkakafka\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIBbody\n    -----END CERTIFICATE-----\n";
        let document = Document::parse("v.yaml", text).unwrap();
        let found = document_needles(&document, text);
        for needle in [
            "pa\"ss-1",
            "pa\\\"ss-1",
            "pw-in-url",
            "postgres://u:pw-in-url@db/x",
            "MIIBbody",
            "-----BEGIN CERTIFICATE-----\\nMIIBbody\\n-----END CERTIFICATE-----\\n",
        ] {
            assert!(found.contains(needle), "{needle} missing from {found:?}");
        }
        assert!(!found.contains("abc"), "a 3-character secret is below the floor");
        assert!(
            !found.contains("1234") && !found.contains("kafka"),
            "a short word or number is below the plain floor"
        );
        assert!(found.contains("kafkakafka"));
    }
}
