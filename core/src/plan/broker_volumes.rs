//! Broker volumes that must grow. A StatefulSet's volume template is immutable, so a bigger
//! `persistence.size` alone makes `helm upgrade` fail (Forbidden): the existing claims are grown one
//! by one, and the StatefulSet object is re-created without deleting its pods before the upgrade.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values_scaling::ValuesPlan;
use crate::profile::Profile;
use crate::snapshot::Snapshot;
use crate::values::quantity::parse_bytes;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeResize {
    pub claim: String,
    pub storage_class: Option<String>,
    pub from: String,
    pub to: String,
}

/// Claims of the broker StatefulSet smaller than the planned disk size.
pub fn broker_volumes_to_grow(snapshot: &Snapshot, profile: &Profile, values: &ValuesPlan) -> Vec<VolumeResize> {
    let Some(disk) = values.changes.iter().find(|change| change.rule == "disk") else {
        return Vec::new();
    };
    let Ok(target) = parse_bytes(&disk.new) else {
        return Vec::new();
    };
    let prefix = format!("-{}-", profile.kafka.broker_workload);
    snapshot
        .kubernetes
        .pvcs
        .iter()
        .filter(|pvc| pvc.name.contains(&prefix))
        .filter_map(|pvc| {
            let size = pvc.capacity.clone().unwrap_or_else(|| pvc.requested.clone());
            let bytes = parse_bytes(&size).ok()?;
            (bytes < target).then(|| VolumeResize {
                claim: pvc.name.clone(),
                storage_class: pvc.storage_class.clone(),
                from: size,
                to: disk.new.clone(),
            })
        })
        .collect()
}
