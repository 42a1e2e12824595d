//! Secrets never leave the process: values under keys that look secret are shown as `(sensitive)`.
use super::document::Document;
use super::path::{Segment, ValuePath};

pub const SENSITIVE: &str = "(sensitive)";

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "credential",
    "cert",
    "private",
    "auth",
    "dsn",
    "license",
];

/// Key names whose values are treated as secrets. Deliberately broad: hiding a harmless value
/// costs nothing, showing a secret cannot be undone.
pub fn is_sensitive_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word))
}

/// True when any key on the path looks secret (a value under `credentials:` is secret too).
pub fn is_sensitive_path(path: &ValuePath) -> bool {
    path.0
        .iter()
        .any(|segment| matches!(segment, Segment::Key(key) if is_sensitive_key(key)))
}

/// PEM blocks (keys, certificates), and URLs carrying a password (`scheme://user:pass@host`) under
/// any key name.
pub fn is_sensitive_value(value: &str) -> bool {
    value.contains("-----BEGIN") || has_url_password(value)
}

fn has_url_password(value: &str) -> bool {
    value.match_indices("://").any(|(at, _)| {
        let rest = &value[at + 3..];
        let authority = rest.split(['/', '?', '#', ' ', '\n']).next().unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// The file's text with every secret scalar replaced by `(sensitive)`; only for display.
pub fn redacted_text(document: &Document, text: &str) -> String {
    let mut spans: Vec<(usize, usize)> = document
        .scalars()
        .into_iter()
        .filter(|(path, scalar)| is_sensitive_path(path) || is_sensitive_value(&scalar.value))
        .filter(|(_, scalar)| !scalar.value.is_empty())
        .map(|(_, scalar)| (scalar.start, scalar.end))
        .collect();
    spans.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    let mut out = text.to_string();
    for (start, end) in spans {
        let keeps_newline = out[start..end].ends_with('\n');
        out.replace_range(start..end, if keeps_newline { "(sensitive)\n" } else { SENSITIVE });
    }
    out
}

/// The same rule over JSON (Helm's user values): secret-looking keys get `(sensitive)`.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if is_sensitive_key(key) {
                    blank_json(child);
                } else {
                    redact_json(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::String(text) if is_sensitive_value(text) => *text = SENSITIVE.to_string(),
        _ => {}
    }
}

fn blank_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => map.values_mut().for_each(blank_json),
        serde_json::Value::Array(items) => items.iter_mut().for_each(blank_json),
        serde_json::Value::Null => {}
        other => *other = serde_json::Value::String(SENSITIVE.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_a_password_are_secret_under_any_key() {
        assert!(is_sensitive_value("postgres://kfuse:pw@db:5432/kfuse"));
        assert!(is_sensitive_value("see https://u:p@host/x and more"));
        assert!(!is_sensitive_value("https://user@host/x"));
        assert!(!is_sensitive_value("https://host:8443/a@b"));
        assert!(!is_sensitive_value("plain text"));
        assert!(is_sensitive_value("-----BEGIN PRIVATE KEY-----\nabc\n"));
    }
}
