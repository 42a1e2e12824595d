//! The customer repository `init` records into: the git repository of the current directory, its
//! branch and the remote that branch tracks.
use std::path::Path;

use super::draft::GitDraft;
use super::relative_path;

/// The repository around `cwd`, with its path relative to `config_dir`; Err says why there is none.
pub fn git_draft(cwd: &Path, config_dir: &Path) -> Result<GitDraft, String> {
    let repo = kfscale_git::Repo::discover(cwd).map_err(|_| {
        format!(
            "{} is not in a git repository: apply records nothing in git until git.repo names the customer repository",
            cwd.display()
        )
    })?;
    let branch = repo.head_branch();
    let remote = branch.as_deref().and_then(|branch| repo.upstream_remote(branch));
    Ok(GitDraft {
        repo: relative_path(config_dir, repo.root()),
        branch,
        remote,
    })
}
