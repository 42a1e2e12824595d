//! The rig's env file: `KEY=value` lines written by `start.sh`, read by tests and the daemon.
//!
//! The file is the one contract between the shell side (which starts processes on free ports) and
//! everything that uses them; later fakes add their own keys to it.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

/// The environment variable naming the env file; `scripts/test` exports it.
pub const ENV_FILE_VAR: &str = "KFSCALE_RIG_ENV";

/// A loaded env file of a running rig.
#[derive(Debug, Clone)]
pub struct RigEnv {
    path: PathBuf,
    vars: BTreeMap<String, String>,
}

impl RigEnv {
    /// Loads the env file named by `KFSCALE_RIG_ENV`. Tests call this first: a missing rig is a
    /// failure with instructions, never a skip.
    pub fn from_env() -> Result<Self> {
        let path = std::env::var_os(ENV_FILE_VAR).ok_or_else(|| {
            anyhow!(
                "{ENV_FILE_VAR} is not set, so there is no rig to test against: run the tests through \
                 scripts/test (it installs and starts the rig), or start one with tests/rig/start.sh \
                 and export {ENV_FILE_VAR}=<run dir>/rig.env"
            )
        })?;
        Self::load(Path::new(&path))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading the rig env file {}", path.display()))?;
        let vars = parse(&text).with_context(|| format!("in {}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            vars,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Result<&str> {
        self.vars.get(key).map(String::as_str).ok_or_else(|| {
            anyhow!(
                "the rig env file {} has no {key}: is the rig started by this checkout's start.sh?",
                self.path.display()
            )
        })
    }

    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// The rig's run directory (logs, kubeconfig, PIDs); tests put their scratch files under it.
    pub fn run_dir(&self) -> Result<PathBuf> {
        self.get("KFSCALE_RIG_DIR").map(PathBuf::from)
    }

    /// A Kubernetes client for the rig's API server, from the rig's own kubeconfig.
    pub async fn kube_client(&self) -> Result<kube::Client> {
        let path = self.get("KUBECONFIG")?;
        let kubeconfig =
            kube::config::Kubeconfig::read_from(path).with_context(|| format!("reading kubeconfig {path}"))?;
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .with_context(|| format!("loading kubeconfig {path}"))?;
        kube::Client::try_from(config).context("building the Kubernetes client")
    }

    /// An EKS client for moto, with the rig's dummy credentials and region.
    pub async fn eks_client(&self) -> Result<aws_sdk_eks::Client> {
        let credentials = aws_sdk_eks::config::Credentials::new(
            self.get("AWS_ACCESS_KEY_ID")?,
            self.get("AWS_SECRET_ACCESS_KEY")?,
            None,
            None,
            "kfscale-rig",
        );
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(self.get("AWS_REGION")?.to_owned()))
            .endpoint_url(self.get("AWS_ENDPOINT_URL_EKS")?)
            .credentials_provider(credentials)
            .load()
            .await;
        Ok(aws_sdk_eks::Client::new(&config))
    }
}

/// Parses `KEY=value` lines; blank lines and `#` comments are ignored. Values are taken verbatim
/// (the rig writes no quotes), so the file can also be sourced by a shell with `set -a`.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("line {}: expected KEY=value, found {line:?}", index + 1);
        };
        let key = key.trim_start_matches("export ").trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("line {}: {key:?} is not a variable name", index + 1);
        }
        vars.insert(key.to_owned(), value.to_owned());
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_values_and_skips_comments() {
        let vars = parse("# rig\nA=1\n\nexport B=http://127.0.0.1:80/x=y\n").unwrap();
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "http://127.0.0.1:80/x=y");
        assert_eq!(vars.len(), 2);
    }

    #[test]
    fn rejects_a_line_without_equals() {
        let err = parse("A=1\nnonsense\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
