//! The checksummed envelope every file kfscale writes for itself shares (the plan file, the state
//! file): `{"kind", "format_version", "checksum", "<payload>": {...}}`, the checksum over the
//! payload's exact bytes, so a hand edit, a damaged copy or a half-written file is refused instead
//! of trusted. Each file names its kind, its payload key and the newest format it reads.
use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::snapshot::sha256_hex;

/// What one kind of file looks like inside its envelope.
pub struct EnvelopeKind {
    /// `kind` in the file (`kfscale-plan`, `kfscale-state`).
    pub kind: &'static str,
    /// The key the payload is stored under (`plan`, `state`).
    pub payload: &'static str,
    /// The newest format this kfscale writes and reads.
    pub format_version: u32,
}

/// Why an envelope was refused; each file turns this into its own message and fix.
#[derive(Debug, PartialEq)]
pub enum EnvelopeError {
    /// Not JSON of the envelope's shape (truncated, garbage, missing keys).
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
    /// Another kind of file (a snapshot given where a plan was expected).
    OtherKind { found: String },
    /// Written by a newer kfscale; `writer` is its `kfscale_version` when the payload names it.
    Newer { found: u32, writer: Option<String> },
    /// The payload's bytes are not the ones the checksum was made of.
    Tampered,
}

impl EnvelopeKind {
    /// The envelope around `payload` (already serialized: the checksum is over these bytes).
    pub fn seal(&self, payload: &str) -> String {
        format!(
            "{{\"kind\":\"{}\",\"format_version\":{},\"checksum\":\"sha256:{}\",\"{}\":{payload}}}\n",
            self.kind,
            self.format_version,
            sha256_hex(payload.as_bytes()),
            self.payload
        )
    }

    /// The payload's text, once kind, version and checksum are checked.
    pub fn open<'t>(&self, text: &'t str) -> Result<&'t str, EnvelopeError> {
        let malformed = |err: serde_json::Error| EnvelopeError::Malformed {
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        };
        let missing = |key: &str| EnvelopeError::Malformed {
            line: 1,
            column: 1,
            message: format!("no `{key}`"),
        };
        // The fields as raw text: the checksum is over the payload's bytes as written, not over a
        // re-serialization of it.
        let fields: BTreeMap<String, &'t RawValue> = serde_json::from_str(text).map_err(malformed)?;
        let field = |key: &str| fields.get(key).map(|raw| raw.get()).ok_or_else(|| missing(key));
        let kind: String = serde_json::from_str(field("kind")?).map_err(malformed)?;
        if kind != self.kind {
            return Err(EnvelopeError::OtherKind { found: kind });
        }
        if let Some(unknown) = fields
            .keys()
            .find(|key| !["kind", "format_version", "checksum", self.payload].contains(&key.as_str()))
        {
            return Err(EnvelopeError::Malformed {
                line: 1,
                column: 1,
                message: format!("unknown field `{unknown}`"),
            });
        }
        let version: u64 = serde_json::from_str(field("format_version")?).map_err(malformed)?;
        let checksum: String = serde_json::from_str(field("checksum")?).map_err(malformed)?;
        let payload = field(self.payload)?;
        if version > u64::from(self.format_version) {
            #[derive(serde::Deserialize)]
            struct Writer {
                kfscale_version: Option<String>,
            }
            let writer = serde_json::from_str::<Writer>(payload)
                .ok()
                .and_then(|w| w.kfscale_version);
            return Err(EnvelopeError::Newer {
                found: u32::try_from(version).unwrap_or(u32::MAX),
                writer,
            });
        }
        // The checksum is over the compact bytes kfscale writes; the same JSON re-indented (`jq .`
        // of `plan --json`) is the same document, so whitespace between tokens does not count.
        let sealed = |bytes: &str| checksum == format!("sha256:{}", sha256_hex(bytes.as_bytes()));
        if !sealed(payload) && !sealed(&without_layout(payload)) {
            return Err(EnvelopeError::Tampered);
        }
        Ok(payload)
    }
}

/// `json` without the whitespace between its tokens (inside strings it is kept): what
/// `serde_json::to_string` writes for the same document, as long as only the layout changed.
pub fn without_layout(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: EnvelopeKind = EnvelopeKind {
        kind: "kfscale-test",
        payload: "thing",
        format_version: 2,
    };

    #[test]
    fn a_sealed_payload_opens_to_its_exact_bytes() {
        let payload = r#"{"b":1,"a":[1, 2]}"#;
        assert_eq!(KIND.open(&KIND.seal(payload)), Ok(payload));
    }

    #[test]
    fn an_edit_a_cut_another_kind_and_a_newer_version_are_refused() {
        let sealed = KIND.seal(r#"{"n":1,"kfscale_version":"9.9.9"}"#);
        assert_eq!(
            KIND.open(&sealed.replace("\"n\":1", "\"n\":2")),
            Err(EnvelopeError::Tampered)
        );
        assert!(matches!(
            KIND.open(&sealed[..sealed.len() / 2]),
            Err(EnvelopeError::Malformed { .. })
        ));
        assert_eq!(
            KIND.open(&sealed.replace("kfscale-test", "kfscale-other")),
            Err(EnvelopeError::OtherKind {
                found: "kfscale-other".into()
            })
        );
        assert_eq!(
            KIND.open(&sealed.replace("\"format_version\":2", "\"format_version\":3")),
            Err(EnvelopeError::Newer {
                found: 3,
                writer: Some("9.9.9".into())
            })
        );
        assert!(matches!(
            KIND.open(&sealed.replace("\"checksum\"", "\"extra\":1,\"checksum\"")),
            Err(EnvelopeError::Malformed { .. })
        ));
    }

    #[test]
    fn a_reindented_payload_still_opens_but_a_changed_string_does_not() {
        let payload = r#"{"a":[1,2],"b":"x y\"z"}"#;
        let sealed = KIND.seal(payload);
        let pretty = sealed.replace(r#"{"a":[1,2],"b""#, "{\n  \"a\": [ 1, 2 ],\n  \"b\" ");
        assert_ne!(pretty, sealed);
        assert!(KIND.open(&pretty).is_ok(), "{pretty}");
        assert_eq!(
            KIND.open(&sealed.replace("x y", "x  y")),
            Err(EnvelopeError::Tampered),
            "whitespace inside a string is content"
        );
    }
}
