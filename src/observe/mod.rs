//! Observation: every system read once into a [`Snapshot`], with a progress line per system on
//! stderr. Nothing is changed. The planner never sees a provider: only the snapshot.
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use crate::profile::Profile;
use crate::snapshot::{SNAPSHOT_FORMAT_VERSION, Snapshot};

pub(crate) mod gke;
pub(crate) mod grafana;
pub(crate) mod kafka;
mod kubernetes;
mod node_pool;
pub(crate) mod pinot;
mod progress;
pub mod retriable;
mod values;

pub use progress::Progress;

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
    }
}

pub async fn observe(
    context: &ConfigContext<'_>,
    profile: &Profile,
    progress: &mut Progress,
) -> anyhow::Result<Snapshot> {
    let node_pool = progress.step("node pool", node_pool::observe(context)).await?;
    let (kubernetes, helm) = progress
        .step("kubernetes", kubernetes::observe(context, profile, &node_pool))
        .await
        .context("observing Kubernetes")?;
    let values = progress.step("values file", values::observe(context)).await?;
    let kafka = progress
        .step("kafka", kafka::observe(context, profile, &kubernetes))
        .await
        .context("observing Kafka")?;
    let pinot = pinot::observe(context, progress).await?;
    Ok(Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        kfscale_version: env!("CARGO_PKG_VERSION").to_string(),
        observed_at: Some(crate::time::now_rfc3339()),
        node_pool,
        kubernetes,
        helm,
        values,
        kafka,
        pinot,
    })
}
