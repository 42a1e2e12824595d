//! The values a release runs with: the chart's defaults (from Helm's release record) with the
//! customer file on top, merged as Helm coalesces them (mappings key by key, `null` removes a
//! default, anything else replaces). A customer file is a set of overrides: a key it leaves out
//! is the chart's default, and kfscale scales that value too, adding the key to the file.
use serde_json::Value;

use super::values_reader::read_count;
use crate::profile::merge_patch;
use crate::values::json::to_json;
use crate::values::{Document, Scalar, ValuePath, ValuesError};

pub struct EffectiveValues {
    merged: Value,
    /// Whether the chart's defaults were known (a snapshot from before kfscale recorded them, or a
    /// file scaled on its own, has none).
    pub defaults_known: bool,
}

/// Where a value the plan reads comes from.
#[derive(Debug, Clone, Copy)]
pub enum Found<'d> {
    /// The customer file sets it: changed in place.
    File(&'d Scalar),
    /// The chart's default: the file lacks the key, which the plan adds.
    ChartDefault,
}

impl EffectiveValues {
    pub fn new(chart_defaults: &Value, document: &Document) -> Self {
        let defaults_known = chart_defaults.is_object();
        let mut merged = if defaults_known {
            chart_defaults.clone()
        } else {
            Value::Object(serde_json::Map::new())
        };
        merge_patch(&mut merged, &to_json(document));
        EffectiveValues { merged, defaults_known }
    }

    /// The value at `path`, file or default.
    pub fn get(&self, path: &ValuePath) -> Option<&Value> {
        let mut node = &self.merged;
        for segment in &path.0 {
            node = match (node, segment) {
                (Value::Object(map), crate::values::path::Segment::Key(key)) => map.get(key)?,
                (Value::Array(items), crate::values::path::Segment::Index(index)) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// A whole number at `path`: the file's when it sets it, else the chart's default.
    pub fn count<'d>(&self, document: &'d Document, path: &ValuePath) -> Result<Option<(u64, Found<'d>)>, ValuesError> {
        if let Some((count, scalar)) = read_count(document, path)? {
            return Ok(Some((count, Found::File(scalar))));
        }
        Ok(self
            .get(path)
            .and_then(as_count)
            .map(|count| (count, Found::ChartDefault)))
    }

    /// Text (a size such as `600Gi`) at `path`: the file's when it sets it, else the chart's default.
    pub fn text<'d>(
        &self,
        document: &'d Document,
        path: &ValuePath,
    ) -> Result<Option<(String, Found<'d>)>, ValuesError> {
        if let Some(scalar) = super::values_reader::read_scalar(document, path)? {
            return Ok(Some((scalar.value.clone(), Found::File(scalar))));
        }
        Ok(self.get(path).and_then(as_text).map(|text| (text, Found::ChartDefault)))
    }
}

fn as_count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> ValuePath {
        ValuePath::parse(text).unwrap()
    }

    #[test]
    fn the_file_overrides_the_chart_defaults_key_by_key() {
        let defaults = json!({"pinot": {"broker": {"replicaCount": 2}, "minion": {"replicaCount": 1}},
                              "ingester": {"replicaCount": 3, "persistence": {"size": "20Gi"}}});
        let text = "pinot:\n  broker:\n    replicaCount: 4\ningester:\n  persistence: null\n";
        let document = Document::parse("values.yaml", text).unwrap();
        let values = EffectiveValues::new(&defaults, &document);
        let (count, found) = values
            .count(&document, &path("pinot.broker.replicaCount"))
            .unwrap()
            .unwrap();
        assert!(matches!((count, found), (4, Found::File(scalar)) if scalar.line == 3));
        let (count, found) = values
            .count(&document, &path("pinot.minion.replicaCount"))
            .unwrap()
            .unwrap();
        assert!(matches!((count, found), (1, Found::ChartDefault)));
        assert_eq!(
            values
                .count(&document, &path("ingester.replicaCount"))
                .unwrap()
                .unwrap()
                .0,
            3
        );
        // `null` in the file removes the default, as Helm does.
        assert!(
            values
                .text(&document, &path("ingester.persistence.size"))
                .unwrap()
                .is_none()
        );
        assert!(
            values
                .count(&document, &path("query-service.replicaCount"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn without_defaults_only_the_file_is_known() {
        let document = Document::parse("values.yaml", "a: {replicaCount: 2}\n").unwrap();
        let values = EffectiveValues::new(&Value::Null, &document);
        assert!(!values.defaults_known);
        assert_eq!(values.count(&document, &path("a.replicaCount")).unwrap().unwrap().0, 2);
        assert!(values.count(&document, &path("b.replicaCount")).unwrap().is_none());
    }
}
