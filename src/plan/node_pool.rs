//! The node pool's target size and bounds, checked the way eksctl and gcloud would.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
use crate::profile::Profile;
use crate::snapshot::{NodePool, Snapshot};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodePoolPlan {
    /// Human name of the pool, e.g. `EKS node group kfuse (cluster prod, us-east-1)`.
    pub pool: String,
    pub provider: String,
    pub before: PoolSize,
    pub after: PoolSize,
    /// Why a bound moves (empty when only the size changes).
    pub notes: Vec<String>,
    /// Nodes of the pool per zone now (from Kubernetes).
    pub zones: Vec<(String, u32)>,
}

/// EKS: min/desired/max of the group. GKE: the per-zone count, the zones, and autoscaling bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSize {
    pub total: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_zone: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<bool>,
}

impl NodePoolPlan {
    pub fn changes(&self) -> bool {
        self.before != self.after
    }
}

pub fn plan_node_pool(snapshot: &Snapshot, profile: &Profile, to_nodes: u32) -> Result<NodePoolPlan, PlanError> {
    let mut notes = Vec::new();
    let (provider, before, after) = match &snapshot.node_pool {
        NodePool::Eks(group) => {
            let before = PoolSize {
                total: group.desired_size,
                min: Some(group.min_size),
                max: Some(group.max_size),
                per_zone: None,
                autoscaling: None,
            };
            let mut after = before.clone();
            after.total = to_nodes;
            if to_nodes > group.max_size {
                after.max = Some(to_nodes);
                notes.push(format!(
                    "maxSize rises {} -> {to_nodes} in the same call: EKS does not check min <= desired <= max itself",
                    group.max_size
                ));
            }
            if group.min_size > to_nodes {
                return Err(PlanError::Impossible {
                    message: format!(
                        "the node group's minSize {} is above the target {to_nodes}",
                        group.min_size
                    ),
                    fix: "check the node group: its minimum cannot exceed its size".into(),
                });
            }
            ("aws", before, after)
        }
        NodePool::Gke(pool) => {
            let zones = pool.locations.len().max(1) as u32;
            if !to_nodes.is_multiple_of(zones) {
                return Err(PlanError::Impossible {
                    message: format!(
                        "the GKE pool spans {zones} zones ({}) and its size is per zone, so {to_nodes} nodes cannot be split evenly",
                        pool.locations.join(", ")
                    ),
                    fix: format!(
                        "choose a total that is a multiple of {zones}, for example {}",
                        to_nodes.div_ceil(zones) * zones
                    ),
                });
            }
            let autoscaling = pool.autoscaling.as_ref().filter(|a| a.enabled);
            let before = PoolSize {
                total: pool.node_count_per_zone * zones,
                min: autoscaling.map(|a| a.min_node_count),
                max: autoscaling.map(|a| a.max_node_count),
                per_zone: Some(pool.node_count_per_zone),
                autoscaling: Some(autoscaling.is_some()),
            };
            let mut after = before.clone();
            after.total = to_nodes;
            after.per_zone = Some(to_nodes / zones);
            if let Some(auto) = autoscaling {
                if auto.max_node_count < to_nodes / zones {
                    after.max = Some(to_nodes / zones);
                    notes.push(format!(
                        "autoscaling max per zone rises {} -> {} (setAutoscaling), or the autoscaler would shrink the pool back",
                        auto.max_node_count,
                        to_nodes / zones
                    ));
                }
                if auto.total_max_node_count > 0 && auto.total_max_node_count < to_nodes {
                    notes.push(format!(
                        "autoscaling total max rises {} -> {to_nodes}",
                        auto.total_max_node_count
                    ));
                }
            }
            ("gcp", before, after)
        }
    };
    let zones = zones_of_pool(snapshot);
    check_multi_az(&zones, to_nodes, profile.multi_az_node_multiple)?;
    Ok(NodePoolPlan {
        pool: snapshot.node_pool.describe(),
        provider: provider.into(),
        before,
        after,
        notes,
        zones,
    })
}

/// Kloudfuse's multi-AZ installs run equal nodes per zone, and the profile may ask for a total that
/// is a multiple of a step (Kloudfuse: 6). The total must be a multiple of both.
fn check_multi_az(zones: &[(String, u32)], to_nodes: u32, profile_step: u32) -> Result<(), PlanError> {
    let zone_count = zones.len() as u32;
    if zone_count < 2 {
        return Ok(());
    }
    let step = lcm(profile_step.max(1), zone_count);
    if to_nodes.is_multiple_of(step) {
        return Ok(());
    }
    let names: Vec<&str> = zones.iter().map(|(zone, _)| zone.as_str()).collect();
    Err(PlanError::Impossible {
        message: format!(
            "the pool's nodes span {zone_count} zones ({}): a multi-AZ Kloudfuse install needs equal nodes per zone and a total that is a multiple of {step}, and {to_nodes} is not",
            names.join(", ")
        ),
        fix: format!(
            "choose {} nodes (or another multiple of {step}); the step is profile key multi_az_node_multiple",
            to_nodes.div_ceil(step) * step
        ),
    })
}

fn lcm(a: u32, b: u32) -> u32 {
    let gcd = |mut x: u32, mut y: u32| {
        while y != 0 {
            (x, y) = (y, x % y);
        }
        x
    };
    a / gcd(a, b) * b
}

fn zones_of_pool(snapshot: &Snapshot) -> Vec<(String, u32)> {
    let (_, pool_name) = snapshot.node_pool.node_label();
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for node in &snapshot.kubernetes.nodes {
        if node.pool.as_deref() == Some(pool_name) {
            *counts
                .entry(node.zone.clone().unwrap_or_else(|| "(no zone)".into()))
                .or_default() += 1;
        }
    }
    counts.into_iter().collect()
}
