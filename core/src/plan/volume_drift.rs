//! Volumes grown by hand: a claim larger than the values' size for it is the runbook's own example
//! of a values file that fell behind the cluster. The values follow the cluster (never a shrink):
//! a planned change to the live size, with a note. The Kafka brokers' disk is sized in
//! `values_topics.rs` (which also never goes below the live volumes); this covers the profile's
//! other `volumes`.
use std::collections::BTreeMap;

use super::effective_values::{EffectiveValues, Found};
use super::values_scaling::ValueChange;
use crate::snapshot::PersistentVolumeClaim;
use crate::values::quantity::{human_bytes, parse_bytes};
use crate::values::{Document, ValuesError};

/// The claims of StatefulSet `statefulset` from template `template`: `<template>-<statefulset>-<N>`.
pub fn claims_of<'a>(
    pvcs: &'a [PersistentVolumeClaim],
    template: &str,
    statefulset: &str,
) -> impl Iterator<Item = &'a PersistentVolumeClaim> {
    let prefix = format!("{template}-{statefulset}-");
    pvcs.iter().filter(move |pvc| {
        pvc.name
            .strip_prefix(&prefix)
            .is_some_and(|ordinal| !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A claim's size: its bound capacity, else what it requests.
pub fn claim_size(pvc: &PersistentVolumeClaim) -> &str {
    pvc.capacity.as_deref().unwrap_or(&pvc.requested)
}

/// One change per StatefulSet whose largest claim is larger than the values' size.
pub fn plan_volume_drift(
    document: &Document,
    effective: &EffectiveValues,
    volumes: &BTreeMap<String, crate::profile::VolumeRule>,
    pvcs: &[PersistentVolumeClaim],
    changes: &mut Vec<ValueChange>,
    notes: &mut Vec<String>,
) -> Result<(), ValuesError> {
    for (statefulset, rule) in volumes {
        let Some((live_size, live_bytes)) = claims_of(pvcs, &rule.template, statefulset)
            .filter_map(|pvc| {
                let size = claim_size(pvc);
                parse_bytes(size).ok().map(|bytes| (size.to_string(), bytes))
            })
            .max_by_key(|(_, bytes)| *bytes)
        else {
            continue;
        };
        let Some((values_size, found)) = effective.text(document, &rule.path)? else {
            notes.push(format!(
                "{statefulset}: its volumes are {live_size}, and `{}` is in neither the file nor the chart's recorded defaults: left alone",
                rule.path
            ));
            continue;
        };
        let values_bytes = parse_bytes(&values_size).map_err(|err| {
            let line = match found {
                Found::File(scalar) => Some(scalar.line),
                Found::ChartDefault => None,
            };
            ValuesError::new(
                &document.file,
                line,
                None,
                format!("`{}`: {err}", rule.path),
                "write a size such as 600Gi",
            )
        })?;
        if live_bytes <= values_bytes {
            continue;
        }
        let reason = format!(
            "the {statefulset} volumes were grown to {} by hand and a volume never shrinks: the values follow the cluster",
            human_bytes(live_bytes)
        );
        notes.push(format!(
            "{statefulset}: `{}` is {values_size} but its volumes are {live_size} (grown by hand): the values are raised to {live_size}",
            rule.path
        ));
        let (line, added) = match found {
            Found::File(scalar) => (scalar.line, false),
            Found::ChartDefault => (0, true),
        };
        changes.push(ValueChange {
            path: rule.path.clone(),
            line,
            old: values_size,
            new: live_size,
            rule: "volume".into(),
            reason,
            subject: statefulset.clone(),
            added,
            list_items: Vec::new(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::VolumeRule;
    use crate::values::ValuePath;

    fn pvc(name: &str, size: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            name: name.into(),
            storage_class: None,
            requested: size.into(),
            capacity: Some(size.into()),
        }
    }

    fn volumes() -> BTreeMap<String, VolumeRule> {
        let rule = |path: &str| VolumeRule {
            path: ValuePath::parse(path).unwrap(),
            template: "data".into(),
        };
        BTreeMap::from([
            ("pinot-server".to_string(), rule("pinot.server.persistence.size")),
            ("pinot-zookeeper".to_string(), rule("pinot.zookeeper.persistence.size")),
            ("kfuse-configdb".to_string(), rule("kfuse-configdb.persistence.size")),
        ])
    }

    #[test]
    fn a_volume_grown_by_hand_raises_the_values_never_lowers_them() {
        let text =
            "pinot:\n  server:\n    persistence:\n      size: 100Gi\n  zookeeper:\n    persistence: {size: 10Gi}\n";
        let document = Document::parse("values.yaml", text).unwrap();
        let defaults = serde_json::json!({"kfuse-configdb": {"persistence": {"size": "20Gi"}}});
        let effective = EffectiveValues::new(&defaults, &document);
        let pvcs = [
            pvc("data-pinot-server-0", "100Gi"),
            pvc("data-pinot-server-1", "150Gi"),
            // Another StatefulSet whose name starts the same is not this one's.
            pvc("data-pinot-server-offline-0", "900Gi"),
            pvc("data-pinot-zookeeper-0", "5Gi"),
            pvc("data-kfuse-configdb-0", "50Gi"),
        ];
        let (mut changes, mut notes) = (Vec::new(), Vec::new());
        plan_volume_drift(&document, &effective, &volumes(), &pvcs, &mut changes, &mut notes).unwrap();
        let got: Vec<(String, &str, &str, bool)> = changes
            .iter()
            .map(|c| (c.path.to_string(), c.old.as_str(), c.new.as_str(), c.added))
            .collect();
        assert_eq!(
            got,
            [
                ("kfuse-configdb.persistence.size".to_string(), "20Gi", "50Gi", true),
                ("pinot.server.persistence.size".to_string(), "100Gi", "150Gi", false),
            ]
        );
        assert_eq!(changes[1].line, 4);
        assert_eq!(notes.len(), 2, "{notes:?}");
        // The zookeeper volume (5Gi) is smaller than its values (10Gi): no change, never a shrink.
        assert!(!changes.iter().any(|c| c.subject == "pinot-zookeeper"));
    }
}
