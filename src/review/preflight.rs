//! Before an apply changes anything: the customer clone can take the record. The record commit
//! goes on `git.branch` and is pushed there, so the apply refuses to start when another branch is
//! checked out (the record would land elsewhere, or nowhere), when the values file has edits git
//! does not have (the plan and the commit would disagree with the branch), or when the clone is
//! behind its remote (the push would be refused after the cluster had changed).
use anyhow::bail;

use super::target::RepoTarget;

/// Checks the clone; `new_run` adds the values file check (a resumed apply may have written the
/// planned file itself). Returns the remote branch's commit when a remote is configured (fetched
/// now).
pub fn check_clone(target: &RepoTarget, new_run: bool) -> anyhow::Result<Option<String>> {
    let repo = &target.repo;
    let root = repo.root().display().to_string();
    let checked_out = repo.head_branch();
    if target.configured_branch && checked_out.as_deref() != Some(target.branch.as_str()) {
        bail!(
            "the customer repo {root} has {} checked out, but git.branch is {}: the record would not land on {}; nothing was changed. fix: `git -C {root} switch {}`, then re-run",
            checked_out.as_deref().unwrap_or("a detached HEAD"),
            target.branch,
            target.branch,
            target.branch
        );
    }
    let values = target.values.display().to_string();
    if new_run && repo.file_state(&repo.root().join(&target.values))?.uncommitted_changes {
        bail!(
            "{values} has uncommitted edits in {root}: the plan and the record would not match the branch; nothing was changed. fix: commit and push them, then plan again (or drop them: `git -C {root} checkout -- {values}`)"
        );
    }
    let Some(remote) = &target.remote else {
        return Ok(None);
    };
    let tip = target.fetch_branch(remote)?;
    let Some(head) = repo.resolve("HEAD")? else {
        bail!("the customer repo {root} has no commit yet; fix: commit the values file and push it to {remote}");
    };
    let (ahead, behind) = repo.ahead_behind(&head, &tip)?;
    if behind > 0 {
        let branch = &target.branch;
        let how = if ahead == 0 {
            format!("`git -C {root} pull --ff-only {remote} {branch}`")
        } else {
            format!(
                "the clone has {ahead} commit(s) {remote}/{branch} lacks: `git -C {root} pull --rebase {remote} {branch}` and push"
            )
        };
        bail!(
            "the customer repo {root} is {behind} commit(s) behind {remote}/{branch}: the record's push would be refused after the cluster changed; nothing was changed. fix: {how}, then re-run"
        );
    }
    Ok(Some(tip))
}
