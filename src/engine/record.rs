//! The record: the final values file and the state and history files committed to the customer
//! repo, with a message naming the change, and pushed when a remote is configured. Only a
//! successful apply gets here; a failed one keeps its state without touching the branch.
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::connect::GitTarget;
use crate::plan::Plan;
use crate::state::{ApplyRun, ReviewRecord, StepName, StepStatus};

/// The files the record commits: the values file, unless reviewers merged it onto the branch
/// already (then the record holds only the state), the state file, the run's history file and its
/// Kafka rollback file when it moved replicas.
pub fn files(
    run: &ApplyRun,
    values: PathBuf,
    state: PathBuf,
    history: PathBuf,
    rollback: Option<PathBuf>,
) -> Vec<PathBuf> {
    let reviewed = matches!(run.review, Some(ReviewRecord::Merged { .. }));
    let values = (!reviewed).then_some(values);
    values.into_iter().chain([state, history]).chain(rollback).collect()
}

/// Commits exactly `files` (inside the repo) on `git.branch`, which must be checked out; a commit
/// that finds nothing new is not an error (a resumed apply may already have committed).
pub fn commit(git: &GitTarget, run: &ApplyRun, files: &[PathBuf]) -> anyhow::Result<Option<String>> {
    let repo = kfscale_git::Repo::discover(&git.repo)?;
    let relative: Vec<PathBuf> = files.iter().filter_map(|file| repo.relative(file).ok()).collect();
    let branch = branch(git, &repo)?;
    Ok(crate::scrub::git::commit_files(
        &repo,
        &branch,
        &relative,
        &message(&run.plan, run),
    )?)
}

/// Pushes the branch to the remote, when one is configured, and checks the remote's branch then
/// points at the record: `Ok(Some("remote branch"))`.
pub fn push(git: &GitTarget) -> Result<Option<String>, kfscale_git::GitError> {
    let Some(remote) = &git.remote else {
        return Ok(None);
    };
    let repo = kfscale_git::Repo::discover(&git.repo)?;
    let Ok(branch) = branch(git, &repo) else {
        return Err(kfscale_git::GitError::NotOnBranch {
            branch: "a branch (git.branch is not set)".into(),
            found: "a detached HEAD".into(),
        });
    };
    let Some(tip) = repo.resolve(&format!("refs/heads/{branch}"))? else {
        return Ok(None);
    };
    kfscale_git::push_confirmed(
        repo.root(),
        remote,
        &tip,
        &branch,
        "`kfscale apply` to finish the record",
        git.push_timeout,
    )?;
    Ok(Some(format!("{remote} {branch}")))
}

/// `git.branch`, else the checked-out branch.
fn branch(git: &GitTarget, repo: &kfscale_git::Repo) -> anyhow::Result<String> {
    match (git.branch.clone(), repo.head_branch()) {
        (Some(branch), _) | (None, Some(branch)) => Ok(branch),
        (None, None) => anyhow::bail!(
            "the customer repo {} has a detached HEAD and git.branch is not set: the record has no branch to go on; fix: `git switch <branch>` there (or set git.branch), then re-run `kfscale apply` to finish the record",
            repo.root().display()
        ),
    }
}

/// Whether a successful apply's record has not fully reached git: the state file differs from the
/// branch's (killed before the commit) or the branch is ahead of its remote (killed before the
/// push). `apply` then finishes the record instead of planning anew.
pub fn pending(git: &GitTarget, state_file: &Path) -> anyhow::Result<bool> {
    let repo = kfscale_git::Repo::discover(&git.repo)?;
    if repo.file_state(state_file)?.uncommitted_changes {
        return Ok(true);
    }
    let Some(remote) = &git.remote else {
        return Ok(false);
    };
    let branch = branch(git, &repo)?;
    let tracking = format!("refs/remotes/{remote}/{branch}");
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo.root())
        .args(["rev-list", "--count", &format!("{tracking}..HEAD")])
        .output()
        .context("running git rev-list")?;
    // No remote-tracking ref yet: nothing was ever pushed from here, so the push is pending.
    if !output.status.success() {
        return Ok(true);
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim() != "0")
}

/// What a reviewer reads in `git log`: the change, its size, who and which apply. No values.
pub fn message(plan: &Plan, run: &ApplyRun) -> String {
    let summary = &plan.summary;
    let mut lines = vec![
        format!(
            "kfscale: scale {} from {} to {} nodes",
            plan.node_pool.pool, plan.from_nodes, plan.to_nodes
        ),
        String::new(),
        format!(
            "- node pool: {} -> {} nodes",
            plan.node_pool.before.total(),
            plan.node_pool.after.total()
        ),
        format!(
            "- values: {} change(s) in {}",
            summary.values_changed,
            file_name(&plan.values.path)
        ),
        kafka_line(plan, run),
    ];
    lines.push(pinot_line(plan, run));
    lines.push(String::new());
    if let Some(review) = &run.review {
        lines.push(review.commit_line(&run.plan_checksum));
        lines.push(String::new());
    }
    lines.push(format!(
        "Apply {} by {}, chart {} {}.",
        run.id, run.operator, plan.release.chart, plan.release.chart_version
    ));
    lines.join("\n") + "\n"
}

/// What the Kafka steps did: the moves the reassignment step made (computed from the live
/// assignment, so they may differ from the plan's), or that they were not needed.
fn kafka_line(plan: &Plan, run: &ApplyRun) -> String {
    let summary = &plan.summary;
    let partitions = match run.step(StepName::KafkaPartitions) {
        Some(step) if step.status == StepStatus::Skipped => "no partition created by kfscale".to_string(),
        _ => format!("{} partition(s) created", summary.partitions_created),
    };
    let moves = match run.step(StepName::KafkaReassignment) {
        Some(step) if step.status == StepStatus::Skipped => "no replica moved".to_string(),
        Some(step) => match (
            step.observed.get("replicas_moved").and_then(serde_json::Value::as_u64),
            step.observed.get("lower_bound").and_then(serde_json::Value::as_u64),
        ) {
            (Some(moved), Some(bound)) => format!("{moved} replica(s) moved (lower bound {bound})"),
            _ => format!(
                "{} replica(s) moved (lower bound {})",
                summary.replicas_moved, summary.lower_bound
            ),
        },
        None => "no replica moved".to_string(),
    };
    format!(
        "- kafka: {} broker(s) added, {partitions}, {moves}",
        summary.brokers_added
    )
}

/// The tables rebalanced by hand, or why none was.
fn pinot_line(plan: &Plan, run: &ApplyRun) -> String {
    let tables: Vec<&str> = plan.pinot.tables.iter().map(|t| t.table.as_str()).collect();
    match run.step(StepName::PinotRebalance) {
        _ if plan.pinot.skipped => format!(
            "- pinot: REBALANCE SKIPPED by --skip-pinot ({} not rebalanced; rebalance them by hand)",
            plan.profile.pinot.manual_rebalance_tables.join(", ")
        ),
        _ if tables.is_empty() => "- pinot: no rebalance".into(),
        Some(step) if step.status == StepStatus::Skipped => format!(
            "- pinot: no rebalance needed ({})",
            step.message.as_deref().unwrap_or("already balanced")
        ),
        _ => format!("- pinot: rebalanced {}", tables.join(", ")),
    }
}

fn file_name(path: &str) -> &str {
    Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::runner::start_run;
    use crate::files::read_snapshot;
    use crate::plan::{Intent, plan};
    use crate::profile::Profile;

    fn example_run() -> ApplyRun {
        let snapshot =
            read_snapshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/snapshots/eks-kraft-6-nodes.json"))
                .unwrap();
        let plan = plan(&snapshot, Intent::Nodes(9), &Profile::builtin("kraft").unwrap()).unwrap();
        start_run(None, &plan, "checksum", "apply-1", "ops@host").run.unwrap()
    }

    #[test]
    fn the_message_says_what_the_steps_did_not_what_the_plan_guessed() {
        let mut run = example_run();
        let planned = message(&run.plan, &run);
        assert!(planned.starts_with("kfscale: scale "), "{planned}");
        assert!(planned.contains("from 6 to 9 nodes"), "{planned}");

        let moves = run.step_mut(StepName::KafkaReassignment).unwrap();
        moves.status = StepStatus::Done;
        moves.observed.insert("replicas_moved".into(), 7.into());
        moves.observed.insert("lower_bound".into(), 7.into());
        let pinot = run.step_mut(StepName::PinotRebalance).unwrap();
        pinot.status = StepStatus::Skipped;
        pinot.message = Some("every table already spread".into());
        let done = message(&run.plan, &run);
        assert!(done.contains("7 replica(s) moved (lower bound 7)"), "{done}");
        assert!(
            planned.contains("- pinot: rebalanced kf_metrics_REALTIME, kf_metrics_rollup_REALTIME"),
            "{planned}"
        );
        assert!(
            done.contains("- pinot: no rebalance needed (every table already spread)"),
            "{done}"
        );

        run.step_mut(StepName::KafkaReassignment).unwrap().status = StepStatus::Skipped;
        run.step_mut(StepName::KafkaPartitions).unwrap().status = StepStatus::Skipped;
        let skipped = message(&run.plan, &run);
        assert!(
            skipped.contains("no partition created by kfscale, no replica moved"),
            "{skipped}"
        );
    }

    #[test]
    fn a_skipped_pinot_rebalance_is_named_in_the_commit_message() {
        let snapshot =
            read_snapshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/snapshots/eks-kraft-6-nodes.json"))
                .unwrap();
        let options = crate::plan::PlanOptions {
            skip_pinot: true,
            ..Default::default()
        };
        let plan = crate::plan::plan_with(
            &snapshot,
            Intent::Nodes(9),
            &Profile::builtin("kraft").unwrap(),
            &options,
        )
        .unwrap();
        let run = start_run(None, &plan, "checksum", "apply-1", "ops@host").run.unwrap();
        let text = message(&run.plan, &run);
        assert!(
            text.contains("- pinot: REBALANCE SKIPPED by --skip-pinot (kf_metrics_REALTIME, kf_metrics_rollup_REALTIME not rebalanced"),
            "{text}"
        );
    }
}
