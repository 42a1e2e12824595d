//! The customer repository the record is committed to, from `git:` in kfscale.yaml.
use std::path::PathBuf;

use super::ConfigContext;

pub struct GitTarget {
    pub repo: PathBuf,
    pub branch: Option<String>,
    pub remote: Option<String>,
    pub push_timeout: std::time::Duration,
}

impl GitTarget {
    pub fn from_config(context: &ConfigContext<'_>) -> Option<GitTarget> {
        context.config.git.as_ref().map(|git| GitTarget {
            repo: context.resolve(&git.repo),
            branch: git.branch.clone(),
            remote: git.remote.clone(),
            push_timeout: std::time::Duration::from_secs(git.push_timeout_seconds.max(1)),
        })
    }
}
