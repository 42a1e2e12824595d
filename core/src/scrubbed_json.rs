//! JSON with every string value passed through a scrub function on its way out: how kfscale's own
//! files (state, plan file, snapshot, history) are written without a secret in them. Scrubbing at
//! the serializer, string by string, keeps the structure intact whatever a secret looks like (a
//! secret equal to a field name cannot rename the field, one holding `"` cannot break the
//! quoting) and keeps the field order and layout of `serde_json::to_string[_pretty]`.
use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

/// What a scrub function does to one string value (object keys are kfscale's field names and
/// map keys; they are left alone so the file reads back).
pub type Scrub<'s> = &'s dyn Fn(&str) -> String;

/// `serde_json::to_string` (or `to_string_pretty`) with every string value scrubbed, except
/// those under an object key in `keep` (the state's `handles`: ids and names the systems
/// returned, which a resumed apply polls and restores by; a short secret that happens to be part
/// of a topic name must not rewrite them).
pub fn to_string_scrubbed<T: Serialize + ?Sized>(
    value: &T,
    pretty: bool,
    scrub: Scrub<'_>,
    keep: &[&str],
) -> serde_json::Result<String> {
    let mut out = Vec::new();
    if pretty {
        let formatter = Scrubbing::new(PrettyFormatter::new(), scrub, keep);
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, formatter))?;
    } else {
        let formatter = Scrubbing::new(CompactFormatter, scrub, keep);
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, formatter))?;
    }
    // serde_json writes UTF-8 only, and the scrub function returns `String`s.
    String::from_utf8(out).map_err(|err| serde::ser::Error::custom(err.to_string()))
}

/// A formatter that collects each string value, scrubs it, and writes it escaped.
struct Scrubbing<'s, F> {
    inner: F,
    scrub: Scrub<'s>,
    keep: &'s [&'s str],
    /// Objects and arrays open around the current token.
    depth: usize,
    /// The object key being written, unescaped, until its closing quote.
    key: Option<String>,
    /// Inside the value of a kept key, which was written at this depth.
    kept_at: Option<usize>,
    /// The string value being written, unescaped, until its closing quote.
    pending: Option<String>,
}

impl<'s, F: Formatter> Scrubbing<'s, F> {
    fn new(inner: F, scrub: Scrub<'s>, keep: &'s [&'s str]) -> Self {
        Scrubbing {
            inner,
            scrub,
            keep,
            depth: 0,
            key: None,
            kept_at: None,
            pending: None,
        }
    }
}

impl<F: Formatter> Formatter for Scrubbing<'_, F> {
    fn begin_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.key.is_none() && self.kept_at.is_none() {
            self.pending = Some(String::new());
        }
        self.inner.begin_string(writer)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        if let Some(key) = &mut self.key {
            key.push_str(fragment);
        }
        match &mut self.pending {
            Some(pending) => {
                pending.push_str(fragment);
                Ok(())
            }
            None => self.inner.write_string_fragment(writer, fragment),
        }
    }

    fn write_char_escape<W: ?Sized + io::Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        if let Some(key) = &mut self.key {
            key.push(unescaped(&escape));
        }
        match &mut self.pending {
            Some(pending) => {
                pending.push(unescaped(&escape));
                Ok(())
            }
            None => self.inner.write_char_escape(writer, escape),
        }
    }

    fn end_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if let Some(pending) = self.pending.take() {
            let escaped = serde_json::to_string(&(self.scrub)(&pending)).map_err(io::Error::other)?;
            // Without its quotes: begin_string and end_string write those.
            writer.write_all(&escaped.as_bytes()[1..escaped.len() - 1])?;
        }
        self.inner.end_string(writer)
    }

    fn write_raw_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        if self.kept_at.is_some() {
            return self.inner.write_raw_fragment(writer, fragment);
        }
        self.inner.write_raw_fragment(writer, &(self.scrub)(fragment))
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.key = Some(String::new());
        self.inner.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if let Some(key) = self.key.take()
            && self.kept_at.is_none()
            && self.keep.contains(&key.as_str())
        {
            self.kept_at = Some(self.depth);
        }
        self.inner.end_object_key(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.kept_at == Some(self.depth) {
            self.kept_at = None;
        }
        self.inner.end_object_value(writer)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.inner.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        self.inner.end_array(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        self.inner.end_object(writer)
    }

    // Everything else is the inner formatter's (layout: compact or pretty).
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }
}

fn unescaped(escape: &CharEscape) -> char {
    match escape {
        CharEscape::Quote => '"',
        CharEscape::ReverseSolidus => '\\',
        CharEscape::Solidus => '/',
        CharEscape::Backspace => '\u{8}',
        CharEscape::FormFeed => '\u{c}',
        CharEscape::LineFeed => '\n',
        CharEscape::CarriageReturn => '\r',
        CharEscape::Tab => '\t',
        CharEscape::AsciiControl(byte) => char::from(*byte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hide(text: &str) -> String {
        text.replace("hunter2", "(sensitive)")
    }

    #[test]
    fn scrubs_values_not_keys_and_keeps_the_layout() {
        let value = json!({"hunter2": "a \"hunter2\"\nline", "n": 1, "list": ["hunter2", true]});
        let expected = json!({"hunter2": "a \"(sensitive)\"\nline", "n": 1, "list": ["(sensitive)", true]});
        assert_eq!(
            to_string_scrubbed(&value, false, &hide, &[]).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
        assert_eq!(
            to_string_scrubbed(&value, true, &hide, &[]).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }

    #[test]
    fn values_under_a_kept_key_stay_as_they_are() {
        let value = json!({
            "a": "hunter2",
            "handles": {"moves": ["hunter2-topic"], "n": {"x": "hunter2"}},
            "z": ["hunter2"]
        });
        let expected = json!({
            "a": "(sensitive)",
            "handles": {"moves": ["hunter2-topic"], "n": {"x": "hunter2"}},
            "z": ["(sensitive)"]
        });
        assert_eq!(
            to_string_scrubbed(&value, true, &hide, &["handles"]).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }
}
