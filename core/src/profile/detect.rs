//! Which layout a values file declares: `global.kafka.deployLegacy: true` means the legacy
//! (ZooKeeper) Kafka, anything else KRaft. Used when neither `--profile` nor kfscale.yaml names one.
use crate::values::{Document, Lookup, Node, ValuePath};

/// `legacy` or `kraft`, the built-in profile for the layout the values text declares.
pub fn detect_layout(values_text: &str) -> &'static str {
    let Ok(document) = Document::parse("values", values_text) else {
        return "kraft";
    };
    let Ok(path) = ValuePath::parse("global.kafka.deployLegacy") else {
        return "kraft";
    };
    match document.lookup(&path) {
        Lookup::Found(Node::Scalar(scalar)) if scalar.value == "true" => "legacy",
        _ => "kraft",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_legacy_true_is_the_legacy_layout() {
        assert_eq!(detect_layout("global:\n  kafka:\n    deployLegacy: true\n"), "legacy");
        assert_eq!(detect_layout("global:\n  kafka:\n    deployLegacy: false\n"), "kraft");
        assert_eq!(detect_layout(""), "kraft");
        assert_eq!(detect_layout(": not yaml ["), "kraft");
    }
}
