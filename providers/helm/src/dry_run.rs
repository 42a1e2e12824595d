//! The two helm calls that prove an upgrade can succeed without changing anything: `helm pull`
//! (the chart at the pinned version, with the operator's registry login) and `helm upgrade
//! --dry-run=server` (helm renders the chart with the values and checks the result against the API
//! server: the kinds and API versions it serves, its OpenAPI schema where helm validates, the
//! chart's `kubeVersion` and values schema, its `lookup`s). Neither writes a release record.
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Helm, HelmError};

/// What `helm upgrade --dry-run=server` is asked to check.
#[derive(Debug, Clone)]
pub struct DryRun<'a> {
    pub release: &'a str,
    /// A chart archive `pull` fetched: the dry run checks exactly the bytes the pull proved.
    pub chart_archive: &'a Path,
    pub values_file: &'a Path,
    pub timeout: Duration,
}

impl Helm {
    /// `helm pull CHART --version VERSION --destination DIR`: the path of the archive it wrote.
    pub fn pull(&self, chart: &str, version: &str, plain_http: bool, destination: &Path) -> Result<PathBuf, HelmError> {
        let destination_arg = destination.display().to_string();
        let mut args = vec!["pull", chart, "--version", version, "--destination", &destination_arg];
        if plain_http {
            args.push("--plain-http");
        }
        self.run_raw(&args, super::READ_LIMIT)?;
        archive_in(destination).ok_or_else(|| HelmError::Output {
            command: "pull".into(),
            message: format!("no chart archive in {}", destination.display()),
        })
    }

    /// The argument vector of the dry run (also shown in logs).
    pub fn dry_run_args(&self, dry_run: &DryRun) -> Vec<String> {
        vec![
            "upgrade".into(),
            dry_run.release.into(),
            dry_run.chart_archive.display().to_string(),
            "-f".into(),
            dry_run.values_file.display().to_string(),
            "--dry-run=server".into(),
            "--timeout".into(),
            format!("{}s", dry_run.timeout.as_secs()),
        ]
    }

    /// `helm upgrade RELEASE ARCHIVE -f VALUES --dry-run=server`. Its output (the rendered
    /// manifests, Secrets included) is dropped: only whether the server accepted it matters.
    pub fn upgrade_dry_run(&self, dry_run: &DryRun) -> Result<(), HelmError> {
        let args = self.dry_run_args(dry_run);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let limit = dry_run.timeout + super::grace(dry_run.timeout);
        // Not `run_within`: a kind the server does not serve is reported as "not found", which is
        // not a missing release.
        self.run_raw(&refs, limit).map(|_| ())
    }
}

/// The one `.tgz` a pull into an empty directory leaves.
fn archive_in(directory: &Path) -> Option<PathBuf> {
    std::fs::read_dir(directory)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "tgz"))
}
