//! kfscale.yaml as a command uses it: the config, where it came from, and what hangs off it.
use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{Config, DEFAULT_CONFIG_FILE};
use crate::connect::ConfigContext;
use crate::files::StateStore;
use crate::plan::{ExpectedGrowth, GrowthFactor, PlanError, StateRef};

/// The environment variable naming the config file when --config is not given.
pub const CONFIG_ENV: &str = "KFSCALE_CONFIG";

/// Where kfscale.yaml is read from (and `init` writes it): --config, else the file KFSCALE_CONFIG
/// names, else ./kfscale.yaml; and whether it was named (a named file must exist).
pub fn config_path(flag: Option<&Path>) -> (PathBuf, bool) {
    let from_env = std::env::var_os(CONFIG_ENV).filter(|value| !value.is_empty());
    match (flag, from_env) {
        (Some(path), _) => (path.to_path_buf(), true),
        (None, Some(path)) => (PathBuf::from(path), true),
        (None, None) => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
    }
}

pub struct LoadedConfig {
    pub config: Config,
    /// The file's path as given (for messages).
    pub origin: String,
    /// Relative paths in the config are relative to this directory.
    pub dir: PathBuf,
}

impl LoadedConfig {
    /// The config named by --config, else by KFSCALE_CONFIG, else ./kfscale.yaml when it exists.
    pub fn load(flag: Option<&Path>) -> anyhow::Result<Option<LoadedConfig>> {
        let (path, named) = config_path(flag);
        if !named && !path.exists() {
            return Ok(None);
        }
        let config = Config::load(&path)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Some(LoadedConfig {
            config,
            origin: path.display().to_string(),
            dir,
        }))
    }

    /// Like `load`, for commands that cannot work without one.
    pub fn require(flag: Option<&Path>, command: &str) -> anyhow::Result<LoadedConfig> {
        match LoadedConfig::load(flag)? {
            Some(loaded) => Ok(loaded),
            None => bail!(
                "`kfscale {command}` needs a kfscale.yaml; fix: pass --config FILE, set {CONFIG_ENV}, or run it where kfscale.yaml is (see examples/kfscale.yaml)"
            ),
        }
    }

    pub fn context(&self) -> ConfigContext<'_> {
        ConfigContext {
            config: &self.config,
            origin: &self.origin,
            dir: self.dir.clone(),
        }
    }

    pub fn state_store(&self) -> StateStore {
        StateStore::new(&self.context().resolve(&self.config.state.dir))
    }

    /// What kfscale.yaml and the flags tell the planner beside the intent; `expected_growth`:
    /// `--expected-growth`, which replaces `partition_growth.expected`; `skip_pinot`: `--skip-pinot`.
    pub fn plan_options(&self, expected_growth: Option<GrowthFactor>, skip_pinot: bool) -> crate::plan::PlanOptions {
        crate::plan::PlanOptions {
            pool_limits: self
                .config
                .cluster
                .as_ref()
                .map(|c| c.pool_limits())
                .unwrap_or_default(),
            expected_growth: ExpectedGrowth {
                flag: expected_growth,
                settings: self.config.partition_growth.clone(),
            },
            skip_pinot,
        }
    }

    /// The state a plan made now is made against.
    pub fn state_ref(&self) -> anyhow::Result<Option<StateRef>> {
        Ok(self.state_store().load()?.map(|state| StateRef {
            lineage: state.lineage,
            serial: state.serial,
        }))
    }
}

/// A planning error as a command reports it: a kfscale.yaml `partition_growth` entry naming a
/// stream or topic that is not there is an error of that file, named by its path (`config`: the
/// file's path, if one was read); any other keeps `context` (what was planned from).
pub fn planning_error(err: PlanError, config: Option<&str>, context: Option<&str>) -> anyhow::Error {
    match err {
        PlanError::UnknownGrowthNames(names) => {
            anyhow::anyhow!("{}: {names}", config.unwrap_or(super::DEFAULT_CONFIG_FILE))
        }
        err => match context {
            Some(context) => anyhow::Error::new(err).context(context.to_string()),
            None => err.into(),
        },
    }
}
