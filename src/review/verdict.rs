//! The review gate's verdict: did reviewers merge exactly this plan into the branch? The merge
//! into the protected branch is the approval (the hosting platform's branch protection decides who
//! may merge), so the verdict reads only git: the branch's values file must be the planned one byte
//! for byte, and a commit since the plan's base must carry the plan's trailer, whichever way the
//! reviewers merged (a merge commit, a squash or a rebase all keep the proposal's message).
use kfscale_git::{CommitInfo, Repo};

use super::base::{Base, Link, find_base};
use super::proposal::{Proposal, trailer};
use super::target::RepoTarget;
use crate::plan::Plan;
use crate::state::ReviewRecord;

/// Why a plan may not run yet, each with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The branch never held the file the plan was made from.
    NoBase,
    /// The branch still holds the file the plan was made from: not merged yet.
    NotMerged,
    /// The branch holds the planned file but no commit since the base carries the trailer.
    NoTrailer,
    /// The merge brought a values file other than the proposed one.
    MergedEdited { merge: CommitInfo, lines: Vec<usize> },
    /// The planned file was merged, then changed again.
    ChangedAfterMerge { merge: CommitInfo, change: CommitInfo },
    /// The branch changed the values file since the plan's base, without this plan.
    Moved { change: CommitInfo },
}

/// The verdict on the branch at `tip` for `plan` (whose checksum is `checksum`).
pub fn verdict(
    target: &RepoTarget,
    tip: &str,
    plan: &Plan,
    checksum: &str,
) -> anyhow::Result<Result<ReviewRecord, Refusal>> {
    let repo = &target.repo;
    let Some(base) = find_base(repo, tip, &target.values, plan)? else {
        return Ok(Err(Refusal::NoBase));
    };
    if base.after.is_empty() {
        return Ok(Err(Refusal::NotMerged));
    }
    if base.planned_blob == base.blob {
        return unchanged_values_verdict(target, tip, &base, checksum);
    }
    let trailer = trailer(checksum);
    let since_base = repo.commits_between(tip, Some(&base.commit))?;
    let carrier = since_base
        .iter()
        .find(|commit| commit.message.contains(&trailer))
        .cloned();
    let tip_blob = base.after.first().and_then(|link| link.values_blob.as_deref());
    let merged = first_with_planned_file(&base);
    match (carrier, tip_blob == Some(base.planned_blob.as_str())) {
        (Some(carrier), true) => {
            let merged = merged.map_or_else(|| carrier.id.clone(), |link| link.commit.id.clone());
            Ok(Ok(merged_record(target, merged, carrier.id, checksum)))
        }
        (None, true) => Ok(Err(Refusal::NoTrailer)),
        (Some(carrier), false) => match merged {
            Some(merge) => Ok(Err(Refusal::ChangedAfterMerge {
                merge: merge.commit.clone(),
                change: first_change_after(&base, merge).clone(),
            })),
            None => {
                let merge = repo.commit_info(&first_parent_bringing(repo, tip, &carrier)?)?;
                let merged_text = match tip_blob {
                    Some(blob) => String::from_utf8_lossy(&repo.blob(blob)?).into_owned(),
                    None => String::new(),
                };
                Ok(Err(Refusal::MergedEdited {
                    merge,
                    lines: differing_lines(&base.planned, &merged_text),
                }))
            }
        },
        // The tip's file is neither the base's (the walk stopped at the newest such commit) nor the
        // planned one: the branch moved on without this plan.
        (None, false) => {
            let change = base
                .after
                .iter()
                .rev()
                .find(|link| link.values_blob.as_deref() != Some(base.blob.as_str()))
                .map(|link| link.commit.clone());
            Ok(Err(Refusal::Moved {
                change: change.map_or_else(|| repo.commit_info(tip), Ok)?,
            }))
        }
    }
}

/// A plan that leaves the values file as it is (the file already names the target size): the file
/// cannot tell a merge, so the trailer decides, searched since the branch last held another file.
fn unchanged_values_verdict(
    target: &RepoTarget,
    tip: &str,
    base: &Base,
    checksum: &str,
) -> anyhow::Result<Result<ReviewRecord, Refusal>> {
    let repo = &target.repo;
    let mut next = Some(base.commit.clone());
    let mut since = None;
    while let Some(id) = next {
        if repo.file_id_at(&id, &target.values)?.as_deref() != Some(base.blob.as_str()) {
            since = Some(id);
            break;
        }
        next = repo.commit_info(&id)?.parents.first().cloned();
    }
    let trailer = trailer(checksum);
    let carrier = repo
        .commits_between(tip, since.as_deref())?
        .into_iter()
        .find(|commit| commit.message.contains(&trailer));
    Ok(match carrier {
        Some(carrier) => {
            let merged = first_parent_bringing(repo, tip, &carrier)?;
            Ok(merged_record(target, merged, carrier.id, checksum))
        }
        None => Err(Refusal::NotMerged),
    })
}

/// The commit of `tip`'s first-parent chain that is `carrier` or merged it in.
fn first_parent_bringing(repo: &Repo, tip: &str, carrier: &CommitInfo) -> anyhow::Result<String> {
    let mut next = Some(tip.to_string());
    let mut bringing = carrier.id.clone();
    while let Some(id) = next {
        if !repo.is_ancestor(&carrier.id, &id)? {
            break;
        }
        bringing = id.clone();
        next = repo.commit_info(&id)?.parents.first().cloned();
    }
    Ok(bringing)
}

fn merged_record(target: &RepoTarget, merged_commit: String, trailer_commit: String, checksum: &str) -> ReviewRecord {
    ReviewRecord::Merged {
        branch: target.shown_branch(),
        merged_commit,
        trailer_commit,
        review_branch: Proposal::branch_name(&target.cluster, checksum),
    }
}

/// The oldest commit after the base (on the first-parent chain) whose values file is the planned
/// one: the merge, the squash or the rebased commit that brought it.
fn first_with_planned_file(base: &Base) -> Option<&Link> {
    base.after
        .iter()
        .rev()
        .find(|link| link.values_blob.as_deref() == Some(base.planned_blob.as_str()))
}

/// The first commit after `merge` on the chain that changed the values file.
fn first_change_after<'a>(base: &'a Base, merge: &'a Link) -> &'a CommitInfo {
    let newer = base.after.iter().take_while(|link| link.commit.id != merge.commit.id);
    let mut previous = merge;
    let mut change = &merge.commit;
    for link in newer.collect::<Vec<_>>().into_iter().rev() {
        if link.values_blob != previous.values_blob {
            change = &link.commit;
            break;
        }
        previous = link;
    }
    change
}

/// 1-based line numbers where the two texts differ (numbers only: a values file holds secrets).
fn differing_lines(planned: &str, merged: &str) -> Vec<usize> {
    let (planned, merged): (Vec<&str>, Vec<&str>) = (planned.lines().collect(), merged.lines().collect());
    (0..planned.len().max(merged.len()))
        .filter(|&at| planned.get(at) != merged.get(at))
        .map(|at| at + 1)
        .collect()
}

impl Refusal {
    /// The refusal as the operator reads it: what is missing, and what to do.
    pub fn explain(&self, target: &RepoTarget, checksum: &str, plan_file: &str, branch_exists: Option<bool>) -> String {
        let branch = target.shown_branch();
        let values = target.values.display();
        let review = Proposal::branch_name(&target.cluster, checksum);
        let trailer = trailer(checksum);
        let propose_first = match branch_exists {
            Some(true) => format!("merge the review branch {review} into {branch}"),
            Some(false) => format!(
                "propose it with `kfscale propose {plan_file}` (it pushes the review branch {review}), then merge that branch into {branch}"
            ),
            None => format!("merge the review branch {review} (made by `kfscale propose {plan_file}`) into {branch}"),
        };
        match self {
            Refusal::NoBase => format!(
                "{branch} never held the {values} this plan was made from, so it cannot have been reviewed against it; fix: plan again from the current {branch} (`git pull`, then `kfscale plan -out FILE`), and propose that plan"
            ),
            Refusal::NotMerged => format!(
                "the plan is not merged into {branch}: {values} there is still the file the plan was made from, and no commit carries `{trailer}`; fix: {propose_first}, then `git pull` and run `kfscale apply {plan_file}` again"
            ),
            Refusal::NoTrailer => format!(
                "{values} on {branch} is the planned file, but no commit since the plan's base carries `{trailer}`: it did not come through review (or the merge message dropped the trailer); fix: {propose_first}, keeping the trailer in the merge or squash message"
            ),
            Refusal::MergedEdited { merge, lines } => format!(
                "the review merged a {values} that is not the proposed one ({} `{}` differs at line(s) {}): reviewers changed it, so this plan is stale; fix: plan again from {branch} (`git pull`, `kfscale plan -out FILE`), then propose and merge that plan",
                merge.short_id(),
                merge.summary(),
                shown_lines(lines)
            ),
            Refusal::Moved { change } => format!(
                "{values} on {branch} changed since the plan was made, in {} (`{}`), and the plan was never merged: the plan is stale; fix: plan again from {branch} (`git pull`, `kfscale plan -out FILE`), then propose and merge that plan",
                change.short_id(),
                change.summary()
            ),
            Refusal::ChangedAfterMerge { merge, change } => format!(
                "{values} on {branch} changed again after the reviewed merge {} (`{}`), in {} (`{}`): the plan is stale; fix: plan again from {branch} (`git pull`, `kfscale plan -out FILE`), then propose and merge that plan",
                merge.short_id(),
                merge.summary(),
                change.short_id(),
                change.summary()
            ),
        }
    }
}

fn shown_lines(lines: &[usize]) -> String {
    let mut shown: Vec<String> = lines.iter().take(10).map(usize::to_string).collect();
    if lines.len() > 10 {
        shown.push(format!("and {} more", lines.len() - 10));
    }
    shown.join(", ")
}
