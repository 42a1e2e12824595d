//! The live path shared by `snapshot` and `plan`: load the config, choose the profile, observe.
use std::path::Path;

use anyhow::{Context, bail};

use super::plan::load_config;
use super::profile_choice::choose_profile;
use crate::config::Config;
use crate::observe::{ConfigContext, Progress, observe};
use crate::profile::Profile;
use crate::snapshot::Snapshot;

/// Observes the cluster `kfscale.yaml` describes. `progress`: print a line per system on stderr.
pub fn observe_live(
    config_flag: Option<&Path>,
    profile_flag: Option<&str>,
    progress: bool,
) -> anyhow::Result<(Snapshot, Profile)> {
    let Some((config, origin)) = load_config(config_flag)? else {
        bail!(
            "no kfscale.yaml here and no --config; fix: pass --config FILE (see examples/kfscale.yaml), or plan from a snapshot with --snapshot FILE"
        );
    };
    let dir = Path::new(&origin).parent().map(Path::to_path_buf).unwrap_or_default();
    let context = ConfigContext {
        config: &config,
        origin: &origin,
        dir,
    };
    let values_text = values_text_for_profile(&context)?;
    let profile = choose_profile(profile_flag, Some((&config, origin.as_str())), &values_text)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut progress = Progress::new(progress);
    let snapshot = runtime.block_on(observe(&context, &profile, &mut progress))?;
    Ok((snapshot, profile))
}

/// The profile may be detected from the values file (`global.kafka.deployLegacy`).
fn values_text_for_profile(context: &ConfigContext<'_>) -> anyhow::Result<String> {
    let config: &Config = context.config;
    match &config.values {
        Some(values) => super::redact::read_values_text(&context.resolve(&values.file)),
        None => Ok(String::new()),
    }
}
