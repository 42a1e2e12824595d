//! Lossless scalar edits: each edit replaces the bytes of one scalar and nothing else, keeping the
//! scalar's quoting style; the result is re-parsed to prove only the intended paths changed.
use super::document::{Document, Lookup, Node, Scalar, Style};
use super::error::ValuesError;
use super::path::ValuePath;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarEdit {
    pub path: ValuePath,
    pub new_value: String,
}

/// Returns the new text. `document` must be the parse of `text`.
pub fn apply_edits(document: &Document, text: &str, edits: &[ScalarEdit]) -> Result<String, ValuesError> {
    let mut splices: Vec<(usize, usize, String)> = Vec::with_capacity(edits.len());
    for edit in edits {
        let scalar = editable_scalar(document, &edit.path)?;
        splices.push((scalar.start, scalar.end, render_like(scalar, &edit.new_value)));
    }
    splices.sort_by_key(|(start, ..)| std::cmp::Reverse(*start));
    let mut out = text.to_string();
    for (start, end, replacement) in splices {
        out.replace_range(start..end, &replacement);
    }
    verify(document, &out, edits)?;
    Ok(out)
}

/// The scalar at `path`, if kfscale may edit it in place.
pub fn editable_scalar<'d>(document: &'d Document, path: &ValuePath) -> Result<&'d Scalar, ValuesError> {
    let refuse =
        |line: usize, message: String, fix: &str| ValuesError::new(&document.file, Some(line), None, message, fix);
    match document.lookup(path) {
        Lookup::Found(Node::Scalar(scalar)) => {
            if let Some(lines) = scalar.anchor.and_then(|anchor| document.alias_lines.get(&anchor)) {
                return Err(refuse(
                    scalar.line,
                    format!(
                        "`{path}` is an anchor shared by the aliases at line(s) {}",
                        join_lines(lines)
                    ),
                    "write literal values at those places; editing the anchor would change all of them",
                ));
            }
            if scalar.style == Style::Block {
                return Err(refuse(
                    scalar.line,
                    format!("`{path}` is a block scalar (`|` or `>`)"),
                    "write it as a plain value",
                ));
            }
            Ok(scalar)
        }
        Lookup::Found(alias @ Node::Alias { .. }) => Err(refuse(
            alias.line(),
            format!("`{path}` is an alias (`*name`)"),
            "write the value literally at that place so it can be changed on its own",
        )),
        Lookup::ThroughAlias { line } => Err(refuse(
            line,
            format!("`{path}` is reached through an alias (`*name`)"),
            "write the value literally at that place so it can be changed on its own",
        )),
        Lookup::ThroughMerge { line } => Err(refuse(
            line,
            format!("`{path}` would come from a merge key (`<<`)"),
            "write the key literally in that mapping",
        )),
        Lookup::Found(other) => Err(refuse(
            other.line(),
            format!("`{path}` is {}, not a single value", other.kind()),
            "point the profile at the scalar value (for example `...replicaCount`)",
        )),
        Lookup::Missing => Err(ValuesError::new(
            &document.file,
            None,
            None,
            format!("`{path}` is not in the file"),
            "add the key to the values file or correct the path in the profile",
        )),
    }
}

fn render_like(scalar: &Scalar, value: &str) -> String {
    match scalar.style {
        Style::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
        Style::DoubleQuoted => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
        Style::Plain | Style::Block if is_plain_safe(value) => value.to_string(),
        Style::Plain | Style::Block => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// Values kfscale writes (counts, sizes such as `900Gi`) are safe as plain scalars; anything else
/// is quoted so it cannot change meaning.
fn is_plain_safe(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !value.starts_with(['-', '.'])
}

fn verify(before: &Document, text: &str, edits: &[ScalarEdit]) -> Result<(), ValuesError> {
    let after = Document::parse(&before.file, text)?;
    let old = before.scalars();
    let new = after.scalars();
    let internal = |message: String| {
        ValuesError::new(
            &before.file,
            None,
            None,
            message,
            "this is a kfscale bug: please report it with the values file",
        )
    };
    if old.len() != new.len() {
        return Err(internal(format!(
            "an edit changed the number of values ({} -> {})",
            old.len(),
            new.len()
        )));
    }
    for ((old_path, old_scalar), (new_path, new_scalar)) in old.iter().zip(new.iter()) {
        if old_path != new_path {
            return Err(internal(format!("an edit changed the structure at `{old_path}`")));
        }
        let expected = edits
            .iter()
            .rev()
            .find(|edit| &edit.path == old_path)
            .map(|edit| edit.new_value.as_str());
        let want = expected.unwrap_or(old_scalar.value.as_str());
        if new_scalar.value != want {
            return Err(internal(format!(
                "`{old_path}` reads `{}` after the edit, expected `{want}`",
                new_scalar.value
            )));
        }
    }
    Ok(())
}

fn join_lines(lines: &[usize]) -> String {
    lines.iter().map(|line| line.to_string()).collect::<Vec<_>>().join(", ")
}
