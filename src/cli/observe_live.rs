//! The live path shared by `snapshot` and `plan`: load the config, choose the profile, observe.
use anyhow::Context;

use super::loaded_config::LoadedConfig;
use super::profile_choice::choose_profile;
use crate::observe::{ConfigContext, Progress, observe};
use crate::profile::Profile;
use crate::snapshot::Snapshot;

/// Observes the cluster `kfscale.yaml` describes. `progress`: print a line per system on stderr.
pub fn observe_live(
    loaded: &LoadedConfig,
    profile_flag: Option<&str>,
    progress: bool,
) -> anyhow::Result<(Snapshot, Profile)> {
    let context = loaded.context();
    let values_text = values_text_for_profile(&context)?;
    let profile = choose_profile(
        profile_flag,
        Some((&loaded.config, loaded.origin.as_str())),
        &values_text,
    )?;
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
pub(super) fn values_text_for_profile(context: &ConfigContext<'_>) -> anyhow::Result<String> {
    match &context.config.values {
        Some(values) => super::redact::read_values_text(&context.resolve(&values.file)),
        None => Ok(String::new()),
    }
}
