//! The cloud's names for a cluster, read from what each cloud's own tools write: the kubeconfig
//! entries of `aws eks update-kubeconfig` and `gcloud container clusters get-credentials`, the
//! node labels and provider ids the clouds put on their nodes. Pure text parsing.

/// `arn:aws:eks:<region>:<account>:cluster/<name>` -> (region, name).
pub fn eks_arn(cluster: &str) -> Option<(String, String)> {
    let rest = cluster.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let name = resource.strip_prefix("cluster/")?;
    (service == "eks" && !region.is_empty() && !name.is_empty()).then(|| (region.to_string(), name.to_string()))
}

/// The value after `flag` in an exec plugin's arguments (`--cluster-name NAME`, `--region=R`).
pub fn exec_flag(args: &[String], flags: &[&str]) -> Option<String> {
    args.iter().enumerate().find_map(|(at, arg)| {
        flags.iter().find_map(|flag| {
            if arg == flag {
                args.get(at + 1).cloned()
            } else {
                arg.strip_prefix(&format!("{flag}=")).map(String::from)
            }
        })
    })
}

/// `gke_<project>_<location>_<name>` -> (project, location, name). None of the three may hold an
/// underscore (Google's naming rules), so the split is exact.
pub fn gke_cluster(cluster: &str) -> Option<(String, String, String)> {
    let mut parts = cluster.strip_prefix("gke_")?.split('_');
    let (project, location, name) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && ![project, location, name].contains(&""))
        .then(|| (project.to_string(), location.to_string(), name.to_string()))
}

/// `gce://<project>/<zone>/<instance>` -> project.
pub fn gce_project(provider_id: &str) -> Option<String> {
    let project = provider_id.strip_prefix("gce://")?.split('/').next()?;
    (!project.is_empty()).then(|| project.to_string())
}

/// `aws:///<zone>/<instance>` -> zone.
pub fn aws_zone(provider_id: &str) -> Option<String> {
    let zone = provider_id.strip_prefix("aws:///")?.split('/').next()?;
    (!zone.is_empty()).then(|| zone.to_string())
}

/// `azure:///subscriptions/<id>/resourceGroups/<group>/...` -> (subscription, node resource group).
pub fn azure_ids(provider_id: &str) -> Option<(String, String)> {
    let rest = provider_id.strip_prefix("azure:///")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let find = |key: &str| {
        parts
            .iter()
            .position(|part| part.eq_ignore_ascii_case(key))
            .and_then(|at| parts.get(at + 1))
            .filter(|value| !value.is_empty())
            .map(|value| value.to_string())
    };
    Some((find("subscriptions")?, find("resourceGroups")?))
}

/// AKS's node resource group `MC_<group>_<cluster>_<location>` -> (resource group, cluster). A
/// group or cluster name may hold underscores: `cluster` (the kubeconfig's entry, which `az aks
/// get-credentials` names after the cluster) settles the split; without it, only a name with
/// exactly one underscore between group and cluster is split.
pub fn aks_node_group(node_group: &str, location: Option<&str>, cluster: Option<&str>) -> Option<(String, String)> {
    let rest = node_group.get(3..).filter(|_| {
        node_group
            .get(..3)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("MC_"))
    })?;
    let rest = match location {
        Some(location) => {
            let suffix = format!("_{location}");
            let cut = rest.len().checked_sub(suffix.len())?;
            rest.get(cut..)?.eq_ignore_ascii_case(&suffix).then(|| &rest[..cut])?
        }
        None => rest.rsplit_once('_')?.0,
    };
    if let Some(cluster) = cluster
        && let Some(group) = rest.strip_suffix(&format!("_{cluster}"))
        && !group.is_empty()
    {
        return Some((group.to_string(), cluster.to_string()));
    }
    let (group, name) = rest.split_once('_')?;
    (!name.contains('_') && !group.is_empty() && !name.is_empty()).then(|| (group.to_string(), name.to_string()))
}

/// The region of a zone: AWS appends a letter (`us-east-1a`), Google a dash and a letter
/// (`us-central1-a`), Azure a dash and a number (`eastus-2`).
pub fn region_of(zone: &str) -> String {
    if let Some((region, number)) = zone.rsplit_once('-')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && region.ends_with(|c: char| c.is_ascii_lowercase())
    {
        return region.to_string();
    }
    zone.trim_end_matches(|c: char| c.is_ascii_lowercase())
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_names_from_the_arn_and_the_exec_arguments() {
        assert_eq!(
            eks_arn("arn:aws:eks:us-east-1:123456789012:cluster/acme-prod"),
            Some(("us-east-1".into(), "acme-prod".into()))
        );
        assert_eq!(
            eks_arn("arn:aws-us-gov:eks:us-gov-west-1:1:cluster/c"),
            Some(("us-gov-west-1".into(), "c".into()))
        );
        assert_eq!(eks_arn("kind-kind"), None);
        assert_eq!(eks_arn("arn:aws:iam::1:role/x"), None);
        let args: Vec<String> = ["--region", "eu-west-1", "eks", "get-token", "--cluster-name=acme"]
            .map(String::from)
            .to_vec();
        assert_eq!(exec_flag(&args, &["--cluster-name", "-i"]), Some("acme".into()));
        assert_eq!(exec_flag(&args, &["--region"]), Some("eu-west-1".into()));
        assert_eq!(exec_flag(&args, &["--profile"]), None);
    }

    #[test]
    fn gke_names_from_the_kubeconfig_and_the_provider_id() {
        assert_eq!(
            gke_cluster("gke_acme-prod_us-central1_kfuse"),
            Some(("acme-prod".into(), "us-central1".into(), "kfuse".into()))
        );
        assert_eq!(gke_cluster("gke_a_b"), None);
        assert_eq!(
            gce_project("gce://acme-prod/us-central1-a/gke-kfuse-1"),
            Some("acme-prod".into())
        );
        assert_eq!(aws_zone("aws:///us-east-1a/i-0abc"), Some("us-east-1a".into()));
    }

    #[test]
    fn aks_names_from_the_node_resource_group() {
        let id = "azure:///subscriptions/sub-1/resourceGroups/MC_rg_aks1_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool-vmss/virtualMachines/0";
        assert_eq!(azure_ids(id), Some(("sub-1".into(), "MC_rg_aks1_eastus".into())));
        assert_eq!(
            aks_node_group("MC_rg_aks1_eastus", Some("eastus"), None),
            Some(("rg".into(), "aks1".into()))
        );
        assert_eq!(
            aks_node_group("mc_my_rg_my_aks_eastus", Some("eastus"), Some("my_aks")),
            Some(("my_rg".into(), "my_aks".into()))
        );
        assert_eq!(aks_node_group("mc_my_rg_my_aks_eastus", Some("eastus"), None), None);
        assert_eq!(aks_node_group("other", None, None), None);
    }

    #[test]
    fn regions_of_zones() {
        assert_eq!(region_of("us-east-1a"), "us-east-1");
        assert_eq!(region_of("us-central1-a"), "us-central1");
        assert_eq!(region_of("eastus-2"), "eastus");
    }
}
