//! `kfscale force-unlock ID`: removes the cluster lock of an apply whose holder is gone for good.
//! The id must match, so a stale command line cannot break a lock someone else holds now.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::engine::lock::force_unlock;

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock id (shown by the refusal message and by `kfscale status`).
    pub id: String,
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
}

pub async fn run(args: &ForceUnlockArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.kube.require_config(args.config.as_deref(), "force-unlock")?;
    let kube = loaded.context().kube().await?;
    force_unlock(&kube, &args.id).await?;
    crate::outln!(
        "Lock {} removed. A new `kfscale apply` resumes from the state file.",
        args.id
    );
    Ok(ExitCode::SUCCESS)
}
