//! The review flow on the rig, end to end, over a bare path and over smart HTTP: a single-AZ
//! customer under `review.required` grows 3 -> 4 -> 5 -> 6 nodes, each plan proposed, merged on
//! the remote side (a merge commit, then a squash, then a rebase) and applied; an apply before the
//! merge is refused with nothing changed; `--no-review` applies and is on the record.
use std::path::PathBuf;

use anyhow::{Context, Result, ensure};

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, git_output, run_git, succeeded, text};
use crate::common::git_http::GitHttp;
use crate::common::review::{MergeStyle, Reviewer, Transport, commits_on, connect};

/// A customer under `review.required`, its remote reached over `transport`.
async fn reviewed_customer(prefix: &str, transport: Transport) -> Result<(Customer, Option<GitHttp>, Reviewer)> {
    let customer = customer_cluster(CustomerSpec::single_az(prefix)).await?;
    let http = connect(transport, &customer.repo, &customer.remote).await?;
    customer.configure("review: {required: true}\n")?;
    let reviewer = Reviewer::clone_of(&customer.remote, &customer.config.with_file_name("reviewer"))?;
    Ok((customer, http, reviewer))
}

/// `kfscale plan --nodes N -out FILE --propose`, then `kfscale propose FILE --json` (which must
/// find the same branch and push nothing): the plan file and the proposal.
fn plan_and_propose(customer: &Customer, nodes: u32) -> Result<(PathBuf, serde_json::Value)> {
    let plan = customer.config.with_file_name(format!("scale-{nodes}.plan"));
    let nodes = nodes.to_string();
    let config = customer.config_arg()?;
    let planned = succeeded(
        customer.kfscale(&[
            "plan",
            "--config",
            config,
            "--nodes",
            &nodes,
            "--out",
            path(&plan)?,
            "--propose",
        ]),
        "plan --propose",
    )?;
    let (stdout, _) = text(&planned);
    ensure!(stdout.contains("Proposed plan "), "{stdout}");
    let again = succeeded(
        customer.kfscale(&["propose", path(&plan)?, "--config", config, "--json"]),
        "propose",
    )?;
    let proposed: serde_json::Value = serde_json::from_slice(&again.stdout)?;
    ensure!(proposed["created"] == false, "the second propose pushed: {proposed}");
    let branch = proposed["branch"].as_str().context("no branch")?;
    ensure!(
        stdout.contains(&format!("pushed branch {branch} to origin")),
        "{stdout}"
    );
    ensure!(
        commits_on(&customer.remote, "main", branch)?.len() == 1,
        "the review branch is not one commit on main"
    );
    Ok((plan, proposed))
}

fn apply_plan(customer: &Customer, plan: &std::path::Path, extra: &[&str]) -> Result<std::process::Output> {
    let mut args = vec!["apply", path(plan)?, "--config", customer.config_arg()?];
    args.extend_from_slice(extra);
    Ok(customer.kfscale(&args))
}

/// The remote's main is the record of an apply of `merged`: only the state files, the message
/// naming the merge.
fn assert_reviewed_record(customer: &Customer, merged: &str) -> Result<()> {
    let files = git_output(&customer.remote, &["show", "--name-only", "--format=", "main"])?;
    // The history file, the Kafka rollback file when the plan moved replicas, and the state.
    let files: Vec<&str> = files.lines().filter(|f| !f.ends_with(".kafka-rollback.json")).collect();
    ensure!(
        files.len() == 2 && files[0].starts_with(".kfscale/history/apply-") && files[1] == ".kfscale/state.json",
        "the record holds {files:?}"
    );
    let message = git_output(&customer.remote, &["log", "-1", "--format=%B", "main"])?;
    ensure!(
        message.contains(&format!("Reviewed: applies {merged}, the merge into origin/main")),
        "{message}"
    );
    ensure!(
        git_output(&customer.remote, &["rev-parse", "main~1"])?.trim() == merged,
        "the record is not right on top of the merge"
    );
    let state = customer.state()?;
    let review = &state["run"]["review"];
    ensure!(
        review["kind"] == "merged" && review["merged_commit"] == merged && review["branch"] == "origin/main",
        "{review}"
    );
    Ok(())
}

async fn reviewed_scale_outs(transport: Transport, prefix: &str) -> Result<()> {
    let (customer, _http, reviewer) = reviewed_customer(prefix, transport).await?;
    for (nodes, style) in [(4, MergeStyle::Merge), (5, MergeStyle::Squash), (6, MergeStyle::Rebase)] {
        let (plan, proposed) = plan_and_propose(&customer, nodes)?;
        if nodes == 4 {
            let refused = apply_plan(&customer, &plan, &[])?;
            let (_, stderr) = text(&refused);
            ensure!(
                refused.status.code() == Some(1) && stderr.contains("not merged into origin/main"),
                "{stderr}"
            );
            ensure!(customer.eks_desired_size().await? == Some(3), "a refused apply resized");
            ensure!(customer.state().is_err(), "a refused apply wrote a state");
        }
        let branch = proposed["branch"].as_str().context("no branch")?;
        let merged = reviewer.merge(branch, style)?;
        run_git(&customer.repo, &["pull", "-q", "--ff-only", "origin", "main"])?;
        succeeded(
            apply_plan(&customer, &plan, &[])?,
            &format!("the reviewed apply to {nodes}"),
        )?;
        ensure!(
            customer.eks_desired_size().await? == Some(nodes as i32),
            "{style:?}: not {nodes} nodes"
        );
        assert_reviewed_record(&customer, &merged).with_context(|| format!("{style:?} merge"))?;
        ensure!(
            git_output(&customer.repo, &["rev-parse", "HEAD"])?
                == git_output(&customer.remote, &["rev-parse", "main"])?,
            "the clone and the remote differ after the record"
        );
    }
    Ok(())
}

async fn no_review_is_applied_and_recorded(transport: Transport, prefix: &str) -> Result<()> {
    let (customer, _http, _reviewer) = reviewed_customer(prefix, transport).await?;
    let plan = customer.config.with_file_name("scale-4.plan");
    succeeded(
        customer.kfscale(&[
            "plan",
            "--config",
            customer.config_arg()?,
            "--nodes",
            "4",
            "--out",
            path(&plan)?,
        ]),
        "plan",
    )?;
    let applied = succeeded(apply_plan(&customer, &plan, &["--no-review"])?, "apply --no-review")?;
    let (_, stderr) = text(&applied);
    ensure!(stderr.contains("REVIEW SKIPPED"), "{stderr}");
    ensure!(customer.eks_desired_size().await? == Some(4), "not 4 nodes");
    let state = customer.state()?;
    let run = &state["run"];
    let operator = run["operator"].as_str().context("no operator")?;
    ensure!(operator.contains('@'), "operator {operator}");
    ensure!(
        run["review"]["kind"] == "skipped" && run["review"]["operator"] == operator,
        "{}",
        run["review"]
    );
    let message = git_output(&customer.remote, &["log", "-1", "--format=%B", "main"])?;
    ensure!(
        message.contains(&format!("REVIEW SKIPPED: applied with --no-review by {operator}")),
        "{message}"
    );
    let files = git_output(&customer.remote, &["show", "--name-only", "--format=", "main"])?;
    ensure!(
        files.contains("values.yaml"),
        "an unreviewed apply records the values file itself: {files}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn reviewed_scale_outs_merge_squash_rebase_over_a_bare_path() -> Result<()> {
    reviewed_scale_outs(Transport::Bare, "review-bare").await
}

#[tokio::test(flavor = "multi_thread")]
async fn reviewed_scale_outs_merge_squash_rebase_over_smart_http() -> Result<()> {
    reviewed_scale_outs(Transport::Http, "review-http").await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_review_is_applied_and_recorded_over_a_bare_path() -> Result<()> {
    no_review_is_applied_and_recorded(Transport::Bare, "noreview-bare").await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_review_is_applied_and_recorded_over_smart_http() -> Result<()> {
    no_review_is_applied_and_recorded(Transport::Http, "noreview-http").await
}

fn path(p: &std::path::Path) -> Result<&str> {
    p.to_str().context("path is not UTF-8")
}
