//! The one check the apply workflow makes of the customer repo before it changes anything: the
//! clone can take the record (see [`super::preflight`]), and with `review.required` a new run's
//! plan is one reviewers merged (see [`super::verdict`]), or the operator skipped the review with
//! `--no-review`, which is recorded.
use anyhow::bail;

use super::base::find_base;
use super::preflight::check_clone;
use super::proposal::Proposal;
use super::target::RepoTarget;
use super::verdict::verdict;
use crate::connect::ConfigContext;
use crate::plan::Plan;
use crate::snapshot::{digest, sha256_hex};
use crate::state::ReviewRecord;

/// What the apply is about to do.
pub struct ApplyStart<'a> {
    /// A new run (not the resume of an unfinished one).
    pub new_run: bool,
    /// The saved plan a new run applies, with the file it came from; None: planned live now.
    pub plan: Option<(&'a Plan, &'a str)>,
    /// `--no-review`.
    pub no_review: bool,
    /// `user@host` of the operator.
    pub operator: &'a str,
}

/// What the check found, for the run.
#[derive(Debug, Default)]
pub struct Cleared {
    /// For a new run under `review.required`: how its plan was cleared.
    pub review: Option<ReviewRecord>,
    /// The sha256 of the values file the saved plan writes, when the clone's history holds the
    /// file it was made from: a values file already holding it (the reviewed merge, pulled) is
    /// current, not stale.
    pub planned_values_sha256: Option<String>,
}

/// Refuses, before any mutation and with the fix, an apply the customer repo is not ready for.
pub fn check_before_apply(context: &ConfigContext<'_>, start: &ApplyStart<'_>) -> anyhow::Result<Cleared> {
    let required = context.config.review.required;
    let Some(target) = RepoTarget::open(context)? else {
        if required && start.new_run && !start.no_review {
            bail!(
                "{}: review.required is set but there is no git: section, so no review can be found; fix: add git (repo, branch, remote), or apply with --no-review",
                context.origin
            );
        }
        return Ok(Cleared::default());
    };
    let remote_tip = check_clone(&target, start.new_run)?;
    if !start.new_run {
        return Ok(Cleared::default());
    }
    let planned_values_sha256 = match start.plan {
        Some((plan, _)) => match target.repo.resolve("HEAD")? {
            Some(head) => {
                find_base(&target.repo, &head, &target.values, plan)?.map(|base| sha256_hex(base.planned.as_bytes()))
            }
            None => None,
        },
        None => None,
    };
    let review = if !required {
        None
    } else if start.no_review {
        Some(ReviewRecord::Skipped {
            operator: start.operator.to_string(),
            at: crate::time::now_rfc3339(),
        })
    } else {
        Some(reviewed(&target, remote_tip.as_deref(), start.plan)?)
    };
    Ok(Cleared {
        review,
        planned_values_sha256,
    })
}

/// The review gate proper: the plan file's plan merged into the remote's branch.
fn reviewed(
    target: &RepoTarget,
    remote_tip: Option<&str>,
    plan: Option<(&Plan, &str)>,
) -> anyhow::Result<ReviewRecord> {
    let Some((plan, plan_file)) = plan else {
        bail!(
            "review.required is set in {}: apply runs only a plan reviewers merged, not one made now; nothing was changed. fix: `kfscale plan -out FILE --propose`, get the review branch merged, `git pull`, then `kfscale apply FILE` (or, in an emergency, --no-review)",
            target.origin
        );
    };
    let remote = target.require_remote("review.required")?;
    let Some(tip) = remote_tip else {
        bail!("review.required: {remote}/{} could not be read", target.branch);
    };
    let checksum = digest(plan);
    match verdict(target, tip, plan, &checksum)? {
        Ok(record) => Ok(record),
        Err(refusal) => {
            let branch = Proposal::branch_name(&target.cluster, &checksum);
            // Only to say whether proposing is still to do; the refusal stands either way.
            let exists = kfscale_git::remote_branch_head(target.repo.root(), remote, &branch, target.timeout)
                .ok()
                .map(|head| head.is_some());
            bail!(
                "review.required: {}; nothing was changed (--no-review skips the review, on the record)",
                refusal.explain(target, &checksum, plan_file, exists)
            )
        }
    }
}
