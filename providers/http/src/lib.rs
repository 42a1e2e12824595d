//! What kfscale's HTTP clients share in their error texts. A server's error answer is shown by its
//! own message field when it has one (`{"error": ...}` for Pinot, `{"message": ...}` for Grafana,
//! `{"error": {"message": ...}}` for Azure), else by an excerpt of the body; a transport error by the
//! innermost cause, where reqwest keeps the useful reason (connection refused, reset, DNS).

/// The longest excerpt of a body an error shows, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// The first [`EXCERPT_CHARS`] characters of `body`, trimmed, with `...` when cut; `(empty body)`
/// for nothing.
pub fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".into();
    }
    let cut: String = trimmed.chars().take(EXCERPT_CHARS).collect();
    if cut.len() < trimmed.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

/// The string at `pointer` (a JSON pointer, e.g. `/error` or `/error/message`) of a JSON body, else an
/// excerpt of the body.
pub fn message_or_excerpt(body: &str, pointer: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.pointer(pointer).and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| excerpt(body))
}

/// The innermost source of an error: reqwest nests the useful reason a few sources down.
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        message = inner.to_string();
        source = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_trimmed_and_cut() {
        assert_eq!(excerpt("  "), "(empty body)");
        assert_eq!(excerpt(" <html>bad gateway</html>\n"), "<html>bad gateway</html>");
        let long = excerpt(&"x".repeat(300));
        assert_eq!(long.len(), EXCERPT_CHARS + 3);
        assert!(long.ends_with("..."));
        // Cut by characters, never inside one.
        assert_eq!(excerpt(&"é".repeat(250)).chars().count(), EXCERPT_CHARS + 3);
    }

    #[test]
    fn messages_are_read_where_the_server_puts_them() {
        assert_eq!(
            message_or_excerpt(r#"{"code": 404, "error": "no table"}"#, "/error"),
            "no table"
        );
        assert_eq!(
            message_or_excerpt(
                r#"{"error": {"code": "Conflict", "message": "busy"}}"#,
                "/error/message"
            ),
            "busy"
        );
        assert_eq!(message_or_excerpt("oops", "/message"), "oops");
        assert_eq!(message_or_excerpt(r#"{"message": 3}"#, "/message"), r#"{"message": 3}"#);
    }

    #[test]
    fn the_root_cause_is_the_innermost_source() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        assert_eq!(root_cause(&err), "connection refused");
    }
}
