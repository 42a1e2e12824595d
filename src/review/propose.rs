//! `kfscale propose`: pushes a plan for review as one commit on a branch of the customer remote.
//! Nothing in the cluster changes, nothing in the operator's clone changes (no checkout, no index,
//! no local branch): the commit is built on the remote branch's tip and pushed by its id. The same
//! plan always gets the same branch, and a second run adds no commit.
use std::path::Path;

use anyhow::{Context, bail};

use super::base::find_base;
use super::hint::compare_url;
use super::proposal::{Proposal, trailer};
use super::target::RepoTarget;
use super::verdict::verdict;
use crate::plan::Plan;
use crate::render::render_markdown;
use crate::snapshot::digest;
use crate::state::ReviewRecord;

/// What `propose` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Proposed {
    /// The plan's short id (the first 12 hex digits of its checksum).
    pub plan_id: String,
    pub remote: String,
    /// The branch reviewers merge into (`git.branch`).
    pub base: String,
    /// The review branch.
    pub branch: String,
    /// The proposal's commit on the review branch (None when the plan is merged already).
    pub commit: Option<String>,
    /// False when the branch already held this proposal (nothing was pushed).
    pub created: bool,
    /// The merged commit when reviewers already merged this plan (nothing was pushed).
    pub merged: Option<String>,
    /// Where to open the pull request, when the remote's host is a known one.
    pub compare_url: Option<String>,
    /// The plan file and report inside the repo.
    pub plan_path: String,
    pub report_path: String,
}

/// Proposes the plan saved in `plan_file` (whose text is `plan_text`, read once).
pub fn propose(target: &RepoTarget, plan_file: &Path, plan_text: &str, plan: &Plan) -> anyhow::Result<Proposed> {
    let remote = target.require_remote("`kfscale propose`")?.to_string();
    if plan.has_failed_checks() {
        bail!(
            "{}: a pre-check failed, so the plan cannot be applied and is not proposed; fix: resolve it and plan again",
            plan_file.display()
        );
    }
    if !plan.has_changes() {
        bail!("{}: the plan has no changes; nothing to propose", plan_file.display());
    }
    let Some(state_dir) = &target.state_dir else {
        bail!(
            "state.dir in {} is outside the customer repo {}: a proposal keeps the plan and its report there; fix: set state.dir to a directory inside the repo (the default .kfscale)",
            target.origin,
            target.repo.root().display()
        );
    };
    let checksum = digest(plan);
    let proposal = Proposal::new(plan, &checksum, &target.cluster, state_dir, &target.values);
    let tip = target.fetch_branch(&remote)?;
    let compare = target
        .repo
        .remote_url(&remote)
        .and_then(|url| compare_url(&url, &target.branch, &proposal.branch));
    let mut proposed = Proposed {
        plan_id: proposal.id.clone(),
        remote: remote.clone(),
        base: target.branch.clone(),
        branch: proposal.branch.clone(),
        commit: None,
        created: false,
        merged: None,
        compare_url: compare,
        plan_path: proposal.plan_path().display().to_string(),
        report_path: proposal.report_path().display().to_string(),
    };
    if let Ok(ReviewRecord::Merged { merged_commit, .. }) = verdict(target, &tip, plan, &checksum)? {
        proposed.merged = Some(merged_commit);
        return Ok(proposed);
    }
    let existing = kfscale_git::remote_branch_head(target.repo.root(), &remote, &proposal.branch, target.timeout)
        .with_context(|| format!("looking for {remote}/{}", proposal.branch))?;
    if let Some(commit) = existing {
        proposed.commit = Some(existing_proposal(target, &remote, &proposal, &checksum, &tip, &commit)?);
        return Ok(proposed);
    }
    let base = find_base(&target.repo, &tip, &target.values, plan)?;
    let base = match base {
        Some(base) if base.commit == tip => base,
        _ => bail!(
            "{} on {remote}/{} is not the file this plan was made from: the plan was made from an edit that is not on the branch, or the branch moved on since; fix: commit and push the values file (or `git pull`), then plan again and propose that plan",
            target.values.display(),
            target.branch
        ),
    };
    let files = vec![
        (target.values.clone(), base.planned.into_bytes()),
        (proposal.plan_path(), plan_text.as_bytes().to_vec()),
        (
            proposal.report_path(),
            // kfscale's own report: scrubbed, as every file kfscale writes is.
            crate::scrub::owned(&render_markdown(
                plan,
                &proposal.plan_path().display().to_string(),
                &format!("sha256:{checksum}"),
            ))
            .into_bytes(),
        ),
    ];
    // The plan file's text as read (its checksum verified), so the committed copy applies as is.
    let commit = crate::scrub::git::commit_on(&target.repo, &tip, &files, &proposal.message)?;
    kfscale_git::push_confirmed(
        target.repo.root(),
        &remote,
        &commit,
        &proposal.branch,
        &format!("`kfscale propose {}`", plan_file.display()),
        target.timeout,
    )?;
    proposed.commit = Some(commit);
    proposed.created = true;
    Ok(proposed)
}

/// The review branch exists: it is this plan's when a commit on it since the base branch carries
/// the plan's trailer (reviewers may have added commits on top); anything else is refused, never
/// overwritten.
fn existing_proposal(
    target: &RepoTarget,
    remote: &str,
    proposal: &Proposal,
    checksum: &str,
    tip: &str,
    head: &str,
) -> anyhow::Result<String> {
    let tracking = kfscale_git::fetch_branch(target.repo.root(), remote, &proposal.branch, target.timeout)
        .with_context(|| format!("reading {remote}/{}", proposal.branch))?;
    let head = target.repo.resolve(&tracking)?.unwrap_or_else(|| head.to_string());
    let trailer = trailer(checksum);
    let carrier = target
        .repo
        .commits_between(&head, Some(tip))?
        .into_iter()
        .find(|commit| commit.message.contains(&trailer));
    match carrier {
        Some(carrier) => Ok(carrier.id),
        None => bail!(
            "{remote} already has a branch {} that does not hold this plan's proposal (no commit on it carries `{trailer}`); nothing was pushed. fix: delete or rename that branch on {remote}, then propose again",
            proposal.branch
        ),
    }
}
