//! A thin client of the `helm` CLI. There is no Rust library for Helm, so kfscale runs the binary,
//! always with an argument vector (never a shell string), and speaks the dialect of its major
//! version: Helm 4 renamed `--atomic` to `--rollback-on-failure` and gave `--wait` a strategy.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

mod child;
mod dry_run;
mod failure;
mod release;

pub use dry_run::DryRun;
pub use release::{HistoryEntry, ReleaseStatus};

#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    #[error("cannot run `{binary}`: {error}; fix: install helm 3 or 4, or set the helm binary path")]
    Spawn { binary: String, error: std::io::Error },
    #[error(
        "`helm {command}` failed (exit {code}): {stderr}; fix: {}",
        failure::fix(command, stderr)
    )]
    Failed { command: String, code: i32, stderr: String },
    #[error(
        "`helm {command}` did not finish within {seconds} s and was stopped; fix: check the API server (`kubectl get --raw /readyz`) and `helm history`, then re-run `kfscale apply` to resume"
    )]
    TimedOut { command: String, seconds: u64 },
    #[error(
        "release {release} not found in namespace {namespace}; fix: check helm.release and kubernetes.namespace in kfscale.yaml"
    )]
    ReleaseNotFound { release: String, namespace: String },
    #[error("`helm {command}` printed output kfscale cannot read: {message}")]
    Output { command: String, message: String },
    #[error("helm {0} is not supported; fix: use helm 3 or helm 4")]
    UnsupportedVersion(String),
}

impl HelmError {
    /// helm could not reach the API server, or it was overloaded, or helm ran out of time: worth
    /// another try (each helm call kfscale makes is safe to repeat).
    pub fn is_retriable(&self) -> bool {
        match self {
            HelmError::Failed { stderr, .. } => failure::is_transient(stderr),
            HelmError::TimedOut { .. } => true,
            _ => false,
        }
    }
}

/// The longest a helm call that only reads may take.
const READ_LIMIT: Duration = Duration::from_secs(120);

/// How long past its own `--timeout` a helm that changes the release may run before kfscale
/// stops it: helm's timeout covers hooks and waits, not a silent API server.
pub fn grace(timeout: Duration) -> Duration {
    (timeout / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Which flags this helm understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    V3,
    V4,
}

/// Where helm talks to: kubeconfig and context, plus the environment helm itself reads.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: String,
}

pub struct Helm {
    binary: PathBuf,
    dialect: Dialect,
    version: String,
    target: Target,
}

/// What `helm upgrade` is asked to do.
#[derive(Debug, Clone)]
pub struct Upgrade<'a> {
    pub release: &'a str,
    pub chart: &'a str,
    /// Always the installed version: a scale-out must never upgrade the software.
    pub version: &'a str,
    pub values_file: &'a Path,
    pub timeout: Duration,
    /// Wait for every resource to be ready (kfscale waits itself, so a killed apply never leaves
    /// the release `pending-upgrade` for the length of a rollout).
    pub wait: bool,
    /// Pull the chart from a plain-HTTP registry.
    pub plain_http: bool,
}

impl Helm {
    /// Runs `helm version` to learn the dialect.
    pub fn detect(binary: &Path, target: Target) -> Result<Helm, HelmError> {
        let mut helm = Helm {
            binary: binary.to_path_buf(),
            dialect: Dialect::V3,
            version: String::new(),
            target,
        };
        let output = helm.run_raw(&["version", "--template", "{{.Version}}"], READ_LIMIT)?;
        let version = output.trim().to_string();
        helm.dialect = match version.trim_start_matches('v').split('.').next() {
            Some("3") => Dialect::V3,
            Some("4") => Dialect::V4,
            _ => return Err(HelmError::UnsupportedVersion(version)),
        };
        helm.version = version;
        Ok(helm)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// `helm get values RELEASE -o json`: the user-supplied values.
    pub fn user_values(&self, release: &str) -> Result<serde_json::Value, HelmError> {
        let text = self.run(release, &["get", "values", release, "-o", "json"])?;
        let value: serde_json::Value = parse(&text, "get values")?;
        // `helm get values` prints `null` when the release was installed without values.
        Ok(if value.is_null() { serde_json::json!({}) } else { value })
    }

    /// `helm status RELEASE -o json`.
    pub fn status(&self, release: &str) -> Result<ReleaseStatus, HelmError> {
        let text = self.run(release, &["status", release, "-o", "json"])?;
        release::parse_status(&text).map_err(|message| HelmError::Output {
            command: "status".into(),
            message,
        })
    }

    /// `helm history RELEASE -o json`, oldest first.
    pub fn history(&self, release: &str) -> Result<Vec<HistoryEntry>, HelmError> {
        let text = self.run(release, &["history", release, "-o", "json"])?;
        parse(&text, "history")
    }

    /// The argument vector of the upgrade, in this helm's dialect (also shown in plans and logs).
    pub fn upgrade_args(&self, upgrade: &Upgrade) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "upgrade".into(),
            upgrade.release.into(),
            upgrade.chart.into(),
            "--version".into(),
            upgrade.version.into(),
            "-f".into(),
            upgrade.values_file.display().to_string(),
            "--timeout".into(),
            format!("{}s", upgrade.timeout.as_secs()),
        ];
        match (upgrade.wait, self.dialect) {
            (false, _) => {}
            (true, Dialect::V3) => args.push("--wait".into()),
            (true, Dialect::V4) => args.push("--wait=watcher".into()),
        }
        if upgrade.plain_http {
            args.push("--plain-http".into());
        }
        args
    }

    /// `helm rollback RELEASE REVISION`: the way out of a release left `pending-upgrade` by an
    /// upgrade that was killed.
    pub fn rollback(&self, release: &str, revision: u32, timeout: Duration) -> Result<String, HelmError> {
        let revision = revision.to_string();
        let limit = timeout + grace(timeout);
        let timeout = format!("{}s", timeout.as_secs());
        self.run_within(release, &["rollback", release, &revision, "--timeout", &timeout], limit)
    }

    pub fn upgrade(&self, upgrade: &Upgrade) -> Result<String, HelmError> {
        let args = self.upgrade_args(upgrade);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run_within(upgrade.release, &refs, upgrade.timeout + grace(upgrade.timeout))
    }

    fn run(&self, release: &str, args: &[&str]) -> Result<String, HelmError> {
        self.run_within(release, args, READ_LIMIT)
    }

    fn run_within(&self, release: &str, args: &[&str], limit: Duration) -> Result<String, HelmError> {
        self.run_raw(args, limit).map_err(|err| match err {
            HelmError::Failed { stderr, .. }
                if stderr.contains("release: not found")
                    || (stderr.contains("not found") && stderr.contains(release)) =>
            {
                HelmError::ReleaseNotFound {
                    release: release.into(),
                    namespace: self.target.namespace.clone(),
                }
            }
            other => other,
        })
    }

    fn run_raw(&self, args: &[&str], limit: Duration) -> Result<String, HelmError> {
        let mut command = Command::new(&self.binary);
        command.args(args);
        if !self.target.namespace.is_empty() {
            command.args(["--namespace", &self.target.namespace]);
        }
        if let Some(kubeconfig) = &self.target.kubeconfig {
            command.arg("--kubeconfig").arg(kubeconfig);
        }
        if let Some(context) = &self.target.context {
            command.args(["--kube-context", context]);
        }
        die_with_parent(&mut command);
        let command_name = args.first().copied().unwrap_or_default().to_string();
        let ended = child::run_within(&mut command, limit).map_err(|source| HelmError::Spawn {
            binary: self.binary.display().to_string(),
            error: source,
        })?;
        let output = match ended {
            child::Ended::Exited(output) => output,
            child::Ended::TimedOut => {
                return Err(HelmError::TimedOut {
                    command: command_name,
                    seconds: limit.as_secs(),
                });
            }
        };
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        Err(HelmError::Failed {
            command: command_name,
            code: output.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// helm dies with kfscale: a kfscale killed with -9 must not leave a helm running behind the
/// resumed apply's back (it would start its upgrade after the resumed apply read the release, and
/// the two would collide). A helm killed mid-operation leaves the release `pending-*`, which the
/// resumed apply recognises as its own and rolls back.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls: prctl and getppid.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl: then init adopted us; do not run.
            if libc::getppid() == 1 {
                return Err(std::io::Error::other("kfscale exited before helm started"));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

fn parse<T: for<'de> Deserialize<'de>>(text: &str, command: &str) -> Result<T, HelmError> {
    serde_json::from_str(text).map_err(|err| HelmError::Output {
        command: command.into(),
        message: err.to_string(),
    })
}
