//! Pre-checks computed from the snapshot: each a pass/warn/fail line with the fix. A failing check
//! stops the plan from being applied; a warning is shown and recorded.
mod cluster;
mod coverage;
mod helm_preflight;
mod kafka;
mod pinot;
mod pool_uniform;
mod release;
pub(crate) mod values;
mod volume_templates;

use cluster::*;
use coverage::workloads_covered;
pub use helm_preflight::{HELM_PREFLIGHT, HelmPreflight, helm_preflight};
use kafka::*;
use pinot::*;
use pool_uniform::pool_uniform;
use release::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use values::*;
use volume_templates::volume_templates;

use super::kafka::KafkaPlan;
use super::node_pool::NodePoolPlan;
use super::pinot::PinotPlan;
use super::values_scaling::ValuesPlan;
use crate::profile::Profile;
use crate::snapshot::Snapshot;
use crate::values::Document;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreCheck {
    /// Stable id, e.g. `helm-status`.
    pub id: String,
    pub status: CheckStatus,
    pub message: String,
    /// What to do; empty when the check passed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub profile: &'a Profile,
    /// The values file, parsed once by the planner.
    pub document: &'a Document,
    pub from_nodes: u32,
    pub node_pool: &'a NodePoolPlan,
    pub values: &'a ValuesPlan,
    pub pinot: &'a PinotPlan,
    pub kafka: &'a KafkaPlan,
}

pub fn run(inputs: &Inputs) -> Vec<PreCheck> {
    let checks: [fn(&Inputs) -> PreCheck; 23] = [
        chart_version,
        helm_status,
        node_pool_status,
        pool_nodes_ready,
        pool_uniform,
        num_nodes,
        workloads_present,
        workloads_covered,
        workloads_ready,
        values_drift,
        workload_drift,
        values_committed,
        kafka_reassignments,
        kafka_throttles,
        broker_ids,
        partitions_never_decrease,
        disk_never_shrinks,
        broker_volume_expansion,
        volume_templates,
        kraft_cluster_id,
        pinot_ready,
        storage_class,
        leftover_hook_jobs,
    ];
    checks.iter().map(|check| check(inputs)).collect()
}

fn pass(id: &str, message: impl Into<String>) -> PreCheck {
    PreCheck {
        id: id.into(),
        status: CheckStatus::Pass,
        message: message.into(),
        fix: String::new(),
    }
}

fn warn(id: &str, message: impl Into<String>, fix: impl Into<String>) -> PreCheck {
    PreCheck {
        id: id.into(),
        status: CheckStatus::Warn,
        message: message.into(),
        fix: fix.into(),
    }
}

fn fail(id: &str, message: impl Into<String>, fix: impl Into<String>) -> PreCheck {
    PreCheck {
        id: id.into(),
        status: CheckStatus::Fail,
        message: message.into(),
        fix: fix.into(),
    }
}
