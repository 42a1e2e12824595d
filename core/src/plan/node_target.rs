//! The node total a pool can really take, from the total the operator asked for.
//!
//! Two rules, each for the installs it belongs to:
//! - A multi-zone GKE pool is sized *per zone*, so its total is a whole number of nodes in each of
//!   its zones. An uneven total cannot be sent at all: the planner takes the nearest valid total
//!   above the current size and says why, rather than refusing an ordinary request.
//! - A multi-AZ Kloudfuse install (`global.multiAzDeployment.enabled: true`, fresh installs only)
//!   runs equal nodes in its zones and grows in the profile's step (Kloudfuse: 6). That is a rule of
//!   the install, not of the pool: an EKS node group spread over three subnets (the usual case)
//!   grows by any count. A multi-AZ total off the step is refused with the next valid one, because
//!   rounding there may add several nodes the operator did not ask for.
use serde_json::Value;

use super::PlanError;
use crate::profile::Profile;
use crate::snapshot::{NodePool, Snapshot};
use crate::values::json::scalar_to_json;
use crate::values::{Document, Lookup, Node, ValuePath};

/// The chart's switch for a multi-AZ install.
pub const MULTI_AZ_PATH: &str = "global.multiAzDeployment.enabled";

/// The total the plan uses, and why it differs from the request (None when it does not).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTarget {
    pub nodes: u32,
    pub note: Option<String>,
}

pub fn settle(
    snapshot: &Snapshot,
    profile: &Profile,
    document: &Document,
    from_nodes: u32,
    requested: u32,
) -> Result<NodeTarget, PlanError> {
    let (nodes, note) = match &snapshot.node_pool {
        NodePool::Gke(pool) if pool.locations.len() > 1 => {
            let zones = pool.locations.len() as u32;
            let nodes = whole_zones(requested, zones, from_nodes);
            let note = (nodes != requested).then(|| {
                format!(
                    "GKE sizes this pool per zone: {requested} nodes do not split evenly over its {zones} zones ({}), so the plan takes {nodes} ({} per zone), the nearest total that does",
                    pool.locations.join(", "),
                    nodes / zones
                )
            });
            (nodes, note)
        }
        _ => (requested, None),
    };
    if multi_az_enabled(document) {
        check_multi_az(snapshot, nodes, profile.multi_az_node_multiple)?;
    }
    Ok(NodeTarget { nodes, note })
}

/// The multiple of `zones` nearest to `requested` that still grows the pool past `from_nodes`
/// (a tie goes up: a node too many is cheaper than one too few).
fn whole_zones(requested: u32, zones: u32, from_nodes: u32) -> u32 {
    if requested.is_multiple_of(zones) {
        return requested;
    }
    let below = requested / zones * zones;
    match below.checked_add(zones) {
        Some(above) if below <= from_nodes || above - requested <= requested - below => above,
        _ => below,
    }
}

/// Whether the values file turns multi-AZ on (a quoted "true" too: Helm templates test truthiness).
fn multi_az_enabled(document: &Document) -> bool {
    let Ok(path) = ValuePath::parse(MULTI_AZ_PATH) else {
        return false;
    };
    let Lookup::Found(Node::Scalar(scalar)) = document.lookup(&path) else {
        return false;
    };
    match scalar_to_json(scalar) {
        Value::Bool(on) => on,
        Value::String(text) => text.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Equal nodes per zone and a multiple of the profile's step: the total must be a multiple of both.
fn check_multi_az(snapshot: &Snapshot, to_nodes: u32, profile_step: u32) -> Result<(), PlanError> {
    let zones = super::node_pool::zones_of_pool(snapshot);
    let zone_count = (zones.len() as u32).max(1);
    let step = lcm(profile_step.max(1), zone_count);
    if to_nodes.is_multiple_of(step) {
        return Ok(());
    }
    let names: Vec<&str> = zones.iter().map(|(zone, _)| zone.as_str()).collect();
    Err(PlanError::Impossible {
        message: format!(
            "`{MULTI_AZ_PATH}` is true: a multi-AZ Kloudfuse install runs equal nodes in each of its zones ({}) and grows in steps of {step}, and {to_nodes} is not a multiple of {step}",
            names.join(", ")
        ),
        fix: format!(
            "choose {} nodes (or another multiple of {step}); the step is profile key multi_az_node_multiple",
            to_nodes.div_ceil(step).saturating_mul(step)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_even_split_is_kept_and_an_uneven_one_goes_to_the_nearest_growing_total() {
        assert_eq!(whole_zones(9, 3, 6), 9);
        assert_eq!(whole_zones(10, 3, 6), 9);
        assert_eq!(whole_zones(11, 3, 6), 12);
        // The nearest total below would not grow the pool: the next one above.
        assert_eq!(whole_zones(4, 3, 3), 6);
        assert_eq!(whole_zones(7, 3, 6), 9);
        // A tie goes up.
        assert_eq!(whole_zones(5, 2, 2), 6);
        assert_eq!(whole_zones(u32::MAX, 2, 2), u32::MAX - 1);
    }

    #[test]
    fn multi_az_is_read_from_the_values_switch() {
        let on = |text: &str| multi_az_enabled(&Document::parse("v.yaml", text).unwrap());
        assert!(on("global:\n  multiAzDeployment:\n    enabled: true\n"));
        assert!(on("global:\n  multiAzDeployment: {enabled: \"true\"}\n"));
        assert!(!on("global:\n  multiAzDeployment:\n    enabled: false\n"));
        assert!(!on("global:\n  numNodes: 6\n"));
        assert!(!on("{}\n"));
    }

    #[test]
    fn the_least_common_multiple_of_step_and_zones() {
        assert_eq!(lcm(6, 3), 6);
        assert_eq!(lcm(6, 4), 12);
        assert_eq!(lcm(1, 3), 3);
    }
}
