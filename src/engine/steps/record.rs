//! The record: the final values file and the state and history files committed to the customer
//! repo, with a message naming the change, and pushed when a remote is configured. Only a
//! successful apply gets here; a failed one keeps its state without touching the branch.
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::engine::systems::GitTarget;
use crate::plan::Plan;
use crate::state::{ApplyRun, StepStatus};

/// Commits `files` (inside the repo); a commit that finds nothing new is not an error (a resumed
/// apply may already have committed).
pub fn commit(git: &GitTarget, run: &ApplyRun, files: &[PathBuf]) -> anyhow::Result<Option<String>> {
    let repo = kfscale_git::Repo::discover(&git.repo)?;
    let relative: Vec<PathBuf> = files.iter().filter_map(|file| repo.relative(file).ok()).collect();
    Ok(repo.commit_files(&relative, &message(&run.plan, run))?)
}

/// Pushes the branch to the remote, when one is configured: `Ok(Some("remote branch"))`.
pub fn push(git: &GitTarget) -> Result<Option<String>, kfscale_git::GitError> {
    let Some(remote) = &git.remote else {
        return Ok(None);
    };
    let repo = kfscale_git::Repo::discover(&git.repo)?;
    let branch = git.branch.clone().unwrap_or_else(|| "HEAD".into());
    kfscale_git::push_within(repo.root(), remote, &branch, git.push_timeout)?;
    Ok(Some(format!("{remote} {branch}")))
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
    let branch = git.branch.clone().unwrap_or_else(|| "HEAD".into());
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
            plan.node_pool.before.total, plan.node_pool.after.total
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
    let partitions = match run.step("kafka_partitions") {
        Some(step) if step.status == StepStatus::Skipped => "no partition created by kfscale".to_string(),
        _ => format!("{} partition(s) created", summary.partitions_created),
    };
    let moves = match run.step("kafka_reassignment") {
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
    match run.step("pinot_rebalance") {
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
    use crate::plan::{Intent, plan};
    use crate::profile::Profile;
    use crate::snapshot::read_snapshot;

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

        let moves = run.step_mut("kafka_reassignment").unwrap();
        moves.status = StepStatus::Done;
        moves.observed.insert("replicas_moved".into(), 7.into());
        moves.observed.insert("lower_bound".into(), 7.into());
        let pinot = run.step_mut("pinot_rebalance").unwrap();
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

        run.step_mut("kafka_reassignment").unwrap().status = StepStatus::Skipped;
        run.step_mut("kafka_partitions").unwrap().status = StepStatus::Skipped;
        let skipped = message(&run.plan, &run);
        assert!(
            skipped.contains("no partition created by kfscale, no replica moved"),
            "{skipped}"
        );
    }
}
