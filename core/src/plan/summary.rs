//! The summary line: what the plan adds and changes, counted the way an operator reads it.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::kafka::KafkaPlan;
use super::node_pool::NodePoolPlan;
use super::pinot::PinotPlan;
use super::values_scaling::ValuesPlan;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub nodes_added: u32,
    pub brokers_added: u32,
    pub values_changed: u32,
    pub topics_grown: u32,
    pub partitions_created: u64,
    pub partitions_reassigned: u32,
    pub replicas_moved: u64,
    pub lower_bound: u64,
    pub bytes_moved: u64,
    pub leader_only_changes: u32,
    pub tables_rebalanced: u32,
    /// Terraform's three numbers: things created, things changed in place, things destroyed.
    pub to_add: u64,
    pub to_change: u64,
    pub to_destroy: u64,
}

impl Summary {
    pub fn of(node_pool: &NodePoolPlan, values: &ValuesPlan, kafka: &KafkaPlan, pinot: &PinotPlan) -> Summary {
        let nodes_added = node_pool.after.total().saturating_sub(node_pool.before.total());
        let brokers_added = kafka.new_brokers().len() as u32;
        let reassignment = kafka.reassignment.as_ref();
        let partitions_reassigned = reassignment.map_or(0, |r| {
            r.changes.iter().filter(|c| !c.old_replicas.is_empty()).count() as u32
        });
        let node_pool_changed = u64::from(node_pool.changes());
        Summary {
            nodes_added,
            brokers_added,
            values_changed: values.changes.len() as u32,
            topics_grown: values.topics.iter().filter(|t| t.grows()).count() as u32,
            partitions_created: kafka.partitions_created,
            partitions_reassigned,
            replicas_moved: reassignment.map_or(0, |r| r.replicas_moved as u64),
            lower_bound: reassignment.map_or(0, |r| r.lower_bound as u64),
            bytes_moved: reassignment.map_or(0, |r| r.bytes_moved),
            leader_only_changes: reassignment.map_or(0, |r| r.reorder_only as u32),
            tables_rebalanced: pinot.tables.len() as u32,
            to_add: u64::from(nodes_added) + u64::from(brokers_added) + kafka.partitions_created,
            to_change: node_pool_changed
                + values.changes.len() as u64
                + u64::from(partitions_reassigned)
                + pinot.tables.len() as u64,
            to_destroy: 0,
        }
    }

    pub fn has_changes(&self) -> bool {
        self.to_add + self.to_change + self.to_destroy > 0
    }
}
