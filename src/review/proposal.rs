//! A proposal: the one commit `kfscale propose` puts on a review branch. It holds the planned
//! values file, and under kfscale's own directory the plan file and its Markdown report; its
//! message summarizes the change and ends with the `Kfscale-Plan:` trailer the review gate looks
//! for after the merge.
use std::path::{Path, PathBuf};

use crate::plan::Plan;

/// The trailer's key (git's trailer syntax: the last paragraph of the message).
pub const TRAILER_KEY: &str = "Kfscale-Plan";

/// The directory under `state.dir` that holds the proposals.
pub const PROPOSALS_DIR: &str = "proposals";

/// The trailer line naming a plan by its checksum (the sha256 hex of the plan file's plan).
pub fn trailer(checksum: &str) -> String {
    format!("{TRAILER_KEY}: {checksum}")
}

pub struct Proposal {
    /// The plan's short id: the first 12 hex digits of its checksum.
    pub id: String,
    /// `kfscale/<cluster>/<id>`.
    pub branch: String,
    /// `<state dir>/proposals/<id>`, relative to the repository root.
    pub dir: PathBuf,
    pub message: String,
}

impl Proposal {
    pub fn new(plan: &Plan, checksum: &str, cluster: &str, state_dir: &Path, values_file: &Path) -> Proposal {
        let id = short_id(checksum).to_string();
        let dir = state_dir.join(PROPOSALS_DIR).join(&id);
        let message = message(plan, checksum, &id, &dir, values_file);
        Proposal {
            branch: Proposal::branch_name(cluster, checksum),
            id,
            dir,
            message,
        }
    }

    /// The review branch of a plan: the same plan always gets the same branch.
    pub fn branch_name(cluster: &str, checksum: &str) -> String {
        format!("kfscale/{}/{}", ref_component(cluster), short_id(checksum))
    }

    pub fn plan_path(&self) -> PathBuf {
        self.dir.join("plan.json")
    }

    pub fn report_path(&self) -> PathBuf {
        self.dir.join("report.md")
    }
}

fn short_id(checksum: &str) -> &str {
    &checksum[..12.min(checksum.len())]
}

/// `name` as one component of a branch name: characters git refuses (space, `~^:?*[\`, control
/// characters, `..`, a leading `.` or `-`, a trailing `.lock`) become `-`.
fn ref_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("..") {
        out = out.replace("..", ".");
    }
    let out = out.trim_start_matches(['.', '-']).trim_end_matches('.');
    let out = out.strip_suffix(".lock").unwrap_or(out);
    if out.is_empty() {
        "cluster".into()
    } else {
        out.to_string()
    }
}

/// What reviewers read in the pull request: the change in a few lines, where the full report is,
/// how it is applied, and the trailer. No values: the diff shows them.
fn message(plan: &Plan, checksum: &str, id: &str, dir: &Path, values_file: &Path) -> String {
    let summary = &plan.summary;
    let pinot = if plan.pinot.tables.is_empty() {
        "- pinot: no rebalance".to_string()
    } else {
        let tables: Vec<&str> = plan.pinot.tables.iter().map(|t| t.table.as_str()).collect();
        format!("- pinot: rebalance {}", tables.join(", "))
    };
    let shown = |path: PathBuf| path.display().to_string();
    [
        format!(
            "kfscale: scale {} from {} to {} nodes (plan {id})",
            plan.node_pool.pool, plan.from_nodes, plan.to_nodes
        ),
        String::new(),
        "Proposed by `kfscale propose` for review. Nothing in the cluster changes until this is merged and then applied.".into(),
        String::new(),
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            summary.to_add, summary.to_change, summary.to_destroy
        ),
        format!(
            "- node pool: {} -> {} nodes",
            plan.node_pool.before.total(),
            plan.node_pool.after.total()
        ),
        format!(
            "- values: {} change(s) in {}",
            summary.values_changed,
            values_file.display()
        ),
        format!(
            "- kafka: {} broker(s) added, {} partition(s) created, {} replica(s) to move (lower bound {})",
            summary.brokers_added, summary.partitions_created, summary.replicas_moved, summary.lower_bound
        ),
        pinot,
        String::new(),
        format!("Report: {}", shown(dir.join("report.md"))),
        format!(
            "After the merge, from an up-to-date clone: kfscale apply {}",
            shown(dir.join("plan.json"))
        ),
        "Merge, squash or rebase as the branch requires; keep the trailer below in the commit message (the apply looks for it).".into(),
        String::new(),
        trailer(checksum),
    ]
    .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_are_stable_and_valid_refs() {
        let checksum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            Proposal::branch_name("acme-prod", checksum),
            "kfscale/acme-prod/0123456789ab"
        );
        assert_eq!(
            Proposal::branch_name("acme prod", checksum),
            Proposal::branch_name("acme prod", checksum)
        );
        for cluster in [
            "acme prod",
            "..x",
            "-lead",
            "a~b^c:d?e*f[g\\h",
            "x.lock",
            "",
            "ünï",
            "a..b.",
        ] {
            let branch = Proposal::branch_name(cluster, checksum);
            assert!(
                is_valid_ref(&format!("refs/heads/{branch}")),
                "{cluster:?} -> {branch:?} is not a valid ref"
            );
        }
    }

    /// What the real git says of a ref name.
    fn is_valid_ref(name: &str) -> bool {
        std::process::Command::new("git")
            .args(["check-ref-format", name])
            .status()
            .unwrap()
            .success()
    }
}
