//! The record: the final values file and the state and history files committed to the customer
//! repo, with a message naming the change, and pushed when a remote is configured. Only a
//! successful apply gets here; a failed one keeps its state without touching the branch.
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::engine::systems::GitTarget;
use crate::plan::Plan;
use crate::state::ApplyRun;

pub struct Recorded {
    pub commit: Option<String>,
    pub pushed: Option<String>,
}

/// Commits `files` (inside the repo) and pushes; a commit that finds nothing new is not an error
/// (a resumed apply may already have committed).
pub fn commit_and_push(git: Option<&GitTarget>, run: &ApplyRun, files: &[PathBuf]) -> anyhow::Result<Recorded> {
    let Some(git) = git else {
        return Ok(Recorded {
            commit: None,
            pushed: None,
        });
    };
    let repo = kfscale_git::Repo::discover(&git.repo)?;
    let relative: Vec<PathBuf> = files.iter().filter_map(|file| repo.relative(file).ok()).collect();
    let commit = repo.commit_files(&relative, &message(&run.plan, run))?;
    let pushed = match &git.remote {
        Some(remote) => {
            let branch = git.branch.clone().unwrap_or_else(|| "HEAD".into());
            kfscale_git::push(repo.root(), remote, &branch)?;
            Some(format!("{remote} {branch}"))
        }
        None => None,
    };
    Ok(Recorded { commit, pushed })
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
        format!(
            "- kafka: {} broker(s) added, {} partition(s) created, {} replica(s) moved (lower bound {})",
            summary.brokers_added, summary.partitions_created, summary.replicas_moved, summary.lower_bound
        ),
    ];
    let tables: Vec<&str> = plan.pinot.tables.iter().map(|t| t.table.as_str()).collect();
    lines.push(format!(
        "- pinot: {}",
        if tables.is_empty() {
            "no rebalance".into()
        } else {
            format!("rebalanced {}", tables.join(", "))
        }
    ));
    lines.push(String::new());
    lines.push(format!(
        "Apply {} by {}, chart {} {}.",
        run.id, run.operator, plan.release.chart, plan.release.chart_version
    ));
    lines.join("\n") + "\n"
}

fn file_name(path: &str) -> &str {
    Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path)
}
