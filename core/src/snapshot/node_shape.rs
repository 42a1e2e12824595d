//! What makes the nodes of one pool alike: the instance type, the labels a pool sets on all its nodes,
//! and the taints it gives them. Kloudfuse expects every node the same; a pool made by other means
//! (Karpenter, a hand-built group) may not be, so kfscale compares them and names any odd node.
use std::collections::{BTreeMap, BTreeSet};

/// Labels that differ from node to node of one pool by nature (name, place, the machine itself) or are
/// compared on their own (the instance type).
const PER_NODE_LABELS: &[&str] = &[
    "kubernetes.io/hostname",
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    // The machine image and template version a node was built from: a pool's template moves on
    // (a node-image upgrade, a new launch-template version), so nodes made after it differ from the
    // older ones in these and nothing else that matters to Kloudfuse.
    "kubernetes.azure.com/node-image-version",
    "eks.amazonaws.com/nodegroup-image",
    "eks.amazonaws.com/sourceLaunchTemplateVersion",
    "cloud.google.com/gke-nodepool-version",
    // Life-cycle marks set on a node as it comes up.
    "karpenter.sh/initialized",
    "karpenter.sh/registered",
];

/// Suffixes of labels a DaemonSet puts on a node once its pod there is ready (GKE's
/// `cloud.google.com/gke-netd-ready`, `addon.gke.io/node-local-dns-ds-ready`,
/// `node.kubernetes.io/masq-agent-ds-ready`, Calico's `projectcalico.org/ds-ready`): a new node
/// lacks them for its first minute.
const READINESS_LABEL_SUFFIXES: &[&str] = &["-ready", "/ds-ready"];

/// Taints the control plane and autoscalers put on and take off single nodes as they come and go.
const TRANSIENT_TAINT_PREFIXES: &[&str] = &[
    "node.kubernetes.io/",
    "node.cloudprovider.kubernetes.io/",
    "ToBeDeletedByClusterAutoscaler",
    "DeletionCandidateOfClusterAutoscaler",
    "karpenter.sh/disrupt",
];

/// The labels of `labels` that a pool sets alike on its nodes.
pub fn pool_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(key, _)| {
            !PER_NODE_LABELS.contains(&key.as_str())
                && !key.ends_with("/zone")
                && !key.ends_with("/region")
                && !key.ends_with("/instance-id")
                && !READINESS_LABEL_SUFFIXES.iter().any(|suffix| key.ends_with(suffix))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether a taint is one a pool gives its nodes (not one the node's life puts on and takes off).
pub fn pool_taint(key: &str) -> bool {
    !TRANSIENT_TAINT_PREFIXES.iter().any(|prefix| key.starts_with(prefix))
}

/// One node as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeShape {
    pub name: String,
    pub instance_type: Option<String>,
    /// Pool labels only (see `pool_labels`).
    pub labels: BTreeMap<String, String>,
    /// `key=value:Effect`, pool taints only.
    pub taints: BTreeSet<String>,
}

/// A node that differs from the pool's common shape, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OddNode {
    pub name: String,
    pub differences: Vec<String>,
}

impl std::fmt::Display for OddNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.differences.join("; "))
    }
}

/// What makes nodes alike: instance type, pool labels, taints.
type Shape = (Option<String>, BTreeMap<String, String>, BTreeSet<String>);

/// The nodes that differ from the shape most nodes share (ties: the first node's), each with what
/// differs. Empty when all are alike.
pub fn odd_nodes(nodes: &[NodeShape]) -> Vec<OddNode> {
    odd_among(nodes, nodes)
}

/// The `candidates` that differ from the shape most of the `reference` nodes share (ties: the first
/// reference node's), each with what differs. A scale-out asks this of the new nodes against the
/// pool's nodes from before: the new ones must look like those, whatever the old ones' own quirks
/// (which the `pool-uniform` pre-check already reported). Empty when `reference` is empty.
pub fn odd_among(reference: &[NodeShape], candidates: &[NodeShape]) -> Vec<OddNode> {
    let key = |n: &NodeShape| -> Shape { (n.instance_type.clone(), n.labels.clone(), n.taints.clone()) };
    let mut counts: Vec<(Shape, usize)> = Vec::new();
    for node in reference {
        let shape = key(node);
        match counts.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, n)) => *n += 1,
            None => counts.push((shape, 1)),
        }
    }
    // The shape most nodes share; of equal counts the first seen (the first node's) wins.
    let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let Some((common, _)) = counts.into_iter().find(|(_, n)| *n == most) else {
        return Vec::new();
    };
    let (instance_type, labels, taints) = common;
    candidates
        .iter()
        .filter_map(|node| {
            let mut differences = Vec::new();
            if node.instance_type != instance_type {
                differences.push(format!(
                    "instance type {} instead of {}",
                    node.instance_type.as_deref().unwrap_or("(none)"),
                    instance_type.as_deref().unwrap_or("(none)")
                ));
            }
            for (k, v) in &labels {
                match node.labels.get(k) {
                    None => differences.push(format!("label {k}={v} missing")),
                    Some(other) if other != v => differences.push(format!("label {k}={other} instead of {v}")),
                    _ => {}
                }
            }
            for (k, v) in node.labels.iter().filter(|(k, _)| !labels.contains_key(*k)) {
                differences.push(format!("extra label {k}={v}"));
            }
            for t in taints.difference(&node.taints) {
                differences.push(format!("taint {t} missing"));
            }
            for t in node.taints.difference(&taints) {
                differences.push(format!("extra taint {t}"));
            }
            (!differences.is_empty()).then(|| OddNode {
                name: node.name.clone(),
                differences,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, instance: &str, labels: &[(&str, &str)], taints: &[&str]) -> NodeShape {
        NodeShape {
            name: name.into(),
            instance_type: Some(instance.into()),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            taints: taints.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn alike_nodes_have_no_odd_one() {
        let nodes = [
            node("a", "m5.2xlarge", &[("kf", "1")], &[]),
            node("b", "m5.2xlarge", &[("kf", "1")], &[]),
        ];
        assert!(odd_nodes(&nodes).is_empty());
        assert!(odd_nodes(&[]).is_empty());
    }

    #[test]
    fn the_odd_node_is_named_with_what_differs() {
        let nodes = [
            node("a", "m5.2xlarge", &[("kf", "1")], &["kf=1:NoSchedule"]),
            node("b", "m5.2xlarge", &[("kf", "1")], &["kf=1:NoSchedule"]),
            node("c", "m5.4xlarge", &[("kf", "2"), ("x", "y")], &[]),
        ];
        let odd = odd_nodes(&nodes);
        assert_eq!(odd.len(), 1);
        assert_eq!(odd[0].name, "c");
        assert_eq!(
            odd[0].to_string(),
            "c (instance type m5.4xlarge instead of m5.2xlarge; label kf=2 instead of 1; extra label x=y; taint kf=1:NoSchedule missing)"
        );
    }

    #[test]
    fn per_node_labels_and_transient_taints_do_not_count() {
        let labels: BTreeMap<String, String> = [
            ("kubernetes.io/hostname", "ip-1"),
            ("topology.kubernetes.io/zone", "us-east-1a"),
            ("topology.ebs.csi.aws.com/zone", "us-east-1a"),
            ("kf_role", "data"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pool_labels(&labels).keys().collect::<Vec<_>>(), ["kf_role"]);
        assert!(!pool_taint("node.kubernetes.io/not-ready"));
        assert!(!pool_taint("ToBeDeletedByClusterAutoscaler"));
        assert!(pool_taint("kf_role"));
    }

    #[test]
    fn new_nodes_are_held_against_the_old_ones_not_against_each_other() {
        let old = [
            node("a", "m5.2xlarge", &[("kf_role", "data")], &[]),
            node("b", "m5.2xlarge", &[("kf_role", "data")], &[]),
        ];
        // Three new nodes without the hand-set label: the majority of all five, yet the odd ones.
        let new = [
            node("c", "m5.2xlarge", &[], &[]),
            node("d", "m5.2xlarge", &[], &[]),
            node("e", "m5.2xlarge", &[("kf_role", "data")], &[]),
        ];
        let odd = odd_among(&old, &new);
        let names: Vec<&str> = odd.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["c", "d"]);
        assert_eq!(odd[0].differences, ["label kf_role=data missing"]);
        assert!(odd_among(&[], &new).is_empty());
    }

    #[test]
    fn image_versions_and_readiness_marks_differ_between_old_and_new_nodes_by_nature() {
        let labels: BTreeMap<String, String> = [
            (
                "kubernetes.azure.com/node-image-version",
                "AKSUbuntu-2204gen2containerd-202405.03.0",
            ),
            ("eks.amazonaws.com/nodegroup-image", "ami-0abc"),
            ("eks.amazonaws.com/sourceLaunchTemplateVersion", "7"),
            ("cloud.google.com/gke-netd-ready", "true"),
            ("addon.gke.io/node-local-dns-ds-ready", "true"),
            ("projectcalico.org/ds-ready", "true"),
            ("karpenter.sh/initialized", "true"),
            ("kubernetes.azure.com/agentpool", "kfuse"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            pool_labels(&labels).keys().collect::<Vec<_>>(),
            ["kubernetes.azure.com/agentpool"]
        );
    }
}
