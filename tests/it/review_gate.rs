//! The review flow against a real git remote, over a bare path and over smart HTTP, with no
//! cluster: the plan comes from the example snapshot (6 -> 9 nodes), whose values file the remote
//! holds, and kfscale.yaml names no reachable cluster. So an apply the gate lets through stops at
//! the kubeconfig, after printing the merge it found; one it refuses never gets that far. The
//! applies that then run on a cluster are in live_review.rs.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};

use crate::common::git_http::GitHttp;
use crate::common::review::{MergeStyle, Reviewer, Transport, commits_on, connect, git, output};

const VALUES: &str = "values/kraft-values.yaml";
const SNAPSHOT: &str = "examples/snapshots/eks-kraft-6-nodes.json";

/// A customer repo with a saved plan, its remote and a reviewer.
struct World {
    _dir: tempfile::TempDir,
    remote: PathBuf,
    clone: PathBuf,
    config: PathBuf,
    plan: PathBuf,
    reviewer: Reviewer,
    /// The plan's sha256 (hex).
    checksum: String,
    _http: Option<GitHttp>,
}

async fn world(transport: Transport) -> Result<World> {
    let dir = tempfile::tempdir()?;
    let remote = dir.path().join("customer.git");
    git(dir.path(), &["init", "-q", "--bare", "-b", "main", path(&remote)?])?;
    let clone = dir.path().join("customer");
    git(dir.path(), &["clone", "-q", path(&remote)?, path(&clone)?])?;
    std::fs::create_dir_all(clone.join("values"))?;
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/values/kraft-values.yaml"),
        clone.join(VALUES),
    )?;
    git(&clone, &["add", "."])?;
    git(&clone, &["commit", "-q", "-m", "Kloudfuse values"])?;
    git(&clone, &["push", "-q", "origin", "main"])?;
    let http = connect(transport, &clone, &remote).await?;
    let config = dir.path().join("kfscale.yaml");
    std::fs::write(
        &config,
        format!(
            "cluster:\n  aws: {{region: us-east-1, cluster: acme-prod, nodegroup: kfuse}}\n\
             kubernetes: {{kubeconfig: {}/no-kubeconfig, namespace: kfuse}}\n\
             helm: {{chart: \"oci://registry.invalid/kfuse\"}}\n\
             values: {{file: customer/{VALUES}}}\n\
             git: {{repo: customer, branch: main, remote: origin, push_timeout_seconds: 20}}\n\
             state: {{dir: customer/.kfscale}}\n\
             review: {{required: true}}\n",
            dir.path().display()
        ),
    )?;
    let plan = dir.path().join("scale-9.plan");
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    succeeded(
        kfscale(&[
            "plan",
            "--snapshot",
            path(&snapshot)?,
            "--nodes",
            "9",
            "--config",
            path(&config)?,
            "--out",
            path(&plan)?,
        ]),
        "plan",
    )?;
    let shown: serde_json::Value =
        serde_json::from_slice(&succeeded(kfscale(&["show", path(&plan)?, "--json"]), "show")?.stdout)?;
    let checksum = shown["checksum"]
        .as_str()
        .and_then(|c| c.strip_prefix("sha256:"))
        .context("no checksum")?
        .to_string();
    let reviewer = Reviewer::clone_of(&remote, &dir.path().join("reviewer"))?;
    Ok(World {
        _dir: dir,
        remote,
        clone,
        config,
        plan,
        reviewer,
        checksum,
        _http: http,
    })
}

impl World {
    fn propose(&self) -> Result<serde_json::Value> {
        let out = succeeded(
            kfscale(&["propose", path(&self.plan)?, "--config", path(&self.config)?, "--json"]),
            "propose",
        )?;
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    fn branch(&self) -> String {
        format!("kfscale/acme-prod/{}", &self.checksum[..12])
    }

    fn apply(&self, extra: &[&str]) -> Result<Output> {
        let mut args = vec!["apply", path(&self.plan)?, "--config", path(&self.config)?];
        args.extend_from_slice(extra);
        Ok(kfscale(&args))
    }

    fn pull(&self) -> Result<()> {
        git(&self.clone, &["pull", "-q", "--ff-only", "origin", "main"])
    }

    /// Refused by the review gate, naming each of `names`, with nothing changed.
    fn assert_refused(&self, out: &Output, names: &[&str]) -> Result<()> {
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(out.status.code() == Some(1), "expected exit 1:\n{stderr}");
        for name in names.iter().chain(&["review.required", "nothing was changed"]) {
            ensure!(stderr.contains(name), "the refusal does not name {name:?}:\n{stderr}");
        }
        ensure!(!stderr.contains("kubeconfig"), "got past the gate:\n{stderr}");
        ensure!(
            !self.clone.join(".kfscale/state.json").exists(),
            "a refused apply wrote a state"
        );
        Ok(())
    }

    /// Let through by the gate, which found `merged` (then stopped at the unreachable cluster).
    fn assert_passed(&self, out: &Output, merged: &str) -> Result<()> {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let found = format!("Review: the plan was merged into origin/main in {}.", &merged[..12]);
        ensure!(stderr.contains(&found), "no {found:?}:\n{stderr}");
        ensure!(stderr.contains("kubeconfig"), "stopped before the cluster:\n{stderr}");
        Ok(())
    }
}

/// Each case runs once with a bare path remote and once over smart HTTP.
macro_rules! over_both_transports {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use crate::common::review::Transport;

            #[tokio::test(flavor = "multi_thread")]
            async fn bare_path() -> anyhow::Result<()> {
                super::$case(Transport::Bare).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn smart_http() -> anyhow::Result<()> {
                super::$case(Transport::Http).await
            }
        }
    )*};
}

over_both_transports!(
    propose_pushes_one_commit_and_proposing_again_adds_none,
    apply_before_the_merge_is_refused_naming_the_branch_to_merge,
    a_merge_commit_passes_the_gate,
    a_squash_merge_passes_the_gate,
    a_rebase_merge_passes_the_gate,
    a_merge_of_an_edited_values_file_is_refused,
    a_values_change_after_the_merge_is_refused_as_stale,
    a_plan_made_at_apply_time_is_refused,
    no_review_goes_past_the_gate_loudly,
);

async fn propose_pushes_one_commit_and_proposing_again_adds_none(transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    let head_before = output(&world.clone, &["rev-parse", "HEAD"])?;
    let first = world.propose()?;
    let branch = world.branch();
    ensure!(first["branch"] == branch.as_str(), "{first}");
    ensure!(first["created"] == true, "{first}");
    let commits = commits_on(&world.remote, "main", &branch)?;
    ensure!(commits.len() == 1, "the review branch has {commits:?}");
    let commit = first["commit"].as_str().context("no commit")?;
    ensure!(commits[0].starts_with(commit), "{commits:?} vs {commit}");

    // The commit: the planned values file, the plan file as saved and its report, under
    // kfscale's directory; its message ends with the trailer.
    let files = output(&world.remote, &["show", "--name-only", "--format=", &branch])?;
    let dir = format!(".kfscale/proposals/{}", &world.checksum[..12]);
    ensure!(
        files == format!("{dir}/plan.json\n{dir}/report.md\n{VALUES}\n"),
        "the proposal holds {files}"
    );
    let committed_plan = output(&world.remote, &["show", &format!("{branch}:{dir}/plan.json")])?;
    ensure!(
        committed_plan == std::fs::read_to_string(&world.plan)?,
        "the plan file changed"
    );
    let report = output(&world.remote, &["show", &format!("{branch}:{dir}/report.md")])?;
    ensure!(report.contains(&world.checksum), "the report lacks the fingerprint");
    let planned = output(&world.remote, &["show", &format!("{branch}:{VALUES}")])?;
    ensure!(
        planned.contains("numNodes: 9"),
        "the values file is not the planned one"
    );
    let message = output(&world.remote, &["log", "-1", "--format=%B", &branch])?;
    ensure!(
        message
            .trim_end()
            .ends_with(&format!("Kfscale-Plan: {}", world.checksum)),
        "{message}"
    );
    ensure!(message.starts_with("kfscale: scale "), "{message}");
    ensure!(
        first["compare_url"].is_null(),
        "a local remote has no compare page: {first}"
    );

    // The operator's clone is untouched.
    ensure!(
        output(&world.clone, &["rev-parse", "HEAD"])? == head_before,
        "HEAD moved"
    );
    ensure!(
        output(&world.clone, &["status", "--porcelain"])?.is_empty(),
        "the clone changed"
    );

    let second = world.propose()?;
    ensure!(second["created"] == false, "{second}");
    ensure!(
        second["branch"] == first["branch"] && second["commit"] == first["commit"],
        "{second}"
    );
    ensure!(
        commits_on(&world.remote, "main", &branch)? == commits,
        "a second propose changed the branch"
    );
    Ok(())
}

async fn apply_before_the_merge_is_refused_naming_the_branch_to_merge(transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    let branch = world.branch();
    let plan = path(&world.plan)?.to_string();
    let never_proposed = world.apply(&["--auto-approve"])?;
    world.assert_refused(
        &never_proposed,
        &[
            "not merged into origin/main",
            &format!("kfscale propose {plan}"),
            &branch,
        ],
    )?;
    world.propose()?;
    let proposed = world.apply(&[])?;
    world.assert_refused(
        &proposed,
        &[
            "not merged into origin/main",
            &format!("merge the review branch {branch} into origin/main"),
            &format!("Kfscale-Plan: {}", world.checksum),
        ],
    )
}

async fn merged_the(style: MergeStyle, transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    world.propose()?;
    let merged = world.reviewer.merge(&world.branch(), style)?;
    // The clone is behind the merge: refused before anything, with the pull to run.
    let behind = world.apply(&[])?;
    let stderr = String::from_utf8_lossy(&behind.stderr);
    ensure!(
        behind.status.code() == Some(1) && stderr.contains("behind origin/main") && stderr.contains("pull --ff-only"),
        "{stderr}"
    );
    world.pull()?;
    world.assert_passed(&world.apply(&[])?, &merged)?;
    let again: serde_json::Value = world.propose()?;
    ensure!(again["merged"] == merged.as_str(), "propose after the merge: {again}");
    Ok(())
}

async fn a_merge_commit_passes_the_gate(transport: Transport) -> Result<()> {
    merged_the(MergeStyle::Merge, transport).await
}

async fn a_squash_merge_passes_the_gate(transport: Transport) -> Result<()> {
    merged_the(MergeStyle::Squash, transport).await
}

async fn a_rebase_merge_passes_the_gate(transport: Transport) -> Result<()> {
    merged_the(MergeStyle::Rebase, transport).await
}

async fn a_merge_of_an_edited_values_file_is_refused(transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    world.propose()?;
    world.reviewer.edit_review_branch(&world.branch(), VALUES)?;
    let merge = world.reviewer.merge(&world.branch(), MergeStyle::Merge)?;
    world.pull()?;
    let lines = std::fs::read_to_string(world.clone.join(VALUES))?.lines().count();
    world.assert_refused(
        &world.apply(&[])?,
        &[
            "not the proposed one",
            &merge[..12],
            &format!("differs at line(s) {lines}"),
            "plan again",
        ],
    )
}

async fn a_values_change_after_the_merge_is_refused_as_stale(transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    world.propose()?;
    let merge = world.reviewer.merge(&world.branch(), MergeStyle::Merge)?;
    let change = world.reviewer.edit_main(VALUES)?;
    world.pull()?;
    world.assert_refused(
        &world.apply(&[])?,
        &[
            &format!("changed again after the reviewed merge {}", &merge[..12]),
            &change[..12],
            "the plan is stale",
            "plan again",
        ],
    )
}

async fn a_plan_made_at_apply_time_is_refused(transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    let out = kfscale(&[
        "apply",
        "--nodes",
        "9",
        "--auto-approve",
        "--config",
        path(&world.config)?,
    ]);
    world.assert_refused(&out, &["apply runs only a plan reviewers merged", "--propose"])
}

async fn no_review_goes_past_the_gate_loudly(transport: Transport) -> Result<()> {
    let world = world(transport).await?;
    let out = world.apply(&["--no-review"])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(stderr.contains("REVIEW SKIPPED"), "{stderr}");
    ensure!(
        stderr.contains("recorded in the state and in the record commit"),
        "{stderr}"
    );
    ensure!(stderr.contains("kubeconfig"), "stopped before the cluster:\n{stderr}");
    Ok(())
}

fn kfscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kfscale")
}

fn succeeded(out: Output, what: &str) -> Result<Output> {
    ensure!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    Ok(out)
}

fn path(p: &Path) -> Result<&str> {
    p.to_str().context("path is not UTF-8")
}
