//! How to get a kubeconfig for the cluster kfscale.yaml names: the one command of its cloud,
//! filled in, for the error a missing kubeconfig gives (an operator on a fresh laptop has the
//! cloud login but not yet the cluster's kubeconfig).
use crate::config::ClusterConfig;

/// The fix of a missing kubeconfig: the cloud's own command for this cluster, or the generic
/// advice when kfscale.yaml names no cloud cluster.
pub fn kubeconfig_fix(cluster: Option<&ClusterConfig>) -> String {
    let command = match cluster {
        // Without a region or profile in kfscale.yaml, the AWS CLI finds them as kfscale does.
        Some(ClusterConfig::Aws {
            region,
            cluster,
            profile,
            ..
        }) => format!(
            "aws eks update-kubeconfig --name {cluster}{}{}",
            region.as_ref().map(|r| format!(" --region {r}")).unwrap_or_default(),
            profile.as_ref().map(|p| format!(" --profile {p}")).unwrap_or_default()
        ),
        Some(ClusterConfig::Gcp {
            project,
            location,
            cluster,
            ..
        }) => format!("gcloud container clusters get-credentials {cluster} --location {location} --project {project}"),
        Some(ClusterConfig::Azure(azure)) => format!(
            "az aks get-credentials --resource-group {} --name {} --subscription {}",
            azure.resource_group, azure.cluster, azure.subscription
        ),
        Some(ClusterConfig::External(_)) | None => {
            return "write the cluster's kubeconfig (aws eks update-kubeconfig, gcloud container clusters get-credentials, az aks get-credentials), or name one with --kubeconfig or kubernetes.kubeconfig".into();
        }
    };
    format!("write it with `{command}`, or name another with --kubeconfig or kubernetes.kubeconfig")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::values::typed::from_yaml_str;

    fn cluster(yaml: &str) -> Option<ClusterConfig> {
        from_yaml_str::<Config>("k.yaml", yaml).unwrap().cluster
    }

    #[test]
    fn each_cloud_gets_its_own_command_filled_from_kfscale_yaml() {
        let aws = cluster("cluster: {aws: {region: us-east-1, cluster: acme-prod, nodegroup: ng}}\n");
        assert!(
            kubeconfig_fix(aws.as_ref()).contains("`aws eks update-kubeconfig --name acme-prod --region us-east-1`")
        );
        let gcp = cluster("cluster: {gcp: {project: p1, location: europe-west1, cluster: c1, pool: pool}}\n");
        assert!(
            kubeconfig_fix(gcp.as_ref())
                .contains("`gcloud container clusters get-credentials c1 --location europe-west1 --project p1`")
        );
        let azure = cluster("cluster: {azure: {subscription: s1, resource_group: rg1, cluster: aks1, pool: pool}}\n");
        assert!(
            kubeconfig_fix(azure.as_ref())
                .contains("`az aks get-credentials --resource-group rg1 --name aks1 --subscription s1`")
        );
        assert!(kubeconfig_fix(None).contains("--kubeconfig"));
        let profiled = cluster("cluster: {aws: {profile: prod, cluster: acme-prod, nodegroup: ng}}\n");
        assert!(
            kubeconfig_fix(profiled.as_ref()).contains("`aws eks update-kubeconfig --name acme-prod --profile prod`")
        );
    }
}
