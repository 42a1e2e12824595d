//! EKS node groups in moto for tests and the sandbox: create one, resize it.
//!
//! A node group's instances run in the zones of its subnets, as on AWS. moto checks no subnet and
//! knows no zone, so the rig's subnet ids carry their zone letter: `subnet-0<letter><15 digits>`
//! (`subnet-0a000000000000001` is in `<region>a`). The rig's node provisioner reads them back with
//! [`zone_of_subnet`]; a node group created with [`NodeGroup::zones`] gets only those zones' subnets.
use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use aws_sdk_eks::types::{NodegroupScalingConfig, VpcConfigRequest};

/// moto checks neither the role nor the subnets, but the API requires them; these look real.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/kfscale-rig";
/// The zone letters a rig subnet id can carry: AWS regions have zones a to f.
const ZONE_LETTERS: &str = "abcdef";
/// The zones of a cluster and of a node group that names none: `<region>a/b/c`.
const DEFAULT_ZONE_LETTERS: [char; 3] = ['a', 'b', 'c'];

/// The rig's subnet in the zone with letter `letter` (a..f).
fn subnet(letter: char) -> String {
    let index = ZONE_LETTERS.find(letter).unwrap_or(0) + 1;
    format!("subnet-0{letter}{index:015}")
}

/// The rig's subnet of `zone` (`us-east-1a` -> `subnet-0a000000000000001`). Zones end in their letter.
pub fn subnet_for_zone(zone: &str) -> Result<String> {
    match zone.chars().last() {
        Some(letter) if ZONE_LETTERS.contains(letter) && zone.len() > 1 => Ok(subnet(letter)),
        _ => bail!("{zone:?} is not an AWS zone the rig can place a subnet in (a region followed by a..f)"),
    }
}

/// The zone of one of the rig's subnets in `region`, or None for a subnet id of another shape.
pub fn zone_of_subnet(region: &str, subnet_id: &str) -> Option<String> {
    let rest = subnet_id.strip_prefix("subnet-0")?;
    let letter = rest.chars().next()?;
    let digits = &rest[letter.len_utf8()..];
    let well_formed = ZONE_LETTERS.contains(letter)
        && digits.len() == 15
        && digits.chars().all(|c| c.is_ascii_digit())
        && subnet(letter) == subnet_id;
    well_formed.then(|| format!("{region}{letter}"))
}

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
    /// The zones of the group's instances (its subnets'), e.g. `["us-east-1a"]` for a single-AZ
    /// install; None: the rig's default three zones `<region>a/b/c`.
    pub zones: Option<Vec<String>>,
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
            zones: None,
        }
    }

    /// The same group in `zones` only.
    pub fn in_zones(mut self, zones: &[&str]) -> Self {
        self.zones = Some(zones.iter().map(|z| (*z).to_owned()).collect());
        self
    }

    /// The group's subnets: one per zone.
    fn subnets(&self) -> Result<Vec<String>> {
        match &self.zones {
            None => Ok(default_subnets()),
            Some(zones) if zones.is_empty() => bail!("node group {}: an empty zone list", self.name),
            Some(zones) => zones.iter().map(|z| subnet_for_zone(z)).collect(),
        }
    }
}

fn default_subnets() -> Vec<String> {
    DEFAULT_ZONE_LETTERS.iter().map(|l| subnet(*l)).collect()
}

/// Creates the cluster (when missing) and the node group in moto.
pub async fn create(client: &aws_sdk_eks::Client, group: &NodeGroup<'_>) -> Result<()> {
    let subnets = group.subnets()?;
    let exists = client.describe_cluster().name(group.cluster).send().await.is_ok();
    if !exists {
        client
            .create_cluster()
            .name(group.cluster)
            .version("1.20")
            .role_arn(ROLE_ARN)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(default_subnets()))
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
        .set_subnets(Some(subnets))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_subnets_are_the_ones_the_rig_always_used() {
        assert_eq!(
            default_subnets(),
            [
                "subnet-0a000000000000001",
                "subnet-0b000000000000002",
                "subnet-0c000000000000003"
            ]
        );
    }

    #[test]
    fn a_zone_round_trips_through_its_subnet() {
        for zone in ["us-east-1a", "us-east-1c", "us-east-1f"] {
            let subnet = subnet_for_zone(zone).unwrap();
            assert_eq!(zone_of_subnet("us-east-1", &subnet).as_deref(), Some(zone));
        }
        assert!(subnet_for_zone("us-east-1z").is_err());
        assert_eq!(zone_of_subnet("us-east-1", "subnet-0123456789abcdef0"), None);
        assert_eq!(zone_of_subnet("us-east-1", "subnet-0a000000000000002"), None);
    }

    #[test]
    fn a_group_in_named_zones_gets_their_subnets_only() {
        let group = NodeGroup::new("c", "ng", 3).in_zones(&["us-east-1b"]);
        assert_eq!(group.subnets().unwrap(), ["subnet-0b000000000000002"]);
        assert_eq!(NodeGroup::new("c", "ng", 3).subnets().unwrap().len(), 3);
    }
}
