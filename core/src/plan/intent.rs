//! What the operator asked for: a node count to reach.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Add this many nodes to the pool's current size.
    AddNodes(u32),
    /// Reach this total node count (declarative: re-running after success changes nothing).
    Nodes(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentError {
    #[error("--add-nodes 0 adds nothing; fix: give the number of nodes to add (1 or more), or --nodes N for a total")]
    AddNothing,
    #[error("--nodes {0}: a node pool needs at least one node; fix: give the total node count after the scale-out")]
    ZeroNodes(u32),
    #[error(
        "--nodes {requested} is fewer than the {current} nodes the pool has; kfscale only scales out; fix: give a total of at least {current}"
    )]
    ScaleIn { requested: u32, current: u32 },
    #[error(
        "the node pool has 0 nodes, so replicas cannot be scaled by (n+m)/n; fix: check that the snapshot names the right node pool"
    )]
    EmptyPool,
    #[error(
        "--add-nodes {added} on a pool of {current} nodes is more nodes than any pool can hold; fix: give the number of nodes to add"
    )]
    TooMany { added: u32, current: u32 },
}

impl Intent {
    /// The node count after the change, given the pool's size now.
    pub fn target_nodes(&self, current: u32) -> Result<u32, IntentError> {
        if current == 0 {
            return Err(IntentError::EmptyPool);
        }
        match *self {
            Intent::AddNodes(0) => Err(IntentError::AddNothing),
            // Checked: a wrapped sum would be a smaller pool, a scale-in disguised as a scale-out.
            Intent::AddNodes(added) => current
                .checked_add(added)
                .ok_or(IntentError::TooMany { added, current }),
            Intent::Nodes(0) => Err(IntentError::ZeroNodes(0)),
            Intent::Nodes(total) if total < current => Err(IntentError::ScaleIn {
                requested: total,
                current,
            }),
            Intent::Nodes(total) => Ok(total),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_addition_is_refused_instead_of_wrapping_into_a_scale_in() {
        assert_eq!(
            Intent::AddNodes(u32::MAX).target_nodes(6),
            Err(IntentError::TooMany {
                added: u32::MAX,
                current: 6
            })
        );
        assert_eq!(Intent::AddNodes(3).target_nodes(6), Ok(9));
        assert!(matches!(
            Intent::Nodes(5).target_nodes(6),
            Err(IntentError::ScaleIn { .. })
        ));
    }
}
