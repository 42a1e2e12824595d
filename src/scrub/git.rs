//! The git record's commit messages, scrubbed: the only way kfscale commits (clippy.toml forbids
//! the provider's commit calls elsewhere). A message names the change and the plan; it could
//! quote an error or a value, and a commit, once pushed, cannot be taken back.
use std::path::PathBuf;

use kfscale_git::{GitError, Repo};

/// `Repo::commit_files` with the message scrubbed.
#[allow(clippy::disallowed_methods)]
pub fn commit_files(repo: &Repo, branch: &str, files: &[PathBuf], message: &str) -> Result<Option<String>, GitError> {
    repo.commit_files(branch, files, &super::text(message))
}

/// `Repo::commit_on` with the message scrubbed. `files` are committed as given: the caller
/// passes the customer's values file as it is and scrubs what kfscale wrote itself.
#[allow(clippy::disallowed_methods)]
pub fn commit_on(repo: &Repo, parent: &str, files: &[(PathBuf, Vec<u8>)], message: &str) -> Result<String, GitError> {
    repo.commit_on(parent, files, &super::text(message))
}
