//! A thin client of the customer's git repository (git2), and `git push` by argument vector so the
//! user's own credential helpers apply. No kfscale rules in here.
use std::path::{Path, PathBuf};
use std::process::Command;

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
        push_fix(remote, branch, stderr)
    )]
    Push {
        remote: String,
        branch: String,
        code: i32,
        stderr: String,
    },
    #[error(
        "git push {remote} {branch} did not finish within {seconds} s (a silent remote, or one asking for credentials); fix: check `git push {remote} {branch}` by hand in the customer repo, then re-run `kfscale apply` to finish the record"
    )]
    PushTimeout {
        remote: String,
        branch: String,
        seconds: u64,
    },
    #[error("cannot run git: {0}; fix: install git")]
    Spawn(std::io::Error),
}

impl GitError {
    /// The remote could not be reached or hung up, or the push ran out of time: worth another try
    /// (a push of the same commit is idempotent).
    pub fn is_retriable(&self) -> bool {
        match self {
            GitError::Push { stderr, .. } => push_is_transient(stderr),
            GitError::PushTimeout { .. } => true,
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

fn push_fix(remote: &str, branch: &str, stderr: &str) -> String {
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("[rejected]") || lower.contains("non-fast-forward") || lower.contains("fetch first") {
        return format!(
            "{remote}/{branch} has commits this clone lacks: `git pull --rebase {remote} {branch}` in the customer repo, then re-run `kfscale apply` to finish the record"
        );
    }
    if lower.contains("[remote rejected]") || lower.contains("hook declined") || lower.contains("protected branch") {
        return format!(
            "{remote} refused the push (a hook or branch protection): push the commit through the path your repo requires (e.g. a pull request from a branch), or allow it, then re-run `kfscale apply` to finish the record"
        );
    }
    if lower.contains("permission denied")
        || lower.contains("authentication failed")
        || lower.contains("returned error: 401")
        || lower.contains("returned error: 403")
    {
        return format!(
            "your credentials for {remote} were refused: fix them (ssh-agent, credential helper), then re-run `kfscale apply` to finish the record"
        );
    }
    if push_is_transient(stderr) {
        return format!(
            "{remote} could not be reached or hung up: check the network and the remote, then re-run `kfscale apply` to finish the record"
        );
    }
    "check the remote and your credentials, then re-run `kfscale apply` to finish the record".to_string()
}

/// How long a push may take before kfscale gives up on it (the commit is kept; a re-run pushes).
pub const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

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

    /// `path` relative to the repository root.
    pub fn relative(&self, path: &Path) -> Result<PathBuf, GitError> {
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
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

    /// Commits `files` (paths relative to the root, as they are in the working tree) on the current
    /// branch. Returns the new commit id, or None when nothing changed.
    pub fn commit_files(&self, files: &[PathBuf], message: &str) -> Result<Option<String>, GitError> {
        let mut index = self.repo.index().map_err(|source| git("open the index", source))?;
        for file in files {
            index
                .add_path(file)
                .map_err(|source| git(&format!("stage {}", file.display()), source))?;
        }
        index.write().map_err(|source| git("write the index", source))?;
        let tree_id = index.write_tree().map_err(|source| git("write the tree", source))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|source| git("find the tree", source))?;
        let parent = self.repo.head().ok().and_then(|head| head.peel_to_commit().ok());
        if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
            return Ok(None);
        }
        let signature = self
            .repo
            .signature()
            .or_else(|_| git2::Signature::now("kfscale", "kfscale@localhost"))
            .map_err(|source| git("make a signature", source))?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let id = self
            .repo
            .commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .map_err(|source| git("commit", source))?;
        Ok(Some(id.to_string()))
    }
}

/// `git push REMOTE BRANCH` in `dir`, by argument vector, so the user's credential helpers apply.
pub fn push(dir: &Path, remote: &str, branch: &str) -> Result<(), GitError> {
    push_within(dir, remote, branch, PUSH_TIMEOUT)
}

/// As [`push`], given up after `timeout`. Never prompts: an unattended apply must not wait on a
/// terminal nobody watches (credential helpers and agents still work).
pub fn push_within(dir: &Path, remote: &str, branch: &str, timeout: std::time::Duration) -> Result<(), GitError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(["push", "--porcelain", remote, branch])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        command.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let mut child = command.spawn().map_err(GitError::Spawn)?;
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().map_err(GitError::Spawn)?.is_some() {
            break;
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(GitError::PushTimeout {
                remote: remote.into(),
                branch: branch.into(),
                seconds: timeout.as_secs(),
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().map_err(GitError::Spawn)?;
    if output.status.success() {
        return Ok(());
    }
    // With --porcelain the refused refs (`!\t<ref>\t[remote rejected] (reason)`) go to stdout:
    // they say why, so they join the message.
    let refused: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with('!'))
        .map(|line| line.split('\t').skip(1).collect::<Vec<_>>().join(" "))
        .collect();
    let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    for line in refused {
        stderr.push_str(&format!("\n{line}"));
    }
    Err(GitError::Push {
        remote: remote.into(),
        branch: branch.into(),
        code: output.status.code().unwrap_or(-1),
        stderr,
    })
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
