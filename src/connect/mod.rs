//! The one place kfscale.yaml becomes clients: Kubernetes, the node pool's cloud, Helm, Kafka,
//! Pinot, Grafana and the git record. `observe` reads with them, the engine acts with them
//! ([`Systems`]), `verify` checks with them ([`Reach`]). Each client's settings (endpoint,
//! credentials, timeouts) are read here and nowhere else.
use std::path::{Path, PathBuf};

use crate::config::Config;

mod aks;
mod aws;
mod git;
mod gke;
mod grafana;
mod kafka;
mod kube_credentials;
pub mod local_setup;
mod node_pool;
mod pinot;
mod reach;
mod systems;

pub use aws::{AwsTarget, aws_target};
pub use git::GitTarget;
pub use grafana::grafana;
pub use kafka::kafka;
pub use kube_credentials::kubeconfig_fix;
pub use node_pool::NodePoolClient;
pub use pinot::pinot;
pub use reach::{Reach, reach_kafka, reach_pinot};
pub use systems::Systems;

/// Where the config file lives: its relative paths are relative to it.
pub struct ConfigContext<'a> {
    pub config: &'a Config,
    pub origin: &'a str,
    pub dir: PathBuf,
}

impl ConfigContext<'_> {
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// A client of the cluster kfscale.yaml's `kubernetes:` section names (kubeconfig resolved
    /// against the config's directory).
    pub async fn kube(&self) -> Result<kfscale_kube::Kube, kfscale_kube::KubeError> {
        let kubernetes = &self.config.kubernetes;
        let kubeconfig = kubernetes.kubeconfig.as_ref().map(|path| self.resolve(path));
        kfscale_kube::Kube::connect_with_timeout(
            kubeconfig.as_deref(),
            kubernetes.context.as_deref(),
            &kubernetes.namespace,
            std::time::Duration::from_secs(kubernetes.timeout_seconds.max(1)),
        )
        .await
        .map_err(|err| match err {
            kfscale_kube::KubeError::NoKubeconfig { tried, .. } => kfscale_kube::KubeError::NoKubeconfig {
                tried,
                fix: kubeconfig_fix(self.config.cluster.as_ref()),
            },
            other => other,
        })
    }

    /// The helm CLI kfscale.yaml's `helm.binary` names, aimed at the `kubernetes:` section's
    /// cluster and namespace (runs `helm version` to learn its dialect).
    pub fn helm(&self) -> Result<kfscale_helm::Helm, kfscale_helm::HelmError> {
        let kubernetes = &self.config.kubernetes;
        kfscale_helm::Helm::detect(
            &self.config.helm.binary,
            kfscale_helm::Target {
                kubeconfig: kubernetes.kubeconfig.as_ref().map(|path| self.resolve(path)),
                context: kubernetes.context.clone(),
                namespace: kubernetes.namespace.clone(),
            },
        )
    }

    /// `helm.chart`: where the upgrade pulls the chart from.
    pub fn helm_chart(&self) -> anyhow::Result<String> {
        use anyhow::Context;
        self.config.helm.chart.clone().with_context(|| {
            format!("{}: helm.chart is not set; fix: set it to the chart reference the release was installed from (e.g. oci://.../kfuse-helm/kfuse)", self.origin)
        })
    }

    /// The replica count of the profile's broker StatefulSet, if the cluster has one: the pods a
    /// default Kafka port-forward goes to.
    pub async fn broker_replicas(
        &self,
        kube: &kfscale_kube::Kube,
        broker_workload: &str,
    ) -> Result<Option<u32>, kfscale_kube::KubeError> {
        Ok(kube
            .workloads()
            .await?
            .into_iter()
            .find(|w| w.kind == kfscale_kube::WorkloadKind::StatefulSet && w.name == broker_workload)
            .map(|w| w.replicas))
    }
}
