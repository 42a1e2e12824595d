//! The live path shared by `snapshot`, `plan` and `apply`: load the config, choose the profile,
//! observe (again, with backoff, when a system fails in a way that may pass).
use anyhow::Context;

use super::loaded_config::LoadedConfig;
use super::profile_choice::choose_profile;
use crate::engine::backoff::Backoff;
use crate::engine::settings::ApplySettings;
use crate::observe::retriable::is_retriable;
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
    let snapshot = runtime.block_on(observe_with_retries(&context, &profile, progress))?;
    Ok((snapshot, profile))
}

/// How often an observation is tried when the systems fail in a way that may pass.
const OBSERVE_TRIES: u32 = 4;

/// Observes, trying again (backing off as apply's steps do) while the error is a retriable one:
/// a plan at 3 a.m. should not fail on one throttled or dropped call. Nothing is changed by an
/// observation, so trying again is always safe.
async fn observe_with_retries(
    context: &ConfigContext<'_>,
    profile: &Profile,
    show_progress: bool,
) -> anyhow::Result<Snapshot> {
    let mut backoff = Backoff::new(&ApplySettings::from_env());
    loop {
        let mut progress = Progress::new(show_progress);
        match observe(context, profile, &mut progress).await {
            Err(err) if is_retriable(&err) && backoff.failures() + 1 < OBSERVE_TRIES => {
                let pause = backoff.pause_after_failure();
                eprintln!(
                    "retrying the observation in {} ms (try {} of {OBSERVE_TRIES}) after: {err:#}",
                    pause.as_millis(),
                    backoff.failures() + 1
                );
                tokio::time::sleep(pause).await;
            }
            result => return result,
        }
    }
}

/// The profile may be detected from the values file (`global.kafka.deployLegacy`).
pub(super) fn values_text_for_profile(context: &ConfigContext<'_>) -> anyhow::Result<String> {
    match &context.config.values {
        Some(values) => super::redact::read_values_text(&context.resolve(&values.file)),
        None => Ok(String::new()),
    }
}
