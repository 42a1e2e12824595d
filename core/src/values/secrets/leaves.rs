//! The detector's input from the two forms values come in: the values file (a YAML `Document`,
//! whose scalars know their bytes in the file, so they can be redacted in place) and Helm's user
//! values (JSON). Both give the same leaves for the same values.
use serde_json::Value;

use super::detector::{Leaf, LeafKind};
use crate::values::document::{Document, Node, Scalar};
use crate::values::json::scalar_to_json;
use crate::values::path::ValuePath;

/// Every scalar of the document with its path, aliases included: `password: *pw` makes the
/// anchored scalar a secret where it is written, too.
pub fn document_leaves(document: &Document) -> Vec<(Leaf, &Scalar)> {
    let mut out = Vec::new();
    walk(document, &document.root, &ValuePath::default(), true, &mut out);
    out
}

/// Every scalar of a JSON value with its path.
pub fn json_leaves(value: &Value) -> Vec<Leaf> {
    let mut out = Vec::new();
    walk_json(value, &ValuePath::default(), &mut out);
    out
}

fn walk<'d>(
    document: &'d Document,
    node: &'d Node,
    path: &ValuePath,
    follow_alias: bool,
    out: &mut Vec<(Leaf, &'d Scalar)>,
) {
    match node {
        Node::Scalar(scalar) => {
            let kind = match scalar_to_json(scalar) {
                Value::Null | Value::Bool(_) => LeafKind::Literal,
                Value::Number(_) => LeafKind::Number,
                _ => LeafKind::Text,
            };
            let leaf = Leaf {
                path: path.clone(),
                text: scalar.value.clone(),
                kind,
            };
            out.push((leaf, scalar));
        }
        Node::Mapping(mapping) => {
            for (key, child) in &mapping.entries {
                walk(document, child, &path.child_key(&key.text), follow_alias, out);
            }
        }
        Node::Sequence(sequence) => {
            for (index, child) in sequence.items.iter().enumerate() {
                walk(document, child, &path.child_index(index), follow_alias, out);
            }
        }
        // One level only: an alias inside an aliased subtree is not expanded again, so a file of
        // nested aliases (a "billion laughs") cannot make this walk explode.
        Node::Alias { anchor, .. } if follow_alias => {
            if let Some(target) = anchored(&document.root, *anchor) {
                walk(document, target, path, false, out);
            }
        }
        Node::Alias { .. } => {}
    }
}

fn anchored(node: &Node, anchor: usize) -> Option<&Node> {
    let here = match node {
        Node::Scalar(scalar) => scalar.anchor,
        Node::Mapping(mapping) => mapping.anchor,
        Node::Sequence(sequence) => sequence.anchor,
        Node::Alias { .. } => None,
    };
    if here == Some(anchor) {
        return Some(node);
    }
    match node {
        Node::Mapping(mapping) => mapping.entries.iter().find_map(|(_, child)| anchored(child, anchor)),
        Node::Sequence(sequence) => sequence.items.iter().find_map(|child| anchored(child, anchor)),
        _ => None,
    }
}

fn walk_json(value: &Value, path: &ValuePath, out: &mut Vec<Leaf>) {
    let leaf = |text: String, kind| Leaf {
        path: path.clone(),
        text,
        kind,
    };
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(key, child)| walk_json(child, &path.child_key(key), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(index, child)| walk_json(child, &path.child_index(index), out)),
        Value::String(text) => out.push(leaf(text.clone(), LeafKind::Text)),
        Value::Number(number) => out.push(leaf(number.to_string(), LeafKind::Number)),
        Value::Bool(flag) => out.push(leaf(flag.to_string(), LeafKind::Literal)),
        Value::Null => out.push(leaf(String::new(), LeafKind::Literal)),
    }
}
