//! EKS node groups in moto for tests and the sandbox: create one, resize it.
use std::collections::HashMap;

use anyhow::{Context, Result};
use aws_sdk_eks::types::{NodegroupScalingConfig, VpcConfigRequest};

/// moto checks neither the role nor the subnets, but the API requires them; these look real.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/kfscale-rig";
const SUBNETS: [&str; 3] = [
    "subnet-0a000000000000001",
    "subnet-0b000000000000002",
    "subnet-0c000000000000003",
];

/// A managed node group to create.
#[derive(Debug, Clone)]
pub struct NodeGroup<'a> {
    pub cluster: &'a str,
    pub name: &'a str,
    pub desired: i32,
    pub min: i32,
    pub max: i32,
    pub instance_type: &'a str,
    pub labels: HashMap<String, String>,
}

impl<'a> NodeGroup<'a> {
    /// A group of `desired` m5.2xlarge nodes that may grow to twice that.
    pub fn new(cluster: &'a str, name: &'a str, desired: i32) -> Self {
        Self {
            cluster,
            name,
            desired,
            min: 1,
            max: desired * 2,
            instance_type: "m5.2xlarge",
            labels: HashMap::new(),
        }
    }
}

/// Creates the cluster (when missing) and the node group in moto.
pub async fn create(client: &aws_sdk_eks::Client, group: &NodeGroup<'_>) -> Result<()> {
    let exists = client.describe_cluster().name(group.cluster).send().await.is_ok();
    if !exists {
        client
            .create_cluster()
            .name(group.cluster)
            .version("1.20")
            .role_arn(ROLE_ARN)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(SUBNETS.map(str::to_owned).to_vec()))
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("EKS CreateCluster {}", group.cluster))?;
    }
    client
        .create_nodegroup()
        .cluster_name(group.cluster)
        .nodegroup_name(group.name)
        .node_role(ROLE_ARN)
        .set_subnets(Some(SUBNETS.map(str::to_owned).to_vec()))
        .instance_types(group.instance_type)
        .set_labels(Some(group.labels.clone()))
        .scaling_config(
            NodegroupScalingConfig::builder()
                .min_size(group.min)
                .max_size(group.max)
                .desired_size(group.desired)
                .build(),
        )
        .send()
        .await
        .with_context(|| format!("EKS CreateNodegroup {}/{}", group.cluster, group.name))?;
    Ok(())
}

/// Sets the desired size (raising max when needed, as the EKS API itself does not check).
pub async fn resize(client: &aws_sdk_eks::Client, cluster: &str, nodegroup: &str, desired: i32) -> Result<()> {
    let current = client
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(nodegroup)
        .send()
        .await
        .with_context(|| format!("EKS DescribeNodegroup {cluster}/{nodegroup}"))?;
    let scaling = current.nodegroup().and_then(|n| n.scaling_config());
    let max = scaling.and_then(|s| s.max_size()).unwrap_or(desired).max(desired);
    let min = scaling.and_then(|s| s.min_size()).unwrap_or(0).min(desired);
    client
        .update_nodegroup_config()
        .cluster_name(cluster)
        .nodegroup_name(nodegroup)
        .scaling_config(
            NodegroupScalingConfig::builder()
                .min_size(min)
                .max_size(max)
                .desired_size(desired)
                .build(),
        )
        .send()
        .await
        .with_context(|| format!("EKS UpdateNodegroupConfig {cluster}/{nodegroup} to {desired}"))?;
    Ok(())
}
