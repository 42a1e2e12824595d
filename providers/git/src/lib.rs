//! A thin client of the customer's git repository (git2), and the git CLI by argument vector for
//! everything that talks to a remote (push, fetch, ls-remote), so the user's own credential helpers
//! apply. No kfscale rules in here.
use std::path::{Path, PathBuf};

mod commit;
mod history;
mod remote;

pub use history::CommitInfo;
pub use remote::{
    PUSH_TIMEOUT, fetch_branch, push, push_confirmed, push_refspec_within, push_within, remote_branch_head,
};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path} is not inside a git repository ({source}); fix: set git.repo in kfscale.yaml to the customer repo")]
    NotARepository { path: String, source: git2::Error },
    #[error("git: {action}: {source}; fix: check the customer repo (`git status` in it), then re-run")]
    Git { action: String, source: git2::Error },
    #[error("{path} is outside the repository {repo}; fix: keep the values file inside the customer repo")]
    OutsideRepository { path: String, repo: String },
    #[error(
        "git push {remote} {branch} failed (exit {code}): {stderr}; fix: {}",
        push_fix(remote, branch, stderr, rerun)
    )]
    Push {
        remote: String,
        branch: String,
        code: i32,
        stderr: String,
        /// What to run again once the cause is fixed, e.g. "`kfscale apply` to finish the record".
        rerun: String,
    },
    #[error(
        "git push {remote} {branch} did not finish within {seconds} s (a silent remote, or one asking for credentials); fix: check `git push {remote} {branch}` by hand in the customer repo, then re-run {rerun}"
    )]
    PushTimeout {
        remote: String,
        branch: String,
        seconds: u64,
        rerun: String,
    },
    /// A read from the remote (`git fetch`, `git ls-remote`) failed.
    #[error("git {command} failed (exit {code}): {stderr}; fix: {}", read_fix(command, stderr))]
    RemoteRead { command: String, code: i32, stderr: String },
    #[error(
        "git {command} did not finish within {seconds} s (a silent remote, or one asking for credentials); fix: check `git {command}` by hand in the customer repo, then re-run"
    )]
    RemoteReadTimeout { command: String, seconds: u64 },
    /// The push reported success but the remote's branch points elsewhere (a server hook, or
    /// another writer in between).
    #[error(
        "after the push, {remote}'s {branch} points at {found}, not at {expected}; fix: look at `git log {remote}/{branch}` (a server hook or another writer moved it), then re-run {rerun}"
    )]
    NotLanded {
        remote: String,
        branch: String,
        expected: String,
        found: String,
        rerun: String,
    },
    /// Committing on `branch` while another is checked out would leave the working tree behind it.
    #[error(
        "the customer repo has {found} checked out, not {branch}; nothing was committed. fix: `git switch {branch}` in the customer repo (or set git.branch), then re-run"
    )]
    NotOnBranch { branch: String, found: String },
    #[error("cannot run git: {0}; fix: install git")]
    Spawn(std::io::Error),
}

impl GitError {
    /// The remote could not be reached or hung up, or the push ran out of time: worth another try
    /// (a push of the same commit is idempotent).
    pub fn is_retriable(&self) -> bool {
        match self {
            GitError::Push { stderr, .. } | GitError::RemoteRead { stderr, .. } => push_is_transient(stderr),
            GitError::PushTimeout { .. } | GitError::RemoteReadTimeout { .. } => true,
            _ => false,
        }
    }
}

/// Fragments of git's stderr that mean the remote or the network failed, not the push itself.
const TRANSIENT: &[&str] = &[
    "the remote end hung up unexpectedly",
    "connection reset",
    "connection refused",
    "failed to connect",
    "couldn't connect to server",
    "could not connect",
    "connection timed out",
    "operation timed out",
    "could not resolve host",
    "early eof",
    "rpc failed",
    "the requested url returned error: 5",
    "the requested url returned error: 429",
    "temporarily unavailable",
    "service unavailable",
];

/// Refusals that no retry fixes, though git may also say the remote hung up.
const REFUSED: &[&str] = &[
    "permission denied",
    "authentication failed",
    "[rejected]",
    "[remote rejected]",
    "does not appear to be a git repository",
    "repository not found",
    "returned error: 401",
    "returned error: 403",
    "returned error: 404",
];

fn push_is_transient(stderr: &str) -> bool {
    let lower = stderr.to_ascii_lowercase();
    !REFUSED.iter().any(|fragment| lower.contains(fragment))
        && TRANSIENT.iter().any(|fragment| lower.contains(fragment))
}

fn push_fix(remote: &str, branch: &str, stderr: &str, rerun: &str) -> String {
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("[rejected]") || lower.contains("non-fast-forward") || lower.contains("fetch first") {
        return format!(
            "{remote}/{branch} has commits this clone lacks: `git pull --rebase {remote} {branch}` in the customer repo, then re-run {rerun}"
        );
    }
    if lower.contains("[remote rejected]") || lower.contains("hook declined") || lower.contains("protected branch") {
        return format!(
            "{remote} refused the push (a hook or branch protection): push the commit through the path your repo requires (e.g. a pull request from a branch), or allow it, then re-run {rerun}"
        );
    }
    if lower.contains("permission denied")
        || lower.contains("authentication failed")
        || lower.contains("returned error: 401")
        || lower.contains("returned error: 403")
    {
        return format!(
            "your credentials for {remote} were refused: fix them (ssh-agent, credential helper), then re-run {rerun}"
        );
    }
    if push_is_transient(stderr) {
        return format!(
            "{remote} could not be reached or hung up: check the network and the remote, then re-run {rerun}"
        );
    }
    format!("check the remote and your credentials, then re-run {rerun}")
}

fn read_fix(command: &str, stderr: &str) -> String {
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("permission denied")
        || lower.contains("authentication failed")
        || lower.contains("returned error: 401")
        || lower.contains("returned error: 403")
    {
        return "your credentials for the remote were refused: fix them (ssh-agent, credential helper), then re-run"
            .into();
    }
    if lower.contains("couldn't find remote ref") {
        return "the branch does not exist on the remote: check git.branch in kfscale.yaml".into();
    }
    if push_is_transient(stderr) {
        return "the remote could not be reached or hung up: check the network and the remote, then re-run".into();
    }
    format!("check `git {command}` by hand in the customer repo (remote name, URL, credentials), then re-run")
}

pub struct Repo {
    repo: git2::Repository,
    root: PathBuf,
}

/// What HEAD says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub branch: Option<String>,
    pub head_commit: Option<String>,
    /// The file's bytes at HEAD (None: not committed yet).
    pub committed: Option<Vec<u8>>,
    /// The working file differs from HEAD (or is untracked).
    pub uncommitted_changes: bool,
}

impl Repo {
    /// The repository containing `path`.
    pub fn discover(path: &Path) -> Result<Repo, GitError> {
        let repo = git2::Repository::discover(path).map_err(|source| GitError::NotARepository {
            path: path.display().to_string(),
            source,
        })?;
        let root = repo
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| repo.path().to_path_buf());
        Ok(Repo { repo, root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` relative to the repository root. The path need not exist yet (a state directory
    /// before the first apply): its nearest existing ancestor is resolved (symlinks, `..`) and the
    /// rest appended.
    pub fn relative(&self, path: &Path) -> Result<PathBuf, GitError> {
        let absolute = resolve_existing_prefix(path);
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        absolute
            .strip_prefix(&root)
            .map(Path::to_path_buf)
            .map_err(|_| GitError::OutsideRepository {
                path: path.display().to_string(),
                repo: self.root.display().to_string(),
            })
    }

    pub fn file_state(&self, path: &Path) -> Result<FileState, GitError> {
        let relative = self.relative(path)?;
        let head = self.repo.head().ok();
        let branch = head.as_ref().and_then(|h| h.shorthand().ok().map(String::from));
        let commit = head.as_ref().and_then(|h| h.peel_to_commit().ok());
        let committed = match &commit {
            Some(commit) => {
                let tree = commit.tree().map_err(|source| git("read the HEAD tree", source))?;
                match tree.get_path(&relative) {
                    Ok(entry) => {
                        let blob = self
                            .repo
                            .find_blob(entry.id())
                            .map_err(|source| git("read the file at HEAD", source))?;
                        Some(blob.content().to_vec())
                    }
                    Err(_) => None,
                }
            }
            None => None,
        };
        let working = std::fs::read(self.root.join(&relative)).ok();
        Ok(FileState {
            branch,
            head_commit: commit.map(|c| c.id().to_string()),
            uncommitted_changes: committed != working,
            committed,
        })
    }
}

/// `path` with its longest existing prefix canonicalized.
fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(canonical) = std::fs::canonicalize(existing) {
            return missing.iter().rev().fold(canonical, |full, part| full.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The id git gives a blob holding `bytes` (`git hash-object`), without writing it.
pub fn blob_id(bytes: &[u8]) -> Result<String, GitError> {
    git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .map(|id| id.to_string())
        .map_err(|source| git("hash a blob", source))
}

/// A path relative to the root as git names it in a tree (`/`-separated).
fn tree_path(path: &Path) -> String {
    path.components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn git(action: &str, source: git2::Error) -> GitError {
    GitError::Git {
        action: action.into(),
        source,
    }
}

#[cfg(test)]
mod push_errors {
    use super::*;

    fn push_error(stderr: &str) -> GitError {
        GitError::Push {
            remote: "origin".into(),
            branch: "main".into(),
            code: 128,
            stderr: stderr.into(),
            rerun: "`kfscale apply` to finish the record".into(),
        }
    }

    #[test]
    fn a_remote_that_is_down_or_overloaded_is_worth_another_try() {
        for stderr in [
            "fatal: unable to access 'http://h/r.git/': Failed to connect to h port 80 after 0 ms: Couldn't connect to server",
            "error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503",
            "fatal: unable to access 'https://h/r.git/': The requested URL returned error: 429",
            "fatal: the remote end hung up unexpectedly",
        ] {
            let err = push_error(stderr);
            assert!(err.is_retriable(), "{stderr}");
            assert!(err.to_string().contains("could not be reached"), "{err}");
        }
        let timeout = GitError::PushTimeout {
            remote: "origin".into(),
            branch: "main".into(),
            seconds: 2,
            rerun: "`kfscale apply` to finish the record".into(),
        };
        assert!(timeout.is_retriable());
    }

    #[test]
    fn a_refused_push_is_not_retried_and_says_what_to_do() {
        let cases = [
            (
                "remote: main is protected\nrefs/heads/main:refs/heads/main [remote rejected] (pre-receive hook declined)",
                "pull request",
            ),
            (
                "! [rejected] main -> main (fetch first)\nerror: failed to push some refs",
                "git pull --rebase",
            ),
            (
                "git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.",
                "credentials",
            ),
            (
                "fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403",
                "credentials",
            ),
        ];
        for (stderr, fix) in cases {
            let err = push_error(stderr);
            assert!(!err.is_retriable(), "{stderr}");
            assert!(err.to_string().contains(fix), "{err}");
        }
    }
}
