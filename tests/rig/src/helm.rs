//! The rig's helm binary, run with the rig's kubeconfig and writable Helm directories.
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use tokio::process::Command;

use crate::RigEnv;

/// Variables every helm invocation on the rig needs.
const HELM_VARS: [&str; 4] = ["KUBECONFIG", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"];

pub struct Helm {
    bin: PathBuf,
    env: Vec<(String, String)>,
}

impl Helm {
    pub fn from_rig(rig: &RigEnv) -> Result<Self> {
        let env = HELM_VARS
            .iter()
            .map(|k| Ok((k.to_string(), rig.get(k)?.to_owned())))
            .collect::<Result<_>>()?;
        Ok(Self {
            bin: PathBuf::from(rig.get("KFSCALE_RIG_HELM")?),
            env,
        })
    }

    /// A helm command with the rig's environment; arguments are added by the caller.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.kill_on_drop(true);
        cmd
    }

    /// Runs helm with `args`; fails with helm's stderr when it exits non-zero. Returns stdout.
    pub async fn run(&self, args: &[&str]) -> Result<String> {
        let out = self
            .command()
            .args(args)
            .output()
            .await
            .with_context(|| format!("running {} {}", self.bin.display(), args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "helm {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Installs the chart as release `kfuse` in `namespace` (created if missing) from the rig's
    /// chart registry, with the `values` files in order (later ones win, as with helm's `-f`),
    /// waiting up to `timeout` (a helm duration: `5m`) for its pods.
    pub async fn install_kfuse(
        &self,
        chart: &str,
        version: &str,
        namespace: &str,
        values: &[&str],
        timeout: &str,
    ) -> Result<String> {
        let mut args = vec![
            "install",
            "kfuse",
            chart,
            "--version",
            version,
            "--plain-http",
            "-n",
            namespace,
            "--create-namespace",
        ];
        for file in values {
            args.extend(["-f", file]);
        }
        args.extend(["--wait", "--timeout", timeout]);
        self.run(&args).await
    }
}
