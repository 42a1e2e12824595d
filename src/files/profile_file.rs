//! The profile a command uses: `--profile`, else kfscale.yaml's `profile.base`, else the layout the
//! values file declares; a name (`kraft`, `legacy`) or a profile file, whose `base:` files are read
//! too; then kfscale.yaml's overrides.
use anyhow::Context;

use crate::config::Config;
use crate::profile::{Profile, ProfileError, detect_layout};

pub fn load_profile(name_or_path: &str) -> Result<Profile, ProfileError> {
    Profile::load(name_or_path, &|path| std::fs::read_to_string(path))
}

/// `config`: kfscale.yaml and where it came from (for errors), when there is one.
pub fn choose_profile(
    flag: Option<&str>,
    config: Option<(&Config, &str)>,
    values_text: &str,
) -> anyhow::Result<Profile> {
    let base = match (flag, config.and_then(|(config, _)| config.profile_base())) {
        (Some(name), _) | (None, Some(name)) => name.to_string(),
        (None, None) => detect_layout(values_text).to_string(),
    };
    let profile = load_profile(&base).with_context(|| format!("loading profile `{base}`"))?;
    match config {
        Some((config, origin)) if !config.profile_overrides().is_null() => {
            Ok(profile.with_overrides(&config.profile_overrides(), &format!("{origin} (profile:)"))?)
        }
        _ => Ok(profile),
    }
}
