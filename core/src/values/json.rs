//! A values document as JSON, resolving plain scalars by the YAML 1.2 core schema (what Helm does),
//! so the file can be compared with Helm's user values and deserialized into typed config.
use serde_json::{Map, Number, Value};

use super::ValuePath;
use super::document::{Document, Node, Scalar, Style};

pub fn to_json(document: &Document) -> Value {
    node_to_json(document, &document.root)
}

pub(super) fn node_to_json(document: &Document, node: &Node) -> Value {
    match node {
        Node::Scalar(scalar) => scalar_to_json(scalar),
        Node::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, child) in &mapping.entries {
                map.insert(key.text.clone(), node_to_json(document, child));
            }
            Value::Object(map)
        }
        Node::Sequence(sequence) => {
            Value::Array(sequence.items.iter().map(|item| node_to_json(document, item)).collect())
        }
        Node::Alias { anchor, .. } => resolve_alias(document, &document.root, *anchor).unwrap_or(Value::Null),
    }
}

fn resolve_alias(document: &Document, node: &Node, anchor: usize) -> Option<Value> {
    let matches = match node {
        Node::Scalar(scalar) => scalar.anchor == Some(anchor),
        Node::Mapping(mapping) => mapping.anchor == Some(anchor),
        Node::Sequence(sequence) => sequence.anchor == Some(anchor),
        Node::Alias { .. } => false,
    };
    if matches {
        return Some(node_to_json(document, node));
    }
    match node {
        Node::Mapping(mapping) => mapping
            .entries
            .iter()
            .find_map(|(_, child)| resolve_alias(document, child, anchor)),
        Node::Sequence(sequence) => sequence
            .items
            .iter()
            .find_map(|child| resolve_alias(document, child, anchor)),
        _ => None,
    }
}

pub fn scalar_to_json(scalar: &Scalar) -> Value {
    if scalar.style != Style::Plain || scalar.tagged {
        return Value::String(scalar.value.clone());
    }
    resolve_plain(&scalar.value)
}

/// YAML 1.2 core schema resolution of a plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(int) = text.parse::<i64>() {
        return Value::Number(int.into());
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(int) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(int.into());
    }
    let looks_numeric = text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if looks_numeric
        && let Ok(float) = text.parse::<f64>()
        && let Some(number) = Number::from_f64(float)
    {
        return Value::Number(number);
    }
    Value::String(text.to_string())
}

/// The paths at which two values differ as data (numbers compared by value, so `3` and `3.0`
/// agree): a values file against the values a Helm release stores.
pub fn diff_json(path: &ValuePath, file: &serde_json::Value, release: &serde_json::Value, out: &mut Vec<String>) {
    match (file, release) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let child = path.child_key(key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_json(&child, x, y, out),
                    _ => out.push(child.to_string()),
                }
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        _ => out.push(path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_core_schema() {
        let doc = Document::parse(
            "t.yaml",
            "a: 6\nb: '6'\nc: true\nd: ~\ne: 1.5\nf: 600Gi\ng: &x 3\nh: *x\n",
        )
        .unwrap();
        assert_eq!(
            to_json(&doc),
            serde_json::json!({"a": 6, "b": "6", "c": true, "d": null, "e": 1.5, "f": "600Gi", "g": 3, "h": 3})
        );
    }
}
