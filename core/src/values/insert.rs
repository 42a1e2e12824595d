//! Lossless key insertion: a key the file lacks (a sparse customer file leaves most values to the
//! chart's defaults) is added under its parent in the file's own style: a block mapping gets a new
//! line at its keys' indentation, a flow mapping (`{replicaCount: 6}`) a `, key: value` before its
//! `}`, and parents the file lacks are created the same way. A list the file lacks (the chart's
//! topic list) is added whole, one flow-mapping item per line. Nothing else moves; the result is
//! re-parsed to prove every other value reads as before and the new key reads the new value.
use super::document::{Document, Lookup, Mapping, Node, Style};
use super::error::ValuesError;
use super::path::{Segment, ValuePath};

/// A key to add with its value (the path must be absent from the file, its segments all keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInsert {
    pub path: ValuePath,
    pub new_value: InsertValue,
}

/// What an added key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertValue {
    /// A count or size, quoted as the file quotes the same key elsewhere.
    Scalar(String),
    /// A list written whole, each item a flow mapping (`{name: logs, partitions: 18}`): Helm
    /// replaces a list rather than merging it, so a list the file lacks is added with every item.
    List(Vec<String>),
}

/// The indentation step used when the file has no nested block mapping to learn it from.
const DEFAULT_INDENT_STEP: usize = 2;

/// Returns the new text with every insert made, one after another. `document` is the parse of `text`.
pub fn insert_keys(document: &Document, text: &str, inserts: &[KeyInsert]) -> Result<String, ValuesError> {
    let mut out = text.to_string();
    let mut current = document.clone();
    for insert in inserts {
        let next = insert_key(&current, &out, insert)?;
        current = Document::parse(&document.file, &next)?;
        out = next;
    }
    verify(document, &current, inserts)?;
    Ok(out)
}

fn insert_key(document: &Document, text: &str, insert: &KeyInsert) -> Result<String, ValuesError> {
    let path = &insert.path;
    let refuse =
        |line: Option<usize>, message: String, fix: &str| ValuesError::new(&document.file, line, None, message, fix);
    let keys: Vec<&str> = path
        .0
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
        .collect::<Option<_>>()
        .ok_or_else(|| {
            refuse(
                None,
                format!("`{path}` goes through a list item: kfscale adds keys of mappings only"),
                "add the value to the file by hand",
            )
        })?;
    match document.lookup(path) {
        Lookup::Missing => {}
        Lookup::ThroughMerge { line } => {
            return Err(refuse(
                Some(line),
                format!("`{path}` would go into a mapping with a merge key (`<<`)"),
                "write the key literally in that mapping",
            ));
        }
        Lookup::ThroughAlias { line } => {
            return Err(refuse(
                Some(line),
                format!("`{path}` would go through an alias (`*name`), changing every place that shares it"),
                "write the mapping literally at that place",
            ));
        }
        Lookup::Found(_) => {
            return Err(refuse(
                None,
                format!("`{path}` is already in the file: it is changed in place, not added"),
                "this is a kfscale bug: please report it with the values file",
            ));
        }
    }
    let Node::Mapping(root) = &document.root else {
        return Err(refuse(
            Some(1),
            "the top level is not a mapping".into(),
            "write keys at the top level",
        ));
    };
    // Walk down to the deepest mapping the file has on the path.
    let mut mapping = root;
    let mut depth = 0;
    let mut empty_parent: Option<(usize, usize)> = None;
    while depth < keys.len() {
        if let Some((key, _)) = mapping.entries.iter().find(|(key, _)| key.text == "<<") {
            return Err(refuse(
                Some(key.line),
                format!("`{path}` would go into a mapping with a merge key (`<<`)"),
                "write the key literally in that mapping",
            ));
        }
        let Some((key, child)) = mapping.entries.iter().find(|(key, _)| key.text == keys[depth]) else {
            break;
        };
        match child {
            Node::Mapping(inner) => {
                mapping = inner;
                depth += 1;
            }
            Node::Scalar(scalar) if scalar.value.is_empty() && scalar.style == Style::Plain && !mapping.flow => {
                // `pinot:` with nothing after it: Helm reads null, and a mapping written under it replaces that.
                empty_parent = Some((key.column, key.end));
                depth += 1;
                break;
            }
            other => {
                return Err(refuse(
                    Some(other.line()),
                    format!(
                        "`{}` is {}, so `{path}` cannot be added under it",
                        ValuePath(path.0[..=depth].to_vec()),
                        other.kind()
                    ),
                    "make it a mapping in the values file, or correct the path in the profile",
                ));
            }
        }
    }
    let rest = &keys[depth..];
    let value = match &insert.new_value {
        InsertValue::Scalar(value) => Rendered::Scalar(render_new(document, path, value)),
        InsertValue::List(items) => Rendered::List(items),
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    if let Some((parent_column, key_end)) = empty_parent {
        let step = indent_step(document);
        let lines = block_lines(rest, &value, parent_column + step, step, newline);
        return Ok(splice_after_line(text, key_end, &lines, newline));
    }
    if mapping.flow {
        let nested = flow_entry(rest, &value);
        let close = mapping.end - 1;
        let separator = if mapping.entries.is_empty() { "" } else { ", " };
        let mut out = text.to_string();
        out.insert_str(close, &format!("{separator}{nested}"));
        return Ok(out);
    }
    let step = indent_step(document);
    let column = mapping.entries.first().map_or(0, |(key, _)| key.column);
    let lines = block_lines(rest, &value, column, step, newline);
    if mapping.entries.is_empty() {
        // Only the root of an empty file is an empty block mapping: the key goes at the end.
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&lines);
        out.push_str(newline);
        return Ok(out);
    }
    Ok(splice_after_line(text, mapping.end, &lines, newline))
}

/// `lines` (without a final newline) inserted as whole lines after the line holding byte `after`.
fn splice_after_line(text: &str, after: usize, lines: &str, newline: &str) -> String {
    let mut out = text.to_string();
    if after > 0 && text[..after].ends_with('\n') {
        out.insert_str(after, &format!("{lines}{newline}"));
        return out;
    }
    match text[after..].find('\n') {
        Some(offset) => out.insert_str(after + offset + 1, &format!("{lines}{newline}")),
        None => out.push_str(&format!("{newline}{lines}")),
    }
    out
}

/// An added value as it is written.
enum Rendered<'a> {
    Scalar(String),
    List(&'a [String]),
}

/// `a:` / `  b:` / `    c: value`, each key one step deeper than its parent; a list's items go
/// one step deeper than its key, `- {item}` each.
fn block_lines(keys: &[&str], value: &Rendered<'_>, column: usize, step: usize, newline: &str) -> String {
    let mut lines = Vec::with_capacity(keys.len());
    for (depth, key) in keys.iter().enumerate() {
        let indent = " ".repeat(column + depth * step);
        let key = render_key(key);
        match value {
            Rendered::Scalar(value) if depth + 1 == keys.len() => lines.push(format!("{indent}{key}: {value}")),
            Rendered::List(items) if depth + 1 == keys.len() => {
                lines.push(format!("{indent}{key}:"));
                let item_indent = " ".repeat(column + (depth + 1) * step);
                lines.extend(items.iter().map(|item| format!("{item_indent}- {item}")));
            }
            _ => lines.push(format!("{indent}{key}:")),
        }
    }
    lines.join(newline)
}

/// `a: {b: value}` for a flow mapping.
fn flow_entry(keys: &[&str], value: &Rendered<'_>) -> String {
    let mut entry = match value {
        Rendered::Scalar(value) => value.clone(),
        Rendered::List(items) => format!("[{}]", items.join(", ")),
    };
    for (depth, key) in keys.iter().enumerate().rev() {
        entry = if depth + 1 == keys.len() {
            format!("{}: {entry}", render_key(key))
        } else {
            format!("{}: {{{entry}}}", render_key(key))
        };
    }
    entry
}

/// Keys as the chart writes them (`kafka-kraft`, `replicaCount`) are plain; anything else is quoted.
fn render_key(key: &str) -> String {
    if is_plain_safe(key) {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

/// The value in the quoting the file uses for the same key elsewhere (`size: "600Gi"` quotes the
/// new size too), else plain when that cannot change its meaning.
fn render_new(document: &Document, path: &ValuePath, value: &str) -> String {
    let style = path.last_key().and_then(|name| {
        document
            .scalars()
            .into_iter()
            .find(|(other, _)| other.last_key() == Some(name) && !matches!(other.0.last(), Some(Segment::Index(_))))
            .map(|(_, scalar)| scalar.style)
    });
    match style {
        Some(Style::SingleQuoted) => format!("'{}'", value.replace('\'', "''")),
        Some(Style::DoubleQuoted) => double_quoted(value),
        _ if is_plain_safe(value) => value.to_string(),
        _ => double_quoted(value),
    }
}

fn double_quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Counts, sizes (`900Gi`) and chart keys are safe as plain scalars; a number-like or boolean-like
/// key is not (it would read back as another type), so keys are checked by the caller's use.
fn is_plain_safe(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !value.starts_with(['-', '.'])
}

/// The file's own indentation step: how much deeper the first nested block mapping's keys sit
/// than their parent's.
fn indent_step(document: &Document) -> usize {
    fn find(mapping: &Mapping) -> Option<usize> {
        for (key, child) in &mapping.entries {
            if let Node::Mapping(inner) = child
                && !inner.flow
                && let Some((inner_key, _)) = inner.entries.first()
                && inner_key.column > key.column
            {
                return Some(inner_key.column - key.column);
            }
        }
        mapping.entries.iter().find_map(|(_, child)| match child {
            Node::Mapping(inner) if !inner.flow => find(inner),
            _ => None,
        })
    }
    match &document.root {
        Node::Mapping(root) => find(root).unwrap_or(DEFAULT_INDENT_STEP),
        _ => DEFAULT_INDENT_STEP,
    }
}

/// Every value of `before` reads the same in `after`, in the same order, and each insert reads its
/// value; nothing else was added.
fn verify(before: &Document, after: &Document, inserts: &[KeyInsert]) -> Result<(), ValuesError> {
    let internal = |message: String| {
        ValuesError::new(
            &before.file,
            None,
            None,
            message,
            "this is a kfscale bug: please report it with the values file",
        )
    };
    // An empty parent (`pinot:`, null) becomes the mapping the insert creates under it.
    let filled = |path: &ValuePath, scalar: &super::document::Scalar| {
        scalar.value.is_empty()
            && scalar.style == Style::Plain
            && inserts.iter().any(|insert| insert.path.0.starts_with(&path.0))
    };
    let old: Vec<_> = before
        .scalars()
        .into_iter()
        .filter(|(path, scalar)| !filled(path, scalar))
        .collect();
    let new: Vec<_> = after
        .scalars()
        .into_iter()
        .filter(|(path, _)| !inserts.iter().any(|insert| path.0.starts_with(&insert.path.0)))
        .collect();
    if old.len() != new.len() {
        return Err(internal(format!(
            "adding keys changed the number of other values ({} -> {})",
            old.len(),
            new.len()
        )));
    }
    for ((old_path, old_scalar), (new_path, new_scalar)) in old.iter().zip(new.iter()) {
        if old_path != new_path || old_scalar.value != new_scalar.value {
            return Err(internal(format!("adding keys changed `{old_path}`")));
        }
    }
    for insert in inserts {
        let reads_back = match (&insert.new_value, after.lookup(&insert.path)) {
            (InsertValue::Scalar(value), Lookup::Found(Node::Scalar(scalar))) => &scalar.value == value,
            (InsertValue::List(items), Lookup::Found(found @ Node::Sequence(_))) => {
                list_as_json(&before.file, items)? == super::json::node_to_json(after, found)
            }
            _ => false,
        };
        if !reads_back {
            return Err(internal(format!(
                "`{}` does not read {:?} after it was added",
                insert.path, insert.new_value
            )));
        }
    }
    Ok(())
}

/// Whether `path` in `document` holds exactly the list `items` make (a list added before).
pub fn holds_list(document: &Document, path: &ValuePath, items: &[String]) -> bool {
    match (document.lookup(path), list_as_json(&document.file, items)) {
        (Lookup::Found(found @ Node::Sequence(_)), Ok(expected)) => {
            super::json::node_to_json(document, found) == expected
        }
        _ => false,
    }
}

/// The list `items` (flow mappings) make, read as Helm reads YAML.
fn list_as_json(file: &str, items: &[String]) -> Result<serde_json::Value, ValuesError> {
    let document = Document::parse(file, &format!("list: [{}]\n", items.join(", ")))?;
    Ok(super::json::to_json(&document)["list"].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert_value(text: &str, path: &str, new_value: InsertValue) -> Result<String, ValuesError> {
        let document = Document::parse("values.yaml", text)?;
        let path = ValuePath::parse(path).unwrap();
        insert_keys(&document, text, &[KeyInsert { path, new_value }])
    }

    fn insert(text: &str, path: &str, value: &str) -> Result<String, ValuesError> {
        insert_value(text, path, InsertValue::Scalar(value.into()))
    }

    #[test]
    fn adds_a_key_to_a_block_mapping_at_its_indentation() {
        let text = "global:\n  numNodes: 6\npinot:\n  controller:\n    replicaCount: 3  # three\n  # broker below\n  broker: {replicaCount: 3}\nother: x\n";
        let out = insert(text, "pinot.minion.replicaCount", "5").unwrap();
        assert_eq!(
            out,
            "global:\n  numNodes: 6\npinot:\n  controller:\n    replicaCount: 3  # three\n  # broker below\n  broker: {replicaCount: 3}\n  minion:\n    replicaCount: 5\nother: x\n"
        );
        let out = insert(text, "pinot.controller.image", "x:1").unwrap();
        assert!(
            out.contains("    replicaCount: 3  # three\n    image: \"x:1\"\n"),
            "{out}"
        );
    }

    #[test]
    fn adds_to_a_flow_mapping_before_its_brace() {
        let text = "ingester: {replicaCount: 6}\nempty: {}\n";
        assert_eq!(
            insert(text, "ingester.persistence.size", "20Gi").unwrap(),
            "ingester: {replicaCount: 6, persistence: {size: 20Gi}}\nempty: {}\n"
        );
        assert_eq!(
            insert(text, "empty.replicaCount", "2").unwrap(),
            "ingester: {replicaCount: 6}\nempty: {replicaCount: 2}\n"
        );
    }

    #[test]
    fn creates_missing_parents_with_the_files_indent_step() {
        let text = "global:\n    numNodes: 6\n";
        assert_eq!(
            insert(text, "kafka-kraft.broker.replicaCount", "9").unwrap(),
            "global:\n    numNodes: 6\nkafka-kraft:\n    broker:\n        replicaCount: 9\n"
        );
        assert_eq!(insert("", "a.b", "1").unwrap(), "a:\n  b: 1\n");
        assert_eq!(
            insert("# only a comment", "a", "1").unwrap(),
            "# only a comment\na: 1\n"
        );
        assert_eq!(insert("x: 1", "a", "1").unwrap(), "x: 1\na: 1");
    }

    #[test]
    fn fills_an_empty_parent_and_keeps_crlf() {
        assert_eq!(
            insert("pinot:\nglobal: {}\n", "pinot.broker.replicaCount", "5").unwrap(),
            "pinot:\n  broker:\n    replicaCount: 5\nglobal: {}\n"
        );
        assert_eq!(
            insert("a:\r\n  b: 1\r\n", "a.c", "2").unwrap(),
            "a:\r\n  b: 1\r\n  c: 2\r\n"
        );
    }

    #[test]
    fn follows_the_files_quoting_for_the_same_key() {
        let text = "kafka:\n  persistence:\n    size: \"600Gi\"\npinot:\n  server: {}\n";
        assert_eq!(
            insert(text, "pinot.server.persistence.size", "900Gi").unwrap(),
            "kafka:\n  persistence:\n    size: \"600Gi\"\npinot:\n  server: {persistence: {size: \"900Gi\"}}\n"
        );
    }

    #[test]
    fn goes_after_the_last_value_of_a_nested_list_or_block_scalar() {
        let text = "a:\n  list:\n    - x\n    - y\n  text: |\n    hello\n\nb: 1\n";
        let out = insert(text, "a.c", "2").unwrap();
        assert_eq!(
            out,
            "a:\n  list:\n    - x\n    - y\n  text: |\n    hello\n\n  c: 2\nb: 1\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_add_safely() {
        let err = insert("a: 3\n", "a.b", "1").unwrap_err().to_string();
        assert!(err.contains("`a` is a scalar"), "{err}");
        let err = insert("base: &b {x: 1}\na:\n  <<: *b\n", "a.y", "1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("merge key"), "{err}");
        let err = insert("a: [1]\n", "a[1]", "1").unwrap_err().to_string();
        assert!(err.contains("list item"), "{err}");
        let err = insert("a: {b: 1}\n", "a.b", "1").unwrap_err().to_string();
        assert!(err.contains("already in the file"), "{err}");
    }

    fn insert_list(text: &str, path: &str, items: &[&str]) -> Result<String, ValuesError> {
        insert_value(
            text,
            path,
            InsertValue::List(items.iter().map(|item| item.to_string()).collect()),
        )
    }

    #[test]
    fn adds_a_list_whole_one_item_per_line() {
        let items = [
            "{name: logs, partitions: 18, replicationFactor: 2}",
            "{name: \"007\", partitions: 3, config: {retention.ms: \"600000\"}}",
        ];
        assert_eq!(
            insert_list("global:\n    numNodes: 6\n", "kafkaTopics", &items).unwrap(),
            "global:\n    numNodes: 6\nkafkaTopics:\n    - {name: logs, partitions: 18, replicationFactor: 2}\n    - {name: \"007\", partitions: 3, config: {retention.ms: \"600000\"}}\n"
        );
        assert_eq!(
            insert_list("kafka:\n  replicaCount: 3\nx: 1\n", "kafka.topics", &items[..1]).unwrap(),
            "kafka:\n  replicaCount: 3\n  topics:\n    - {name: logs, partitions: 18, replicationFactor: 2}\nx: 1\n"
        );
        assert_eq!(
            insert_list("kafka: {replicaCount: 3}\n", "kafka.topics", &items[..1]).unwrap(),
            "kafka: {replicaCount: 3, topics: [{name: logs, partitions: 18, replicationFactor: 2}]}\n"
        );
        // An item that does not read back as written (a stray bracket) is refused, not written.
        let err = insert_list("a: 1\n", "kafkaTopics", &["{name: x}, {"])
            .unwrap_err()
            .to_string();
        assert!(!err.is_empty());
    }
}
