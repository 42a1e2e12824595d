//! Fault matrix, git: the record's push goes over smart HTTP (`git http-backend`) through the
//! fault proxy (tests/it/common/git_http.rs), after a single-AZ customer grew 3 -> 4 nodes, with
//! `git.push_timeout_seconds: 2`. Faults are armed from the start: the planner never pushes, and
//! nothing but the record talks to the remote. Cells: a held push (timeout), 503 from the server,
//! 429 on ref discovery, a pre-receive hook refusing the push (permanent), the server going away
//! when the record starts, and a push taken whose answer is lost. A retried push must land the
//! record commit on the remote, once.
use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::common::customer::read_state;
use crate::common::customer::{Customer, CustomerSpec, customer_cluster, git_output, run_git};
use crate::common::fault_proxy::Fault;
use crate::common::faults::{Ended, LiveApply, finished_records};
use crate::common::git_http::GitHttp;

const RECEIVE_PACK: &str = "POST git-receive-pack";
/// A push's ref discovery (a fetch's is `...?service=git-upload-pack`).
const REF_DISCOVERY: &str = "GET info/refs?service=git-receive-pack";
const FETCH_DISCOVERY: &str = "GET info/refs?service=git-upload-pack";

/// A single-AZ customer whose clone pushes to its remote over HTTP through the fault proxy.
async fn git_customer(prefix: &str) -> Result<(Customer, GitHttp)> {
    let mut customer = customer_cluster(CustomerSpec::single_az(prefix)).await?;
    let root = customer.remote.parent().context("the remote has no parent directory")?;
    let name = customer.remote.file_name().context("the remote has no name")?;
    let http = GitHttp::serve(root).await?;
    let url = http.url_of(&name.to_string_lossy());
    run_git(&customer.repo, &["remote", "set-url", "origin", &url])?;
    customer.edit_config("remote: origin}", "remote: origin, push_timeout_seconds: 2}")?;
    Ok((customer, http))
}

/// The record commit (values, state and history) is the remote's `main`.
fn assert_on_the_remote(customer: &Customer) -> Result<()> {
    let local = git_output(&customer.repo, &["rev-parse", "HEAD"])?;
    let remote = git_output(&customer.remote, &["rev-parse", "main"])?;
    ensure!(
        local == remote,
        "the remote's main is {remote}, the clone's HEAD {local}"
    );
    let files = git_output(&customer.remote, &["show", "--name-only", "--format=", "main"])?;
    ensure!(
        files.contains(".kfscale/state.json"),
        "main is not the record commit: {files}"
    );
    Ok(())
}

/// The apply succeeded after riding out a push failure whose text contains `naming`.
fn assert_pushed_after_retry(customer: &Customer, ended: &Ended, naming: &str) -> Result<()> {
    ensure!(
        ended.status.success(),
        "the apply failed ({}):\n{}",
        ended.status,
        ended.stderr
    );
    let retries = ended.retries_in("record");
    ensure!(
        retries
            .iter()
            .any(|e| e["error"].as_str().unwrap_or("").contains(naming)),
        "no retried push naming {naming:?}: {retries:?}\n{}",
        ended.stderr
    );
    assert_on_the_remote(customer)
}

#[tokio::test(flavor = "multi_thread")]
async fn git_push_timeout_is_retried_and_the_record_lands() -> Result<()> {
    let (customer, http) = git_customer("git-timeout").await?;
    http.inject(RECEIVE_PACK, Fault::Hold, Some(1));
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_pushed_after_retry(&customer, &ended, "did not finish within 2 s")?;
    ensure!(http.forwarded(RECEIVE_PACK) == 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn git_5xx_is_retried_and_the_record_lands() -> Result<()> {
    let (customer, http) = git_customer("git-5xx").await?;
    let unavailable = Fault::Answer {
        status: 503,
        headers: vec![],
        body: "Service Unavailable".into(),
    };
    http.inject(RECEIVE_PACK, unavailable, Some(2));
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_pushed_after_retry(&customer, &ended, "503")?;
    Ok(())
}

/// A remote that throttles: 429 with `Retry-After: 1`.
fn throttled() -> Fault {
    Fault::Answer {
        status: 429,
        headers: vec![("retry-after", "1".into())],
        body: "Too Many Requests".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn git_throttling_is_retried_and_the_record_lands() -> Result<()> {
    let (customer, http) = git_customer("git-429").await?;
    http.inject(REF_DISCOVERY, throttled(), Some(2));
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_pushed_after_retry(&customer, &ended, "429")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_fetch_of_the_reviewed_branch_is_retried_before_anything_changes() -> Result<()> {
    let (customer, http) = git_customer("git-fetch-429").await?;
    http.inject(FETCH_DISCOVERY, throttled(), Some(2));
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    ensure!(
        ended.status.success(),
        "the apply failed ({}):\n{}",
        ended.status,
        ended.stderr
    );
    ensure!(
        http.count(FETCH_DISCOVERY) - http.forwarded(FETCH_DISCOVERY) == 2 && http.forwarded(FETCH_DISCOVERY) >= 1,
        "the fetch was not tried again after its two 429s: received {}, forwarded {}",
        http.count(FETCH_DISCOVERY),
        http.forwarded(FETCH_DISCOVERY)
    );
    assert_on_the_remote(&customer)
}

#[tokio::test(flavor = "multi_thread")]
async fn git_refused_push_stops_the_apply_naming_the_fix_and_a_rerun_records() -> Result<()> {
    let (customer, _http) = git_customer("git-refused").await?;
    let hook = customer.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'main is protected: changes go through review' >&2\nexit 1\n",
    )?;
    make_executable(&hook)?;
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    ensure!(ended.status.code() == Some(1), "expected exit 1:\n{}", ended.stderr);
    for name in [
        "git push origin main",
        "remote rejected",
        "main is protected",
        "fix:",
        "pull request",
    ] {
        ensure!(
            ended.stderr.contains(name),
            "stderr does not name {name:?}:\n{}",
            ended.stderr
        );
    }
    ensure!(ended.retries_in("record").is_empty(), "a refused push was retried");
    let state = customer.state()?;
    ensure!(state["run"]["status"] == "failed", "run: {}", state["run"]["status"]);
    let steps = finished_records(&state, None);
    ensure!(
        steps.len() == state["run"]["steps"].as_array().map_or(0, Vec::len),
        "a step is unfinished"
    );

    std::fs::remove_file(&hook)?;
    let ended = LiveApply::start(&customer, 4, "resume.log")?.end().await?;
    ensure!(ended.status.success(), "the re-run failed:\n{}", ended.stderr);
    ensure!(
        finished_records(&read_state(&customer.repo)?, None) == steps,
        "a step ran again"
    );
    assert_on_the_remote(&customer)
}

#[tokio::test(flavor = "multi_thread")]
async fn git_server_going_away_is_ridden_out_and_the_record_lands() -> Result<()> {
    let (customer, http) = git_customer("git-away").await?;
    let mut apply = LiveApply::start(&customer, 4, "apply.log")?;
    apply.step_started("record").await?;
    http.go_away();
    apply.retrying("record").await?;
    http.come_back().await?;
    let ended = apply.end().await?;
    assert_pushed_after_retry(&customer, &ended, "git push")?;
    Ok(())
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Applied, answer lost (#15 item 1): `git http-backend` takes the push (the remote's `main` is
/// the record commit) and the answer is lost (500). The retried push finds the remote up to date:
/// it sends no second pack, and the remote gained exactly one commit.
#[tokio::test(flavor = "multi_thread")]
async fn git_push_applied_with_its_answer_lost_lands_exactly_once() -> Result<()> {
    let (customer, http) = git_customer("git-lost").await?;
    let before = git_output(&customer.remote, &["rev-parse", "main"])?.trim().to_string();
    let lost = Fault::Applied(Box::new(Fault::Answer {
        status: 500,
        headers: vec![],
        body: "Internal Server Error".into(),
    }));
    http.inject(RECEIVE_PACK, lost, Some(1));
    let ended = LiveApply::start(&customer, 4, "apply.log")?.end().await?;
    assert_pushed_after_retry(&customer, &ended, "500")?;
    ensure!(
        http.forwarded(RECEIVE_PACK) == 1,
        "{} packs reached the remote",
        http.forwarded(RECEIVE_PACK)
    );
    let gained = git_output(&customer.remote, &["rev-list", "--count", &format!("{before}..main")])?;
    ensure!(gained.trim() == "1", "the remote gained {gained} commits");
    Ok(())
}
