//! The customer repo as the review flow and the apply's checks see it: the clone, the remote and
//! branch reviewers merge on, and where kfscale's files live in it.
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::ClusterConfig;
use crate::connect::ConfigContext;

pub struct RepoTarget {
    pub repo: kfscale_git::Repo,
    /// `git.remote`; None: nothing is pushed or fetched.
    pub remote: Option<String>,
    /// `git.branch`, else the checked-out branch.
    pub branch: String,
    /// The branch came from `git.branch`: the checked-out branch must be it.
    pub configured_branch: bool,
    /// The values file, relative to the repository root.
    pub values: PathBuf,
    /// `state.dir` relative to the root: kfscale's own directory in the repo.
    pub state_dir: Option<PathBuf>,
    /// The longest a push, fetch or ls-remote may take (`git.push_timeout_seconds`).
    pub timeout: Duration,
    /// The cluster's name (kfscale.yaml's `cluster:`), which review branches are named after.
    pub cluster: String,
    /// kfscale.yaml as given, for messages.
    pub origin: String,
}

impl RepoTarget {
    /// The repo kfscale.yaml's `git:` section names; None without one.
    pub fn open(context: &ConfigContext<'_>) -> anyhow::Result<Option<RepoTarget>> {
        let Some(git) = &context.config.git else {
            return Ok(None);
        };
        let repo = kfscale_git::Repo::discover(&context.resolve(&git.repo))?;
        let Some(values) = &context.config.values else {
            bail!(
                "{}: no `values:` section; fix: add `values: {{file: path/to/values.yaml}}`",
                context.origin
            );
        };
        let values = repo.relative(&context.resolve(&values.file))?;
        let state_dir = repo.relative(&context.resolve(&context.config.state.dir)).ok();
        let branch = match &git.branch {
            Some(branch) => branch.clone(),
            None => repo.head_branch().with_context(|| {
                format!(
                    "the customer repo {} has no branch checked out (a detached HEAD) and {} sets no git.branch; fix: `git switch <branch>` there, or set git.branch",
                    repo.root().display(),
                    context.origin
                )
            })?,
        };
        Ok(Some(RepoTarget {
            repo,
            remote: git.remote.clone(),
            branch,
            configured_branch: git.branch.is_some(),
            values,
            state_dir,
            timeout: Duration::from_secs(git.push_timeout_seconds.max(1)),
            cluster: cluster_name(context.config.cluster.as_ref()),
            origin: context.origin.to_string(),
        }))
    }

    /// The remote, or an error saying `what` needs one.
    pub fn require_remote(&self, what: &str) -> anyhow::Result<&str> {
        match &self.remote {
            Some(remote) => Ok(remote),
            None => bail!(
                "{what} needs the customer remote reviewers merge on, and {} sets no git.remote; fix: set git.remote (e.g. origin) and git.branch (e.g. main)",
                self.origin
            ),
        }
    }

    fn fetch_failed(&self, remote: &str, tries: u32) -> String {
        format!("reading {remote}/{} (nothing was changed; {tries} tries)", self.branch)
    }

    /// `remote/branch`, as messages name the reviewed branch.
    pub fn shown_branch(&self) -> String {
        match &self.remote {
            Some(remote) => format!("{remote}/{}", self.branch),
            None => self.branch.clone(),
        }
    }

    /// Fetches the remote's branch and returns the commit it points at. A remote that is
    /// throttling (429), failing (5xx) or slow is tried again with backoff for up to a minute, as
    /// the record's push is: a read, so another try is always safe.
    pub fn fetch_branch(&self, remote: &str) -> anyhow::Result<String> {
        let mut budget = FETCH_RETRY.budget(FETCH_RETRY_FOR);
        let tracking = loop {
            match kfscale_git::fetch_branch(self.repo.root(), remote, &self.branch, self.timeout) {
                Ok(tracking) => break tracking,
                Err(err) if err.is_retriable() => match budget.next_pause() {
                    Some(pause) => {
                        tracing::warn!(error = %err, "fetching {remote}/{} failed; trying again in {pause:?}", self.branch);
                        std::thread::sleep(pause);
                    }
                    None => return Err(err).with_context(|| self.fetch_failed(remote, budget.failures())),
                },
                Err(err) => return Err(err).with_context(|| self.fetch_failed(remote, 1)),
            }
        };
        self.repo.resolve(&tracking)?.with_context(|| {
            format!(
                "{remote}/{} has no commit after the fetch; fix: push the customer repo's {} branch to {remote} first",
                self.branch, self.branch
            )
        })
    }
}

/// The pauses between fetches of the reviewed branch: 1 s doubling to 8 s, jittered.
const FETCH_RETRY: kfscale_retry::RetryPolicy = kfscale_retry::RetryPolicy {
    initial: Duration::from_secs(1),
    max: Duration::from_secs(8),
    jitter: kfscale_retry::Jitter::Halving,
};
const FETCH_RETRY_FOR: Duration = Duration::from_secs(60);

/// The cluster's name as kfscale.yaml gives it; "cluster" without a `cluster:` section (a plan
/// from a snapshot).
fn cluster_name(cluster: Option<&ClusterConfig>) -> String {
    match cluster {
        Some(ClusterConfig::Aws { cluster, .. }) | Some(ClusterConfig::Gcp { cluster, .. }) => cluster.clone(),
        Some(ClusterConfig::Azure(azure)) => azure.cluster.clone(),
        // Nodes added by other means name no cluster: the branch says "cluster" as for a snapshot.
        Some(ClusterConfig::External(_)) | None => "cluster".into(),
    }
}
