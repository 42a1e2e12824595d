//! `pool-uniform`: the pool's Ready nodes are alike (instance type, pool labels, taints). Kloudfuse
//! scales replicas by node count, which assumes equal nodes (the runbook requires it). An odd node
//! fails the plan on every pool, named with what differs; the fix differs between a cloud pool (its
//! template makes the new nodes) and nodes added by other means.
use std::collections::BTreeSet;

use super::{Inputs, PreCheck, fail, pass};
use crate::snapshot::{NodeShape, OddNode, odd_nodes, pool_labels, pool_taint};

pub(super) fn pool_uniform(i: &Inputs) -> PreCheck {
    let id = "pool-uniform";
    let pool = i.snapshot.node_pool.pool_name();
    let shapes: Vec<NodeShape> = i
        .snapshot
        .kubernetes
        .nodes
        .iter()
        .filter(|n| n.pool.as_deref() == Some(pool.as_str()) && n.ready && !n.unschedulable)
        .map(|n| NodeShape {
            name: n.name.clone(),
            instance_type: n.instance_type.clone(),
            // Filtered again: a snapshot written by an older kfscale may hold labels now known to
            // differ from node to node by nature.
            labels: pool_labels(&n.labels),
            taints: n
                .taints
                .iter()
                .filter(|t| pool_taint(&t.key))
                .map(|t| {
                    if t.value.is_empty() {
                        format!("{}:{}", t.key, t.effect)
                    } else {
                        format!("{}={}:{}", t.key, t.value, t.effect)
                    }
                })
                .collect::<BTreeSet<_>>(),
        })
        .collect();
    let odd = odd_nodes(&shapes);
    if odd.is_empty() {
        return pass(id, format!("the {} Ready nodes of {pool} are alike", shapes.len()));
    }
    let listed: Vec<String> = odd.iter().map(OddNode::to_string).collect();
    let message = format!("nodes of {pool} that differ from the rest: {}", listed.join("; "));
    // The runbook requires alike nodes on every pool: the replica counts scale by node count, and
    // pods pinned by a label set on some nodes only would crowd onto them. A cloud pool's new nodes
    // follow its template, not the odd node, so the difference would only grow.
    let fix = if i.snapshot.node_pool.resizable() {
        "find out who changed the node (a label or taint set by hand) and make it like the rest (kubectl label/taint), or replace it from the pool's template; the new nodes will look like the template"
    } else {
        "replace or relabel the odd node(s) so every node has the same instance type, labels and taints, or narrow cluster.external.node_selector"
    };
    fail(id, message, fix)
}
