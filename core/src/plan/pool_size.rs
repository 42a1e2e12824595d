//! A node pool's size as its own cloud sizes it: one enum, a variant per kind of pool, each with
//! exactly the numbers that cloud has (no bag of optional fields).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "provider", rename_all = "lowercase", deny_unknown_fields)]
pub enum PoolSize {
    /// An EKS managed node group: its desired size and the bounds of its Auto Scaling group.
    Eks { desired: u32, min: u32, max: u32 },
    /// A GKE node pool: nodes per zone in each of its zones, and the autoscaler's bounds when on.
    Gke {
        per_zone: u32,
        zones: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        autoscaling: Option<GkeBounds>,
    },
    /// An AKS agent pool: its node count, and the autoscaler's bounds when on.
    Aks {
        count: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        autoscaling: Option<Bounds>,
    },
    /// Nodes added by other means: how many are Ready and schedulable.
    External { nodes: u32 },
}

/// An autoscaler's bounds on a node count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: u32,
    pub max: u32,
}

/// GKE's autoscaler bounds: per zone, or for the whole pool (`total_*`, used instead when set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GkeBounds {
    pub min_per_zone: u32,
    pub max_per_zone: u32,
    #[serde(default)]
    pub total_min: u32,
    #[serde(default)]
    pub total_max: u32,
}

impl GkeBounds {
    /// GKE applies the whole-pool bounds when either is set.
    pub fn uses_total(&self) -> bool {
        self.total_min > 0 || self.total_max > 0
    }
}

impl PoolSize {
    /// Nodes in the pool.
    pub fn total(&self) -> u32 {
        match self {
            PoolSize::Eks { desired, .. } => *desired,
            PoolSize::Gke { per_zone, zones, .. } => per_zone * zones.max(&1),
            PoolSize::Aks { count, .. } => *count,
            PoolSize::External { nodes } => *nodes,
        }
    }

    /// The bounds the whole pool's node count must stay within, where the pool has them.
    pub fn total_bounds(&self) -> Option<Bounds> {
        match self {
            PoolSize::Eks { min, max, .. } => Some(Bounds { min: *min, max: *max }),
            PoolSize::Gke {
                zones,
                autoscaling: Some(b),
                ..
            } => Some(if b.uses_total() {
                Bounds {
                    min: b.total_min,
                    max: b.total_max,
                }
            } else {
                Bounds {
                    min: b.min_per_zone * zones.max(&1),
                    max: b.max_per_zone * zones.max(&1),
                }
            }),
            PoolSize::Aks {
                autoscaling: Some(b), ..
            } => Some(*b),
            _ => None,
        }
    }

    /// (name, value) of each number, in the order a plan shows them.
    pub fn rows(&self) -> Vec<(&'static str, u32)> {
        let mut rows = vec![("nodes (total)", self.total())];
        match self {
            PoolSize::Eks { min, max, .. } => rows.extend([("min", *min), ("max", *max)]),
            PoolSize::Gke {
                per_zone, autoscaling, ..
            } => {
                rows.push(("per zone", *per_zone));
                match autoscaling {
                    Some(b) if b.uses_total() => rows.extend([("total min", b.total_min), ("total max", b.total_max)]),
                    Some(b) => rows.extend([("min per zone", b.min_per_zone), ("max per zone", b.max_per_zone)]),
                    None => {}
                }
            }
            PoolSize::Aks {
                autoscaling: Some(b), ..
            } => rows.extend([("min", b.min), ("max", b.max)]),
            PoolSize::Aks { autoscaling: None, .. } | PoolSize::External { .. } => {}
        }
        rows
    }
}

/// Before and after side by side, by row name in the order they first appear (a row only one side
/// has shows `None` on the other).
pub fn side_by_side(before: &PoolSize, after: &PoolSize) -> Vec<(&'static str, Option<u32>, Option<u32>)> {
    let (before, after) = (before.rows(), after.rows());
    let mut names: Vec<&'static str> = before.iter().map(|(n, _)| *n).collect();
    for (name, _) in &after {
        if !names.contains(name) {
            names.push(name);
        }
    }
    let find = |rows: &[(&'static str, u32)], name: &str| rows.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    names
        .into_iter()
        .map(|name| (name, find(&before, name), find(&after, name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cloud_shows_its_own_numbers() {
        let eks = PoolSize::Eks {
            desired: 6,
            min: 3,
            max: 9,
        };
        assert_eq!(eks.rows(), [("nodes (total)", 6), ("min", 3), ("max", 9)]);
        let gke = PoolSize::Gke {
            per_zone: 2,
            zones: 3,
            autoscaling: Some(GkeBounds {
                min_per_zone: 1,
                max_per_zone: 4,
                total_min: 0,
                total_max: 0,
            }),
        };
        assert_eq!(gke.total(), 6);
        assert_eq!(gke.total_bounds(), Some(Bounds { min: 3, max: 12 }));
        let aks = PoolSize::Aks {
            count: 4,
            autoscaling: None,
        };
        assert_eq!(aks.rows(), [("nodes (total)", 4)]);
        assert_eq!(PoolSize::External { nodes: 5 }.total_bounds(), None);
    }

    #[test]
    fn rows_line_up_when_the_autoscaler_appears_only_after() {
        let before = PoolSize::Aks {
            count: 3,
            autoscaling: None,
        };
        let after = PoolSize::Aks {
            count: 5,
            autoscaling: Some(Bounds { min: 1, max: 5 }),
        };
        assert_eq!(
            side_by_side(&before, &after),
            [
                ("nodes (total)", Some(3), Some(5)),
                ("min", None, Some(1)),
                ("max", None, Some(5))
            ]
        );
    }
}
