//! The node pool Kloudfuse runs on, from the nodes its pods are scheduled to: the cloud's pool
//! label on them (EKS node group, GKE node pool, AKS agent pool) and the names that cloud needs,
//! from node labels, provider ids and the kubeconfig's context; else the labels those nodes share
//! (`cluster.external`).
use std::collections::BTreeMap;

use kfscale_kube::{ContextInfo, NodeInfo, PodInfo};

use super::cloud_names::{
    aks_node_group, aws_zone, azure_ids, eks_arn, exec_flag, gce_project, gke_cluster, region_of,
};
use super::draft::{Field, PoolDraft};
use crate::snapshot::{AKS_POOL_LABEL, EKS_POOL_LABEL, GKE_POOL_LABEL};

const REGION_LABELS: [&str; 2] = [
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
];
const ZONE_LABELS: [&str; 2] = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];
/// Set per node or by Kubernetes itself: never what marks a pool.
const NOT_A_POOL_MARK: [&str; 6] = [
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/",
    "topology.",
];

/// The pool draft and a sentence saying how it was chosen.
pub fn pool_draft(nodes: &[NodeInfo], pods: &[PodInfo], kube: &ContextInfo) -> (PoolDraft, String) {
    let pods_per_node = pods_per_node(pods);
    let hosting: Vec<&NodeInfo> = nodes.iter().filter(|n| pods_per_node.contains_key(&n.name)).collect();
    // Pods not scheduled yet: every node is a candidate.
    let candidates: Vec<&NodeInfo> = if hosting.is_empty() {
        nodes.iter().collect()
    } else {
        hosting.clone()
    };
    let pod_count = |node: &NodeInfo| pods_per_node.get(&node.name).copied().unwrap_or(0);
    for label in [EKS_POOL_LABEL, GKE_POOL_LABEL, AKS_POOL_LABEL] {
        let mut pools: BTreeMap<&str, usize> = BTreeMap::new();
        for node in &candidates {
            if let Some(pool) = node.labels.get(label) {
                *pools.entry(pool).or_default() += pod_count(node).max(1);
            }
        }
        // The pool with the most of the release's pods (ties: the first name).
        let Some((pool, _)) = pools.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else {
            continue;
        };
        let members: Vec<&NodeInfo> = nodes
            .iter()
            .filter(|n| n.labels.get(label) == Some(&pool.to_string()))
            .collect();
        let evidence = evidence(&pools, label, pool, members.len(), hosting.len());
        let draft = match label {
            EKS_POOL_LABEL => PoolDraft::Aws(aws(pool, &members, kube)),
            GKE_POOL_LABEL => PoolDraft::Gcp(gcp(pool, &members, kube)),
            _ => PoolDraft::Azure(azure(pool, &members, kube)),
        };
        return (draft, evidence);
    }
    external(&candidates, nodes.len())
}

fn pods_per_node(pods: &[PodInfo]) -> BTreeMap<String, usize> {
    let mut per_node = BTreeMap::new();
    for node in pods.iter().filter_map(|pod| pod.node.clone()) {
        *per_node.entry(node).or_default() += 1;
    }
    per_node
}

fn evidence(pools: &BTreeMap<&str, usize>, label: &str, pool: &str, members: usize, hosting: usize) -> String {
    let others: Vec<String> = pools
        .iter()
        .filter(|(name, _)| **name != pool)
        .map(|(name, _)| name.to_string())
        .collect();
    let mut text = match hosting {
        0 => format!("no pod of the release is scheduled yet; the nodes are labelled {label}={pool} ({members} nodes)"),
        _ => format!("the release's pods run on nodes labelled {label}={pool} ({members} nodes in that pool)"),
    };
    if !others.is_empty() {
        text.push_str(&format!(
            "; some also run on {}: kfscale grows one pool",
            others.join(", ")
        ));
    }
    text
}

/// The first value of `labels` on any of `nodes`, with the label it came from.
fn label_value(nodes: &[&NodeInfo], labels: &[&str]) -> Option<(String, String)> {
    nodes.iter().find_map(|node| {
        labels.iter().find_map(|label| {
            node.labels
                .get(*label)
                .map(|v| (v.clone(), format!("node label {label}")))
        })
    })
}

fn zones(nodes: &[&NodeInfo]) -> Vec<String> {
    let mut zones: Vec<String> = nodes
        .iter()
        .filter_map(|node| ZONE_LABELS.iter().find_map(|label| node.labels.get(*label).cloned()))
        .collect();
    zones.sort();
    zones.dedup();
    zones
}

fn aws(pool: &str, nodes: &[&NodeInfo], kube: &ContextInfo) -> Vec<Field> {
    let arn = eks_arn(&kube.cluster);
    let from_kubeconfig = format!("the kubeconfig's cluster {}", kube.cluster);
    let cluster = arn
        .as_ref()
        .map(|(_, name)| (name.clone(), from_kubeconfig.clone()))
        .or_else(|| {
            exec_flag(&kube.exec_args, &["--cluster-name", "-i", "--cluster-id"]).map(|name| {
                (
                    name,
                    format!("the kubeconfig user's exec arguments (context {})", kube.context),
                )
            })
        })
        .or_else(|| label_value(nodes, &["alpha.eksctl.io/cluster-name"]));
    let region = label_value(nodes, &REGION_LABELS)
        .or_else(|| {
            nodes
                .iter()
                .find_map(|n| n.provider_id.as_deref().and_then(aws_zone))
                .map(|zone| (region_of(&zone), format!("the nodes' provider id (zone {zone})")))
        })
        .or_else(|| {
            arn.as_ref()
                .map(|(region, _)| (region.clone(), from_kubeconfig.clone()))
        });
    let profile = kube
        .exec_env
        .iter()
        .find(|(name, _)| name == "AWS_PROFILE")
        .map(|(_, value)| value.clone())
        .or_else(|| exec_flag(&kube.exec_args, &["--profile"]))
        .map(|profile| {
            (
                profile,
                format!("the kubeconfig user's exec settings (context {})", kube.context),
            )
        });
    vec![
        Field::or_fill_in(
            "cluster",
            cluster,
            "the EKS cluster's name (`aws eks list-clusters`): neither the kubeconfig nor the node labels name it",
        ),
        Field::found("nodegroup", pool.to_string(), format!("node label {EKS_POOL_LABEL}")),
        Field::or_fill_in(
            "region",
            region,
            "the cluster's region, unless AWS_REGION or the AWS profile sets it",
        )
        .optional(),
        Field::or_fill_in(
            "profile",
            profile,
            "the AWS profile, unless AWS_PROFILE or the default applies",
        )
        .optional(),
    ]
}

fn gcp(pool: &str, nodes: &[&NodeInfo], kube: &ContextInfo) -> Vec<Field> {
    let named = gke_cluster(&kube.cluster);
    let from_kubeconfig = format!("the kubeconfig's cluster {}", kube.cluster);
    let project = named
        .as_ref()
        .map(|(project, _, _)| (project.clone(), from_kubeconfig.clone()))
        .or_else(|| {
            nodes
                .iter()
                .find_map(|n| n.provider_id.as_deref().and_then(gce_project))
                .map(|project| (project, "the nodes' provider id".to_string()))
        });
    let zones = zones(nodes);
    let location = named
        .as_ref()
        .map(|(_, location, _)| (location.clone(), from_kubeconfig.clone()))
        .or_else(|| match zones.as_slice() {
            [] => None,
            [zone] => Some((
                zone.clone(),
                format!(
                    "the nodes' one zone (a regional cluster's location is its region: {})",
                    region_of(zone)
                ),
            )),
            [zone, ..] => Some((region_of(zone), format!("the nodes' zones {}", zones.join(", ")))),
        });
    let cluster = named.map(|(_, _, name)| (name, from_kubeconfig));
    vec![
        Field::or_fill_in("project", project, "the Google Cloud project id of the cluster"),
        Field::or_fill_in(
            "location",
            location,
            "the cluster's region or zone (`gcloud container clusters list`)",
        ),
        Field::or_fill_in(
            "cluster",
            cluster,
            "the GKE cluster's name (`gcloud container clusters list`): the kubeconfig does not name it",
        ),
        Field::found("pool", pool.to_string(), format!("node label {GKE_POOL_LABEL}")),
    ]
}

fn azure(pool: &str, nodes: &[&NodeInfo], kube: &ContextInfo) -> Vec<Field> {
    let ids = nodes.iter().find_map(|n| n.provider_id.as_deref().and_then(azure_ids));
    let node_group = label_value(nodes, &["kubernetes.azure.com/cluster"])
        .map(|(group, _)| group)
        .or_else(|| ids.as_ref().map(|(_, group)| group.clone()));
    let region = label_value(nodes, &REGION_LABELS).map(|(region, _)| region);
    // `az aks get-credentials` names the kubeconfig's cluster entry after the AKS cluster.
    let names = node_group.as_deref().and_then(|group| {
        aks_node_group(group, region.as_deref(), Some(&kube.cluster)).map(|names| (group.to_string(), names))
    });
    let from_group = |group: &str| format!("the node resource group {group}");
    let subscription = ids.map(|(subscription, _)| (subscription, "the nodes' provider id".to_string()));
    let resource_group = names.as_ref().map(|(group, (rg, _))| (rg.clone(), from_group(group)));
    let cluster = names.map(|(group, (_, name))| (name, from_group(&group)));
    vec![
        Field::or_fill_in("subscription", subscription, "the Azure subscription id of the cluster"),
        Field::or_fill_in(
            "resource_group",
            resource_group,
            "the cluster's resource group (`az aks list -o table`)",
        ),
        Field::or_fill_in("cluster", cluster, "the AKS cluster's name (`az aks list -o table`)"),
        Field::found("pool", pool.to_string(), format!("node label {AKS_POOL_LABEL}")),
    ]
}

/// No cloud pool label: the labels every candidate node shares, but those Kubernetes sets per
/// node; Karpenter's node pool label alone when it is there.
fn external(candidates: &[&NodeInfo], all: usize) -> (PoolDraft, String) {
    let mut shared: BTreeMap<String, String> = candidates.first().map(|n| n.labels.clone()).unwrap_or_default();
    shared.retain(|key, value| {
        !NOT_A_POOL_MARK.iter().any(|mark| key.starts_with(mark))
            && candidates.iter().all(|node| node.labels.get(key) == Some(value))
    });
    if let Some(karpenter) = shared.get("karpenter.sh/nodepool").cloned() {
        shared = BTreeMap::from([("karpenter.sh/nodepool".to_string(), karpenter)]);
    }
    let note = match shared.is_empty() {
        true => "the nodes the release runs on carry no cloud pool label and share no label: name the labels of the Kloudfuse nodes".to_string(),
        false => format!(
            "no cloud pool label on the {} nodes the release runs on (of {all}): the labels they share; check they mark only those nodes",
            candidates.len()
        ),
    };
    (
        PoolDraft::External {
            node_selector: shared,
            note: note.clone(),
        },
        note,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: &[(&str, &str)], provider_id: Option<&str>) -> NodeInfo {
        NodeInfo {
            name: name.into(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ready: true,
            unschedulable: false,
            taints: vec![],
            provider_id: provider_id.map(String::from),
        }
    }

    fn pod(node: &str) -> PodInfo {
        PodInfo {
            name: format!("p-{node}"),
            node: Some(node.into()),
            phase: "Running".into(),
            ready: true,
            terminating: false,
            owner: None,
        }
    }

    fn context(cluster: &str) -> ContextInfo {
        ContextInfo {
            kubeconfig: "k".into(),
            context: "ctx".into(),
            cluster: cluster.into(),
            server: None,
            namespace: None,
            exec_args: vec![],
            exec_env: vec![("AWS_PROFILE".into(), "prod".into())],
        }
    }

    fn value<'f>(fields: &'f [Field], key: &str) -> Option<&'f str> {
        fields.iter().find(|f| f.key == key).and_then(|f| f.value.as_deref())
    }

    #[test]
    fn the_node_group_the_pods_run_on_with_its_cluster_region_and_profile() {
        let nodes = [
            node(
                "a",
                &[(EKS_POOL_LABEL, "system"), (REGION_LABELS[0], "us-east-1")],
                None,
            ),
            node("b", &[(EKS_POOL_LABEL, "kfuse"), (REGION_LABELS[0], "us-east-1")], None),
            node("c", &[(EKS_POOL_LABEL, "kfuse")], None),
        ];
        let pods = [pod("b"), pod("c"), pod("c"), pod("a")];
        let (draft, evidence) = pool_draft(&nodes, &pods, &context("arn:aws:eks:us-east-1:1:cluster/acme"));
        let PoolDraft::Aws(fields) = draft else {
            panic!("{draft:?}")
        };
        assert_eq!(value(&fields, "nodegroup"), Some("kfuse"));
        assert_eq!(value(&fields, "cluster"), Some("acme"));
        assert_eq!(value(&fields, "region"), Some("us-east-1"));
        assert_eq!(value(&fields, "profile"), Some("prod"));
        assert!(evidence.contains("some also run on system"), "{evidence}");
    }

    #[test]
    fn an_eks_cluster_the_kubeconfig_does_not_name_is_left_to_fill_in() {
        let nodes = [node("b", &[(EKS_POOL_LABEL, "kfuse")], Some("aws:///eu-west-1b/i-1"))];
        let (draft, _) = pool_draft(&nodes, &[pod("b")], &context("kind-rig"));
        let PoolDraft::Aws(fields) = draft else {
            panic!("{draft:?}")
        };
        assert_eq!(value(&fields, "cluster"), None);
        assert_eq!(value(&fields, "region"), Some("eu-west-1"));
    }

    #[test]
    fn gke_and_aks_names() {
        let gke = [node(
            "g",
            &[(GKE_POOL_LABEL, "kfuse-pool"), (ZONE_LABELS[0], "us-central1-a")],
            Some("gce://acme-prod/us-central1-a/g"),
        )];
        let (draft, _) = pool_draft(&gke, &[pod("g")], &context("gke_acme-prod_us-central1_kf"));
        let PoolDraft::Gcp(fields) = draft else {
            panic!("{draft:?}")
        };
        assert_eq!(
            ["project", "location", "cluster", "pool"].map(|k| value(&fields, k)),
            [Some("acme-prod"), Some("us-central1"), Some("kf"), Some("kfuse-pool")]
        );
        let aks = [node(
            "z",
            &[
                (AKS_POOL_LABEL, "kfuse"),
                ("kubernetes.azure.com/cluster", "MC_rg1_aks1_eastus"),
                (REGION_LABELS[0], "eastus"),
            ],
            Some("azure:///subscriptions/sub-1/resourceGroups/MC_rg1_aks1_eastus/providers/x"),
        )];
        let (draft, _) = pool_draft(&aks, &[pod("z")], &context("aks1"));
        let PoolDraft::Azure(fields) = draft else {
            panic!("{draft:?}")
        };
        assert_eq!(
            ["subscription", "resource_group", "cluster", "pool"].map(|k| value(&fields, k)),
            [Some("sub-1"), Some("rg1"), Some("aks1"), Some("kfuse")]
        );
    }

    #[test]
    fn nodes_without_a_pool_label_share_their_labels_as_the_selector() {
        let nodes = [
            node(
                "a",
                &[("kf_role", "data"), ("kubernetes.io/hostname", "a"), ("team", "x")],
                None,
            ),
            node(
                "b",
                &[("kf_role", "data"), ("kubernetes.io/hostname", "b"), ("team", "y")],
                None,
            ),
            node("c", &[("kf_role", "web")], None),
        ];
        let (draft, _) = pool_draft(&nodes, &[pod("a"), pod("b")], &context("k"));
        let PoolDraft::External { node_selector, .. } = draft else {
            panic!("{draft:?}")
        };
        assert_eq!(
            node_selector,
            BTreeMap::from([("kf_role".to_string(), "data".to_string())])
        );
    }
}
