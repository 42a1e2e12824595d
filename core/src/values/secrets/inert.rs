//! Values that hold nothing secret whatever their key says: hiding them only hurts a review, and
//! scrubbing a word such as `none` or `true` from every line kfscale prints would garble it.

/// Words that switch a feature or leave a setting unset; never a real secret.
const SENTINELS: &[&str] = &[
    "", "~", "-", "null", "nil", "none", "true", "false", "yes", "no", "on", "off", "enabled", "disabled",
];

/// True for an empty value, a sentinel word, or a placeholder that another tool fills in later
/// (`${DB_PASSWORD}`, `{{ .Values.global.dbPassword }}`, `$(DB_PASSWORD)`): the placeholder names
/// the secret; the secret itself is elsewhere.
pub fn is_inert(value: &str) -> bool {
    let value = value.trim();
    SENTINELS.iter().any(|s| value.eq_ignore_ascii_case(s)) || is_placeholder(value)
}

pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    let wrapped = |open: &str, close: &str| {
        value.starts_with(open) && value.ends_with(close) && value.len() > open.len() + close.len() && {
            let inner = &value[open.len()..value.len() - close.len()];
            !inner.contains(open) && !inner.contains(close)
        }
    };
    wrapped("${", "}") || wrapped("{{", "}}") || wrapped("$(", ")")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_and_placeholders_are_inert() {
        for value in [
            "",
            "true",
            "False",
            "none",
            "~",
            "${DB_PASSWORD}",
            "{{ .Values.db.password }}",
            "$(PW)",
        ] {
            assert!(is_inert(value), "{value}");
        }
        for value in ["hunter2", "${A}x${B}", "prefix-${X}", "{{ a }} and {{ b }}"] {
            assert!(!is_inert(value), "{value}");
        }
    }
}
