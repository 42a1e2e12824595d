//! Which profile a command uses: --profile, else kfscale.yaml's `profile.base`, else the layout the
//! values file declares (`global.kafka.deployLegacy: true` means legacy); then kfscale.yaml's overrides.
use anyhow::Context;

use crate::config::Config;
use crate::profile::Profile;
use crate::values::{Document, Lookup, Node, ValuePath};

pub fn choose_profile(
    flag: Option<&str>,
    config: Option<(&Config, &str)>,
    values_text: &str,
) -> anyhow::Result<Profile> {
    let base = match (flag, config.and_then(|(config, _)| config.profile_base())) {
        (Some(name), _) | (None, Some(name)) => name.to_string(),
        (None, None) => detect_layout(values_text).to_string(),
    };
    let profile = Profile::load(&base).with_context(|| format!("loading profile `{base}`"))?;
    match config {
        Some((config, origin)) if !config.profile_overrides().is_null() => {
            Ok(profile.with_overrides(&config.profile_overrides(), &format!("{origin} (profile:)"))?)
        }
        _ => Ok(profile),
    }
}

fn detect_layout(values_text: &str) -> &'static str {
    let Ok(document) = Document::parse("values", values_text) else {
        return "kraft";
    };
    let Ok(path) = ValuePath::parse("global.kafka.deployLegacy") else {
        return "kraft";
    };
    match document.lookup(&path) {
        Lookup::Found(Node::Scalar(scalar)) if scalar.value == "true" => "legacy",
        _ => "kraft",
    }
}
