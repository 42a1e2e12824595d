//! The node pool's target size and bounds, checked the way eksctl, gcloud and az would; for nodes
//! added by other means, what apply waits for.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
pub use super::pool_size::{Bounds, GkeBounds, PoolSize, side_by_side};
use crate::snapshot::{NodePool, Snapshot};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodePoolPlan {
    /// Human name of the pool, e.g. `EKS node group kfuse (cluster prod, us-east-1)`.
    pub pool: String,
    pub provider: String,
    pub before: PoolSize,
    pub after: PoolSize,
    /// Why a bound moves, or what kfscale waits for (empty when only the size changes).
    pub notes: Vec<String>,
    /// Nodes of the pool per zone now (from Kubernetes).
    pub zones: Vec<(String, u32)>,
    /// The pool's nodes now, by name: after a resize the step holds the new nodes against these
    /// (the runbook's uniform nodes). Absent from plans made before kfscale recorded it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes_before: Vec<String>,
}

impl NodePoolPlan {
    pub fn changes(&self) -> bool {
        self.before != self.after
    }

    /// Whether kfscale resizes the pool (false: nodes come by other means and kfscale waits for them).
    pub fn resizes(&self) -> bool {
        !matches!(self.after, PoolSize::External { .. })
    }

    /// When the node-pool step is done, as the plan states it.
    pub fn done_when(&self) -> String {
        let total = self.after.total();
        if self.resizes() {
            format!("done = the pool reports {total} and {total} nodes of the pool are Ready")
        } else {
            format!(
                "done = {total} Ready, schedulable nodes match, alike in instance type, labels and taints (kfscale adds none)"
            )
        }
    }
}

pub fn plan_node_pool(snapshot: &Snapshot, to_nodes: u32) -> Result<NodePoolPlan, PlanError> {
    let mut notes = Vec::new();
    let (provider, before, after) = match &snapshot.node_pool {
        NodePool::Eks(group) => {
            if group.min_size > to_nodes {
                return Err(PlanError::Impossible {
                    message: format!(
                        "the node group's minSize {} is above the target {to_nodes}",
                        group.min_size
                    ),
                    fix: "check the node group: its minimum cannot exceed its size".into(),
                });
            }
            if to_nodes > group.max_size {
                notes.push(format!(
                    "maxSize rises {} -> {to_nodes} in the same call: EKS does not check min <= desired <= max itself",
                    group.max_size
                ));
            }
            let before = PoolSize::Eks {
                desired: group.desired_size,
                min: group.min_size,
                max: group.max_size,
            };
            let after = PoolSize::Eks {
                desired: to_nodes,
                min: group.min_size,
                max: group.max_size.max(to_nodes),
            };
            ("aws", before, after)
        }
        NodePool::Gke(pool) => {
            // node_target settled a total that splits evenly over the zones.
            let zones = pool.locations.len().max(1) as u32;
            let per_zone = to_nodes / zones;
            let bounds = pool.autoscaling.as_ref().filter(|a| a.enabled).map(|a| GkeBounds {
                min_per_zone: a.min_node_count,
                max_per_zone: a.max_node_count,
                total_min: a.total_min_node_count,
                total_max: a.total_max_node_count,
            });
            let widened = bounds.map(|b| {
                // Bounds only widen, so the autoscaler keeps the new size (as the step's setAutoscaling does).
                let mut w = b;
                if b.uses_total() {
                    w.total_min = b.total_min.min(to_nodes);
                    w.total_max = b.total_max.max(to_nodes);
                } else {
                    w.min_per_zone = b.min_per_zone.min(per_zone);
                    w.max_per_zone = b.max_per_zone.max(per_zone);
                }
                w
            });
            if let (Some(b), Some(w)) = (bounds, widened)
                && b != w
            {
                notes.push(if b.uses_total() {
                    format!(
                        "autoscaling total bounds widen {}..{} -> {}..{} (setAutoscaling), or the autoscaler would shrink the pool back",
                        b.total_min, b.total_max, w.total_min, w.total_max
                    )
                } else {
                    format!(
                        "autoscaling bounds per zone widen {}..{} -> {}..{} (setAutoscaling), or the autoscaler would shrink the pool back",
                        b.min_per_zone, b.max_per_zone, w.min_per_zone, w.max_per_zone
                    )
                });
            }
            let before = PoolSize::Gke {
                per_zone: pool.node_count_per_zone,
                zones,
                autoscaling: bounds,
            };
            let after = PoolSize::Gke {
                per_zone,
                zones,
                autoscaling: widened,
            };
            ("gcp", before, after)
        }
        NodePool::Aks(pool) => {
            let bounds = match (pool.enable_auto_scaling, pool.min_count, pool.max_count) {
                (true, Some(min), Some(max)) => Some(Bounds { min, max }),
                _ => None,
            };
            let widened = bounds.map(|b| Bounds {
                min: b.min.min(to_nodes),
                max: b.max.max(to_nodes),
            });
            if let (Some(b), Some(w)) = (bounds, widened)
                && b != w
            {
                notes.push(format!(
                    "autoscaler bounds widen {}..{} -> {}..{} in the same PUT: AKS keeps the count within them, and the autoscaler would shrink the pool back",
                    b.min, b.max, w.min, w.max
                ));
            }
            let before = PoolSize::Aks {
                count: pool.count,
                autoscaling: bounds,
            };
            let after = PoolSize::Aks {
                count: to_nodes,
                autoscaling: widened,
            };
            ("azure", before, after)
        }
        NodePool::External(nodes) => {
            notes.push(format!(
                "kfscale does not add these nodes: add {} node(s) with the tooling that owns them (Karpenter, your autoscaling group, Terraform, ...); apply waits until {to_nodes} Ready, schedulable nodes match {}, all with the same instance type, labels and taints",
                to_nodes.saturating_sub(nodes.ready_nodes),
                snapshot.node_pool.selector()
            ));
            let before = PoolSize::External {
                nodes: nodes.ready_nodes,
            };
            let after = PoolSize::External { nodes: to_nodes };
            ("external", before, after)
        }
    };
    let zones = zones_of_pool(snapshot);
    let pool_name = snapshot.node_pool.pool_name();
    let mut nodes_before: Vec<String> = snapshot
        .kubernetes
        .nodes
        .iter()
        .filter(|node| node.pool.as_deref() == Some(pool_name.as_str()))
        .map(|node| node.name.clone())
        .collect();
    nodes_before.sort();
    Ok(NodePoolPlan {
        pool: snapshot.node_pool.describe(),
        provider: provider.into(),
        before,
        after,
        notes,
        zones,
        nodes_before,
    })
}

pub(super) fn zones_of_pool(snapshot: &Snapshot) -> Vec<(String, u32)> {
    let pool_name = snapshot.node_pool.pool_name();
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for node in &snapshot.kubernetes.nodes {
        if node.pool.as_deref() == Some(pool_name.as_str()) {
            *counts
                .entry(node.zone.clone().unwrap_or_else(|| "(no zone)".into()))
                .or_default() += 1;
        }
    }
    counts.into_iter().collect()
}
