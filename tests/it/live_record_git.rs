//! The git record commits exactly kfscale's files, on `git.branch`, and lands on the remote: an
//! apply refuses to start (nothing changed: the node group keeps its size, no state is written)
//! when another branch is checked out, when the values file has uncommitted edits, or when the
//! clone is behind its remote; an operator's staged work stays out of the record and stays
//! staged; a push the remote does not keep fails the apply instead of reporting success.
use std::path::Path;

use anyhow::{Result, ensure};

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, git_output, run_git, text};
use crate::common::review::Reviewer;

/// The apply was refused before any change, naming each of `names`.
async fn assert_refused_untouched(customer: &Customer, names: &[&str]) -> Result<()> {
    let out = customer.apply(4)?;
    let (_, stderr) = text(&out);
    ensure!(out.status.code() == Some(1), "expected exit 1:\n{stderr}");
    for name in names.iter().chain(&["nothing was changed", "fix:"]) {
        ensure!(stderr.contains(name), "the refusal does not name {name:?}:\n{stderr}");
    }
    ensure!(
        customer.eks_desired_size().await? == Some(3),
        "the node group was resized"
    );
    ensure!(customer.state().is_err(), "a state was written");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn another_branch_checked_out_is_refused_before_any_change() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("record-branch")).await?;
    run_git(&customer.repo, &["switch", "-q", "-c", "experiment"])?;
    assert_refused_untouched(
        &customer,
        &["has experiment checked out, but git.branch is main", "switch main"],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn uncommitted_values_edits_are_refused_before_any_change() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("record-dirty")).await?;
    let values = customer.repo.join("values.yaml");
    let original = std::fs::read_to_string(&values)?;
    std::fs::write(&values, format!("{original}# an edit nobody committed\n"))?;
    assert_refused_untouched(&customer, &["values.yaml has uncommitted edits"]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clone_behind_its_remote_is_refused_before_any_change() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("record-behind")).await?;
    let colleague = Reviewer::clone_of(&customer.remote, &customer.config.with_file_name("colleague"))?;
    std::fs::write(colleague.clone.join("NOTES.md"), "a colleague's commit\n")?;
    run_git(&colleague.clone, &["add", "NOTES.md"])?;
    run_git(
        &colleague.clone,
        &["-c", "user.name=c", "-c", "user.email=c@c", "commit", "-qm", "notes"],
    )?;
    run_git(&colleague.clone, &["push", "-q", "origin", "main"])?;
    assert_refused_untouched(&customer, &["1 commit(s) behind origin/main", "pull --ff-only"]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn staged_work_stays_out_of_the_record_and_stays_staged() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("record-staged")).await?;
    let repo = &customer.repo;
    std::fs::write(repo.join("operator-notes.txt"), "work in progress\n")?;
    run_git(repo, &["add", "operator-notes.txt"])?;
    let out = customer.apply(4)?;
    ensure!(out.status.success(), "the apply failed:\n{}", text(&out).1);
    let files = git_output(&customer.remote, &["show", "--name-only", "--format=", "main"])?;
    ensure!(
        !files.contains("operator-notes.txt") && files.contains(".kfscale/state.json") && files.contains("values.yaml"),
        "the record holds {files}"
    );
    let status = git_output(repo, &["status", "--porcelain"])?;
    let staged: Vec<&str> = status.lines().filter(|line| !line.starts_with("??")).collect();
    ensure!(
        staged == ["A  operator-notes.txt"],
        "the operator's staged file is not staged as it was: {status}"
    );
    ensure!(
        git_output(repo, &["rev-parse", "HEAD"])? == git_output(&customer.remote, &["rev-parse", "main"])?,
        "the record is not on the remote"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_the_remote_does_not_keep_fails_the_apply_and_a_rerun_records() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("record-landed")).await?;
    // A server that accepts the push, then puts main back (as a misbehaving hook or a concurrent
    // writer would).
    let hook = customer.remote.join("hooks/post-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = refs/heads/main ]; then git update-ref refs/heads/main \"$old\"; fi\ndone\n",
    )?;
    make_executable(&hook)?;
    let out = customer.apply(4)?;
    let (_, stderr) = text(&out);
    ensure!(out.status.code() == Some(1), "expected exit 1:\n{stderr}");
    let record = git_output(&customer.repo, &["rev-parse", "HEAD"])?;
    for name in [
        "after the push, origin's main points at",
        &format!("not at {}", record.trim()),
        "fix:",
    ] {
        ensure!(stderr.contains(name), "stderr does not name {name:?}:\n{stderr}");
    }
    ensure!(
        git_output(&customer.remote, &["rev-parse", "main"])? != record,
        "the hook did not put main back"
    );

    std::fs::remove_file(&hook)?;
    let out = customer.apply(4)?;
    let (_, stderr) = text(&out);
    ensure!(out.status.success(), "the re-run failed:\n{stderr}");
    // The re-run records the state it resumed with on top of the first record.
    let landed = git_output(&customer.remote, &["rev-parse", "main"])?;
    ensure!(
        landed == git_output(&customer.repo, &["rev-parse", "HEAD"])?,
        "the re-run did not land its record: main is {landed}\n{stderr}"
    );
    run_git(
        &customer.remote,
        &["merge-base", "--is-ancestor", record.trim(), "main"],
    )?;
    Ok(())
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}
