//! The live observation `snapshot`, `plan` and `apply` share: load the profile, observe every
//! system, and observe again (backing off as apply's steps do) when a system failed in a way that
//! may pass. Nothing is changed by an observation, so trying again is always safe.
use crate::config::LoadedConfig;
use crate::connect::ConfigContext;
use crate::engine::settings::ApplySettings;
use crate::files::{choose_profile, read_values_text};
use crate::profile::Profile;
use crate::snapshot::Snapshot;

use super::retriable::is_retriable;
use super::{Progress, observe};

/// How often an observation is tried when the systems fail in a way that may pass.
const OBSERVE_TRIES: u32 = 4;

/// Observes the cluster `kfscale.yaml` describes. `progress`: print a line per system on stderr.
pub async fn observe_live(
    loaded: &LoadedConfig,
    profile_flag: Option<&str>,
    progress: bool,
) -> anyhow::Result<(Snapshot, Profile)> {
    let context = loaded.context();
    let profile = choose_profile(
        profile_flag,
        Some((&loaded.config, loaded.origin.as_str())),
        &values_text_for_profile(&context)?,
    )?;
    let snapshot = observe_with_retries(&context, &profile, progress).await?;
    Ok((snapshot, profile))
}

/// Observes with the profile an earlier plan was made with (a resumed apply re-checks the world
/// as that plan saw it).
pub async fn observe_live_as(loaded: &LoadedConfig, profile: &Profile, progress: bool) -> anyhow::Result<Snapshot> {
    observe_with_retries(&loaded.context(), profile, progress).await
}

/// Observes, trying again while the error is a retriable one: a plan at 3 a.m. should not fail
/// on one throttled or dropped call.
async fn observe_with_retries(
    context: &ConfigContext<'_>,
    profile: &Profile,
    show_progress: bool,
) -> anyhow::Result<Snapshot> {
    let mut backoff = ApplySettings::from_env().backoff();
    loop {
        let mut progress = Progress::new(show_progress);
        match observe(context, profile, &mut progress).await {
            Err(err) if is_retriable(&err) && backoff.failures() + 1 < OBSERVE_TRIES => {
                let pause = backoff.pause_after_failure();
                crate::eoutln!(
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
pub fn values_text_for_profile(context: &ConfigContext<'_>) -> anyhow::Result<String> {
    match &context.config.values {
        Some(values) => read_values_text(&context.resolve(&values.file)),
        None => Ok(String::new()),
    }
}
