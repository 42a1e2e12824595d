//! Display with secrets hidden: the values file's text with each secret scalar replaced by
//! `(sensitive)` in place (every other byte kept, so a diff of two redacted texts shows exactly
//! the lines kfscale changed), and Helm's JSON values with each secret leaf replaced.
use serde_json::Value;

use super::detector::detect;
use super::leaves::{document_leaves, json_leaves};
use crate::values::document::Document;
use crate::values::path::{Segment, ValuePath};

pub const SENSITIVE: &str = "(sensitive)";

/// The file's text with every secret scalar replaced by `(sensitive)`; only for display.
pub fn redacted_text(document: &Document, text: &str) -> String {
    let leaves = document_leaves(document);
    let plain: Vec<_> = leaves.iter().map(|(leaf, _)| leaf.clone()).collect();
    let mut spans: Vec<(usize, usize)> = detect(&plain)
        .iter()
        .map(|finding| leaves[finding.leaf].1)
        .map(|scalar| (scalar.start, scalar.end))
        .filter(|(start, end)| start < end && *end <= text.len())
        .collect();
    // An aliased scalar is found once per alias: replace its bytes once.
    spans.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    spans.dedup();
    let mut out = text.to_string();
    for (start, end) in spans {
        let keeps_newline = out[start..end].ends_with('\n');
        out.replace_range(start..end, if keeps_newline { "(sensitive)\n" } else { SENSITIVE });
    }
    out
}

/// The same rules over JSON (Helm's user values): each secret leaf becomes `(sensitive)`.
pub fn redact_json(value: &mut Value) {
    let findings = detect(&json_leaves(value));
    for finding in findings {
        if let Some(leaf) = at_mut(value, &finding.path) {
            *leaf = Value::String(SENSITIVE.to_string());
        }
    }
}

fn at_mut<'v>(value: &'v mut Value, path: &ValuePath) -> Option<&'v mut Value> {
    path.0.iter().try_fold(value, |node, segment| match (node, segment) {
        (Value::Object(map), Segment::Key(key)) => map.get_mut(key),
        (Value::Array(items), Segment::Index(index)) => items.get_mut(*index),
        _ => None,
    })
}
