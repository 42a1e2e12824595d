//! Two operators at once, and a plan the world moved away from. While one apply runs, a second
//! from the same machine is refused by the local lock, and one from another operator's machine
//! (another state directory, another user) is refused by the Lease, naming the holder; neither
//! changes anything. A saved plan is refused once the values file changed after it was made.
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use anyhow::{Context, Result, ensure};

use crate::common::customer::{CustomerSpec, commit_all, customer_cluster};

#[tokio::test(flavor = "multi_thread")]
async fn a_second_apply_is_refused_with_the_holder_and_changes_nothing() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "concurrent",
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;
    let mut first = customer
        .command(&["apply", "--config", config, "--nodes", "12", "--auto-approve", "--json"])
        .env("USER", "alice")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    // The first holds the lock once it reports its first step.
    let mut events = BufReader::new(first.stdout.take().context("stdout")?).lines();
    loop {
        let line = events.next().context("the first apply ended before its first step")??;
        if line.contains("\"step_started\"") {
            break;
        }
    }

    // Same operator, same machine, same state directory (it would resume the running apply): the
    // local lock.
    let same = customer
        .command(&["apply", "--config", config, "--nodes", "12", "--auto-approve"])
        .env("USER", "alice")
        .output()?;
    let stderr = String::from_utf8_lossy(&same.stderr);
    assert_eq!(same.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("another kfscale on this machine holds"), "{stderr}");

    // Another operator: its own state directory, another user name: the Lease.
    let other_config = customer.config.with_file_name("kfscale-bob.yaml");
    let text = std::fs::read_to_string(&customer.config)?;
    std::fs::write(
        &other_config,
        text.replace("state: {dir: customer/.kfscale}", "state: {dir: bob-state}"),
    )?;
    let other = customer
        .command(&[
            "apply",
            "--config",
            other_config.to_str().context("path")?,
            "--nodes",
            "12",
            "--auto-approve",
        ])
        .env("USER", "bob")
        .output()?;
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the cluster is locked by alice@"), "{stderr}");
    assert!(stderr.contains("kfscale force-unlock apply-"), "{stderr}");
    assert!(
        !other_config.with_file_name("bob-state").join("state.json").exists(),
        "a refused apply writes no state"
    );

    // The first finishes undisturbed.
    for line in events {
        line?;
    }
    let status = first.wait()?;
    ensure!(status.success(), "the first apply failed: {status}");
    let state = customer.state()?;
    assert_eq!(state["run"]["status"], "succeeded");
    assert_eq!(
        state["run"]["operator"].as_str().map(|o| o.starts_with("alice@")),
        Some(true)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_refused_once_the_world_changed() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "stale",
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;
    let plan_file = customer.config.with_file_name("plan.json");
    let plan_path = plan_file.to_str().context("path")?;
    let planned = customer.kfscale(&["plan", "--config", config, "--nodes", "12", "-out", plan_path]);
    assert!(planned.status.success(), "{}", String::from_utf8_lossy(&planned.stderr));

    // Someone edits the values file after the plan, and commits it (an uncommitted edit is
    // refused earlier, by the clone's pre-flight).
    let values = customer.repo.join("values.yaml");
    let text = std::fs::read_to_string(&values)?;
    std::fs::write(&values, format!("{text}# edited by hand\n"))?;
    commit_all(&customer.repo, "an edit after the plan")?;

    let applied = customer.kfscale(&["apply", "--config", config, plan_path, "--auto-approve"]);
    let stderr = String::from_utf8_lossy(&applied.stderr);
    assert_eq!(applied.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is stale"), "{stderr}");
    assert!(stderr.contains("values changed since the plan was made"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(
        customer.eks_desired_size().await?,
        Some(6),
        "the node group is untouched"
    );
    assert!(!customer.repo.join(".kfscale/state.json").exists(), "no state written");
    Ok(())
}
