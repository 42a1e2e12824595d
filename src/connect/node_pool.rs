//! The node pool's cloud client, from `cluster:` in kfscale.yaml: the one place that reads each
//! cloud's settings.
use anyhow::bail;

use super::ConfigContext;
use crate::config::ClusterConfig;
use crate::snapshot::PoolSelector;

pub enum NodePoolClient {
    Eks {
        eks: kfscale_eks::Eks,
        region: String,
        cluster: String,
        nodegroup: String,
    },
    Gke {
        // Boxed: the client is several times the size of the EKS variant.
        gke: Box<kfscale_gke::Gke>,
        pool: kfscale_gke::PoolRef,
    },
    Aks {
        aks: Box<kfscale_aks::Aks>,
        pool: kfscale_aks::PoolRef,
    },
    /// Nodes added by other means: nothing to call, only Kubernetes to watch.
    External { selector: PoolSelector },
}

impl NodePoolClient {
    pub async fn connect(context: &ConfigContext<'_>) -> anyhow::Result<NodePoolClient> {
        match &context.config.cluster {
            Some(ClusterConfig::Aws {
                region,
                cluster,
                nodegroup,
                profile,
                endpoint,
                timeout_seconds,
                ..
            }) => {
                let target = super::aws::aws_target(context.origin, region.as_deref(), profile.as_deref()).await?;
                Ok(NodePoolClient::Eks {
                    eks: kfscale_eks::Eks::connect_with_timeout(
                        &target.region,
                        target.profile.as_deref(),
                        endpoint.as_deref(),
                        std::time::Duration::from_secs((*timeout_seconds).max(1)),
                    )
                    .await,
                    region: target.region,
                    cluster: cluster.clone(),
                    nodegroup: nodegroup.clone(),
                })
            }
            Some(ClusterConfig::Gcp {
                project,
                location,
                cluster,
                pool,
                endpoint,
                access_token_file,
                timeout_seconds,
                ..
            }) => Ok(NodePoolClient::Gke {
                gke: Box::new(
                    super::gke::gke(
                        context,
                        endpoint.as_deref(),
                        access_token_file.as_deref(),
                        std::time::Duration::from_secs(*timeout_seconds),
                    )
                    .await?,
                ),
                pool: kfscale_gke::PoolRef {
                    project: project.clone(),
                    location: location.clone(),
                    cluster: cluster.clone(),
                    pool: pool.clone(),
                },
            }),
            Some(ClusterConfig::Azure(azure)) => Ok(NodePoolClient::Aks {
                aks: Box::new(super::aks::aks(context, azure)?),
                pool: super::aks::pool_ref(azure),
            }),
            Some(ClusterConfig::External(external)) => {
                if external.node_selector.is_empty() {
                    bail!(
                        "{}: cluster.external.node_selector is empty, which would take every node of the cluster for the pool; fix: give the labels the Kloudfuse nodes carry, e.g. `node_selector: {{kf_role: data}}`",
                        context.origin
                    );
                }
                Ok(NodePoolClient::External {
                    selector: PoolSelector(external.node_selector.clone()),
                })
            }
            None => bail!(
                "{}: no `cluster:` section; fix: add `cluster: {{aws: {{cluster, nodegroup, region}}}}`, `cluster: {{gcp: {{project, location, cluster, pool}}}}`, `cluster: {{azure: {{subscription, resource_group, cluster, pool}}}}` or `cluster: {{external: {{node_selector: {{...}}}}}}`",
                context.origin
            ),
        }
    }
}
