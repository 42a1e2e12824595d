//! How large a node pool may grow: each cloud's published per-pool quota, or the one the operator
//! raised and told kfscale about. A target past it is refused at plan time, with the limit and the
//! fix, instead of failing in the cloud's API after the plan was approved.
//!
//! Defaults, from the providers' published quotas:
//! - EKS: 450 nodes per managed node group ("Nodes per managed node group", a soft quota);
//! - GKE: 1,000 nodes per node pool per zone;
//! - AKS: 1,000 nodes per agent pool.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlanError;
use crate::snapshot::NodePool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolLimits {
    /// EKS: nodes one managed node group may hold (`cluster.aws.max_nodes_per_group`).
    pub eks_nodes_per_group: u32,
    /// GKE: nodes one pool may hold in one zone (`cluster.gcp.max_nodes_per_zone`).
    pub gke_nodes_per_zone: u32,
}

impl Default for PoolLimits {
    fn default() -> PoolLimits {
        PoolLimits {
            eks_nodes_per_group: 450,
            gke_nodes_per_zone: 1000,
        }
    }
}

impl PoolLimits {
    /// Refuses a target the pool's quota does not allow.
    pub fn check(&self, pool: &NodePool, to_nodes: u32) -> Result<(), PlanError> {
        match pool {
            NodePool::Eks(group) if to_nodes > self.eks_nodes_per_group => Err(PlanError::Impossible {
                message: format!(
                    "{to_nodes} nodes is past the {} nodes an EKS managed node group may hold (node group {})",
                    self.eks_nodes_per_group, group.nodegroup
                ),
                fix: "ask AWS for a higher \"Nodes per managed node group\" quota and set cluster.aws.max_nodes_per_group in kfscale.yaml to it, or plan fewer nodes".into(),
            }),
            NodePool::Gke(pool) => {
                let zones = pool.locations.len().max(1) as u32;
                let per_zone = to_nodes.div_ceil(zones);
                if per_zone > self.gke_nodes_per_zone {
                    return Err(PlanError::Impossible {
                        message: format!(
                            "{to_nodes} nodes over {zones} zone(s) is {per_zone} per zone, past the {} nodes a GKE node pool may hold per zone (pool {})",
                            self.gke_nodes_per_zone, pool.pool
                        ),
                        fix: "raise the quota with Google and set cluster.gcp.max_nodes_per_zone in kfscale.yaml to it, or plan fewer nodes".into(),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
