//! `kfscale snapshot`: observe everything into the snapshot format (secrets redacted).
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::files::write_atomic;
use crate::observe::observe_live;

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Write the snapshot to FILE (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
    /// Profile: kraft, legacy, or a profile file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
}

pub async fn run(args: &SnapshotArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.kube.require_config(args.config.as_deref(), "snapshot")?;
    let (snapshot, _) = observe_live(&loaded, args.profile.as_deref(), true).await?;
    // String by string, so the JSON stays whole whatever a secret looks like.
    let text = kfscale_core::scrubbed_json::to_string_scrubbed(&snapshot, true, &crate::scrub::owned, &[])? + "\n";
    match &args.output {
        Some(path) => {
            write_atomic(path, text.as_bytes()).map_err(|err| {
                anyhow::anyhow!(
                    "cannot write {}: {err}; fix: check the directory exists and is writable",
                    path.display()
                )
            })?;
            crate::eoutln!("wrote {}", path.display());
        }
        None => crate::out!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
