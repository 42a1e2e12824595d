//! EKS managed node groups (moto in the rig) as a pool source.
use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_sdk_eks::types::{Nodegroup, TaintEffect};
use futures::future::{BoxFuture, try_join_all};
use k8s_openapi::api::core::v1::Taint;

use super::source::{Placement, PoolSource, PoolSpec};

pub const NODEGROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";
/// EKS's default when a node group names no instance type.
const DEFAULT_INSTANCE_TYPE: &str = "t3.medium";

pub struct EksSource {
    client: aws_sdk_eks::Client,
    region: String,
    /// Where a node group whose subnets say nothing the rig understands runs: `<region>a/b/c`.
    default_zones: Vec<String>,
}

impl EksSource {
    pub fn new(client: aws_sdk_eks::Client, region: &str) -> Self {
        let default_zones = ["a", "b", "c"].iter().map(|z| format!("{region}{z}")).collect();
        Self {
            client,
            region: region.to_owned(),
            default_zones,
        }
    }

    async fn list(&self) -> Result<Vec<PoolSpec>> {
        let clusters: Vec<String> = self
            .client
            .list_clusters()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .context("EKS ListClusters")?;
        let per_cluster = try_join_all(clusters.iter().map(|c| self.cluster_pools(c))).await?;
        Ok(per_cluster.into_iter().flatten().collect())
    }

    async fn cluster_pools(&self, cluster: &str) -> Result<Vec<PoolSpec>> {
        let names: Vec<String> = self
            .client
            .list_nodegroups()
            .cluster_name(cluster)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .with_context(|| format!("EKS ListNodegroups of {cluster}"))?;
        try_join_all(names.iter().map(|name| async move {
            let out = self
                .client
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
                .with_context(|| format!("EKS DescribeNodegroup {cluster}/{name}"))?;
            Ok::<_, anyhow::Error>(out.nodegroup.map(|ng| self.spec(cluster, name, &ng)))
        }))
        .await
        .map(|specs| specs.into_iter().flatten().collect())
    }

    fn spec(&self, cluster: &str, name: &str, ng: &Nodegroup) -> PoolSpec {
        let desired = ng.scaling_config().and_then(|s| s.desired_size()).unwrap_or(0).max(0) as u32;
        let instance_type = ng
            .instance_types()
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_INSTANCE_TYPE.to_owned());
        let labels = ng
            .labels()
            .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let taints = ng.taints().iter().map(kube_taint).collect();
        PoolSpec {
            project: String::new(),
            cluster: cluster.to_owned(),
            name: name.to_owned(),
            instance_type,
            region: None,
            labels,
            taints,
            placement: Placement::Spread {
                desired,
                zones: self.zones(ng.subnets()),
            },
        }
    }

    /// A node group's instances run in the zones of its subnets, as on AWS. moto knows no subnet's zone,
    /// so the rig's subnet ids carry it (`crate::eks::zone_of_subnet`); a group with any other subnet
    /// gets the default three zones.
    fn zones(&self, subnets: &[String]) -> Vec<String> {
        let zones: Option<Vec<String>> = subnets
            .iter()
            .map(|s| crate::eks::zone_of_subnet(&self.region, s))
            .collect();
        match zones {
            Some(mut zones) if !zones.is_empty() => {
                zones.sort();
                zones.dedup();
                zones
            }
            _ => self.default_zones.clone(),
        }
    }
}

/// EKS spells effects NO_SCHEDULE etc.; Kubernetes NoSchedule.
fn kube_taint(t: &aws_sdk_eks::types::Taint) -> Taint {
    let effect = match t.effect() {
        Some(TaintEffect::NoExecute) => "NoExecute",
        Some(TaintEffect::PreferNoSchedule) => "PreferNoSchedule",
        _ => "NoSchedule",
    };
    Taint {
        key: t.key().unwrap_or_default().to_owned(),
        value: t.value().map(str::to_owned),
        effect: effect.to_owned(),
        time_added: None,
    }
}

impl PoolSource for EksSource {
    fn kind(&self) -> &'static str {
        "eks"
    }

    fn pool_label(&self) -> &'static str {
        NODEGROUP_LABEL
    }

    fn cloud_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("eks.amazonaws.com/capacityType".to_owned(), "ON_DEMAND".to_owned())])
    }

    fn provider_id(&self, _pool: &PoolSpec, zone: &str, node_name: &str) -> String {
        let id = crate::names::fnv1a(node_name.as_bytes());
        format!("aws:///{zone}/i-{:017x}", id >> 4)
    }

    fn pools(&self) -> BoxFuture<'_, Result<Vec<PoolSpec>>> {
        Box::pin(self.list())
    }
}
