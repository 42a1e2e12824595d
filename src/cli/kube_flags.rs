//! `--kubeconfig`, `--context`, `-n/--namespace`: kubectl's flags, on every command that talks to
//! Kubernetes. They override kfscale.yaml's `kubernetes:` section for one run, so the same
//! kfscale.yaml serves a staging and a production context.
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::LoadedConfig;

#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// kubeconfig file (overrides kubernetes.kubeconfig; default: KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context (overrides kubernetes.context; default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The release's namespace (overrides kubernetes.namespace; default: kfuse).
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

impl KubeArgs {
    /// kfscale.yaml (`--config`, KFSCALE_CONFIG or ./kfscale.yaml) with these flags laid over it.
    pub fn require_config(&self, flag: Option<&Path>, command: &str) -> anyhow::Result<LoadedConfig> {
        let mut loaded = LoadedConfig::require(flag, command)?;
        self.apply_to(&mut loaded);
        Ok(loaded)
    }

    /// As [`KubeArgs::require_config`], for a command that can work without kfscale.yaml.
    pub fn load_config(&self, flag: Option<&Path>) -> anyhow::Result<Option<LoadedConfig>> {
        let mut loaded = LoadedConfig::load(flag)?;
        if let Some(loaded) = &mut loaded {
            self.apply_to(loaded);
        }
        Ok(loaded)
    }

    /// kfscale.yaml's `kubernetes:` section with these flags laid over it. A relative
    /// `--kubeconfig` is relative to where kfscale runs, as kubectl's is (kfscale.yaml's own
    /// paths are relative to kfscale.yaml).
    pub fn apply_to(&self, loaded: &mut LoadedConfig) {
        let kubernetes = &mut loaded.config.kubernetes;
        if let Some(path) = &self.kubeconfig {
            kubernetes.kubeconfig = Some(std::path::absolute(path).unwrap_or_else(|_| path.clone()));
        }
        if let Some(context) = &self.context {
            kubernetes.context = Some(context.clone());
        }
        if let Some(namespace) = &self.namespace {
            kubernetes.namespace = namespace.clone();
        }
    }
}
