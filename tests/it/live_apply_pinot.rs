//! `kfscale apply` rebalancing Pinot on the rig: a cluster grown 6 -> 12 nodes whose new
//! pinot-server pods register with an in-process Pinot fake (running clock), which then rebalances
//! the two tables the profile names. Shown: the rebalances end with every segment GOOD and one POST
//! per table; a kill -9 after the POST resumes by adopting the job, never posting again; segments
//! that stop loading fail as a stall and resume; a failed job fails naming it; a job whose
//! controller died is cancelled and issued again.
use std::fs::File;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use kfscale_fakes::pinot::{Fault, Seed, Timing};
use kfscale_pinot::TableJob;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, text};
use crate::common::pinot::{PinotForCluster, pinot_for, seed};

/// What the built-in profile rebalances by hand.
const PLANNED: [&str; 2] = ["kf_metrics", "kf_metrics_rollup"];
/// 12 partitions x (1 completed + 1 consuming) segments.
const SEGMENTS: u32 = 24;
/// Model seconds per real second of the Pinot fakes.
const CLOCK_SPEED: f64 = 20.0;

/// A cluster whose Kafka fake copies replicas fast (as the main apply test's), so the Kafka steps
/// before the rebalances finish in seconds; `profile_extra` goes into kfscale.yaml's `profile:`.
async fn customer(prefix: &str, profile_extra: &str) -> Result<Customer> {
    customer_cluster(CustomerSpec {
        prefix,
        kafka_speed: 50.0,
        kafka_extra: "reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}",
        profile_extra,
        ..CustomerSpec::default()
    })
    .await
}

/// A parameter set with tracked (no-downtime) jobs instead of the built-in synchronous
/// `downtime=true` one; `extra` adds parameters (`, key: "value"`).
fn tracked_profile(min_available_replicas: &str, extra: &str) -> String {
    format!(
        "pinot: {{parameter_sets: [{{name: test-tracked, chart_versions: \">=0.0.0\", parameters: {{downtime: \"false\", minAvailableReplicas: \"{min_available_replicas}\", includeConsuming: \"false\", reassignInstances: \"true\", bootstrap: \"false\", bestEfforts: \"false\", lowDiskMode: \"false\"{extra}}}}}]}}"
    )
}

/// The chart's Pinot for `customer`'s cluster.
async fn pinot(customer: &Customer, seed: &Seed) -> Result<PinotForCluster> {
    pinot_for(&customer.rig, seed, CLOCK_SPEED).await
}

/// Servers load a segment in a minute of model time (3 s here): a job runs long enough for a test
/// to act while it is IN_PROGRESS.
fn slow_loading(customer: &Customer) -> Result<Seed> {
    let timing = Timing {
        segment_load_seconds: 60.0,
        consuming_segment_load_seconds: 60.0,
        ..Timing::default()
    };
    seed(&customer.cluster.id, Some(timing))
}

async fn assert_planned_tables_good(pinot: &PinotForCluster, segments: u32) -> Result<()> {
    for table in PLANNED {
        assert_eq!(
            pinot.table(table).await?,
            (segments, 0, 12),
            "{table}: (GOOD, not GOOD, serving servers)"
        );
    }
    Ok(())
}

async fn rebalance_jobs(pinot: &PinotForCluster, table: &str) -> Result<Vec<TableJob>> {
    Ok(pinot.client().await?.table_jobs(table, &["TABLE_REBALANCE"]).await?)
}

fn ensure_ok(output: &Output) -> Result<()> {
    let (stdout, stderr) = text(output);
    ensure!(output.status.success(), "kfscale failed:\n{stderr}\n{stdout}");
    Ok(())
}

/// Resumes the interrupted apply; a killed apply's lease runs out within KFSCALE_LOCK_SECONDS, so
/// "locked" answers are retried until then.
async fn resume(customer: &Customer) -> Result<Output> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
        let (_, stderr) = text(&output);
        if !stderr.contains("the cluster is locked") || Instant::now() > deadline {
            return Ok(output);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Starts `apply --nodes 12` in the background, its stderr in a file next to kfscale.yaml.
fn spawn_apply(customer: &Customer, log: &str) -> Result<(Child, std::path::PathBuf)> {
    let log = customer.config.with_file_name(log);
    let child = customer
        .command(&[
            "apply",
            "--config",
            customer.config_arg()?,
            "--nodes",
            "12",
            "--auto-approve",
        ])
        .env("KFSCALE_LOCK_SECONDS", "2")
        .stdout(Stdio::null())
        .stderr(File::create(&log)?)
        .spawn()?;
    Ok((child, log))
}

/// Polls until the fake received the first rebalance POST (the apply got through node pool, upgrade
/// and rollout first); fails when the apply ends before that.
async fn until_first_rebalance(pinot: &PinotForCluster, child: &mut Child, log: &std::path::Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while pinot.mutations("rebalance") == 0 {
        if let Some(status) = child.try_wait()? {
            bail!(
                "apply ended ({status}) before any rebalance:\n{}",
                std::fs::read_to_string(log)?
            );
        }
        ensure!(Instant::now() < deadline, "no rebalance POST within 10 minutes");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

async fn wait_for_exit(child: &mut Child) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        ensure!(Instant::now() < deadline, "apply still running after 10 minutes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_rebalances_the_planned_tables_until_every_segment_is_good() -> Result<()> {
    let customer = customer("pinot-apply", "").await?;
    let pinot = pinot(&customer, &seed(&customer.cluster.id, None)?).await?;
    customer.configure(&pinot.config_section(""))?;
    let before = pinot.fake.requests().len();
    let started = Instant::now();
    let output = customer.apply(12)?;
    ensure_ok(&output)?;
    let (_, stderr) = text(&output);
    eprintln!(
        "apply 6 -> 12 nodes with two Pinot rebalances: {:.1} s; Pinot requests {:?}",
        started.elapsed().as_secs_f64(),
        pinot.requests_since(before)
    );
    assert!(
        stderr.contains("• pinot_rebalance") && stderr.contains("• validate"),
        "{stderr}"
    );

    // One POST per planned table (the built-in parameter set's synchronous downtime rebalance),
    // nothing cancelled; every segment GOOD and spread over the 12 servers.
    assert_eq!(pinot.mutations("rebalance"), PLANNED.len() as u64, "{stderr}");
    assert_eq!(pinot.mutations("cancelRebalance"), 0);
    assert_planned_tables_good(&pinot, SEGMENTS).await?;
    assert_eq!(
        pinot.table("kf_logs").await?,
        (SEGMENTS, 0, 6),
        "a table Pinot rebalances by itself is left alone"
    );

    let step = customer.step_record("pinot_rebalance")?;
    assert_eq!(step["status"], "done", "{step}");
    let message = step["message"].as_str().context("message")?;
    for table in PLANNED {
        assert!(
            message.contains(&format!("{table}_REALTIME: rebalanced (Success with downtime"))
                && message.contains("segments 24/24 GOOD, 0 UPDATING, 0 BAD on 12 servers (planned 12)"),
            "{message}"
        );
        assert!(
            step["handles"][format!("posted_{table}_REALTIME")]["known_jobs"].is_array(),
            "intent recorded before the POST: {step}"
        );
    }
    let validate = customer.step_record("validate")?;
    let checked = validate["message"].as_str().context("message")?;
    assert!(
        checked.contains("workloads Ready, spread over 12 nodes")
            && checked.contains("Kafka: no reassignment in flight, no throttle left, consumer lag at most 100000")
            && checked.contains("Pinot: all 144 segments of 6 tables GOOD"),
        "{checked}"
    );

    // Done: a new plan has no rebalance left.
    let plan = customer.kfscale(&["plan", "--config", customer.config_arg()?, "--nodes", "12", "--json"]);
    ensure_ok(&plan)?;
    let plan = crate::common::plan_of(&plan.stdout)?;
    assert_eq!(plan["pinot"]["tables"], serde_json::json!([]), "{}", plan["pinot"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_adopts_the_rebalance_it_posted_and_never_posts_twice() -> Result<()> {
    let customer = customer("pinot-kill", &tracked_profile("0", "")).await?;
    let pinot = pinot(&customer, &slow_loading(&customer)?).await?;
    customer.configure(&pinot.config_section(""))?;
    let (mut child, log) = spawn_apply(&customer, "killed-apply.log")?;
    until_first_rebalance(&pinot, &mut child, &log).await?;
    child.kill()?; // SIGKILL
    child.wait()?;
    assert_eq!(pinot.mutations("rebalance"), 1);

    // The intent was checkpointed before the POST. Whether the job id made it to the state too
    // depends on where the kill landed: drop it, so the resume faces the narrowest window (POST
    // accepted, id never recorded) every time.
    let store = kfscale::files::StateStore::new(&customer.repo.join(".kfscale"));
    let mut state = store.load()?.context("a state file")?;
    let step = state
        .run
        .as_mut()
        .and_then(|run| run.step_mut(kfscale::state::StepName::PinotRebalance))
        .context("the pinot_rebalance step")?;
    ensure!(
        step.handles.contains_key("posted_kf_metrics_REALTIME"),
        "intent recorded before the POST: {:?}",
        step.handles
    );
    let recorded = step.handles.remove("job_kf_metrics_REALTIME");
    store.save(&mut state)?;
    let posted = rebalance_jobs(&pinot, "kf_metrics_REALTIME").await?;
    assert_eq!(posted.len(), 1, "{posted:?}");
    if let Some(recorded) = recorded {
        assert_eq!(recorded, posted[0].job_id);
    }

    let output = resume(&customer).await?;
    ensure_ok(&output)?;
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains(&format!(
            "adopting rebalance job {} of kf_metrics_REALTIME",
            posted[0].job_id
        )),
        "{stderr}"
    );
    assert_eq!(
        pinot.mutations("rebalance"),
        PLANNED.len() as u64,
        "one POST per table, kill or not"
    );
    assert_eq!(pinot.mutations("cancelRebalance"), 0);
    let jobs = rebalance_jobs(&pinot, "kf_metrics_REALTIME").await?;
    assert_eq!(
        jobs.iter()
            .map(|j| (j.job_id.as_str(), j.status.as_deref()))
            .collect::<Vec<_>>(),
        [(posted[0].job_id.as_str(), Some("DONE"))]
    );
    assert_planned_tables_good(&pinot, SEGMENTS).await?;
    let step = customer.step_record("pinot_rebalance")?;
    assert_eq!(step["handles"]["job_kf_metrics_REALTIME"], posted[0].job_id.as_str());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn segments_that_stop_loading_fail_the_apply_as_a_stall_and_it_resumes() -> Result<()> {
    let customer = customer("pinot-stall", "").await?;
    let pinot = pinot(&customer, &slow_loading(&customer)?).await?;
    // 12 s without a change in the counts is a stall here (30 min by default); servers load a
    // segment in 3 s.
    customer.configure(&pinot.config_section(", stall_minutes: 0.2"))?;
    let (mut child, log) = spawn_apply(&customer, "stalled-apply.log")?;
    until_first_rebalance(&pinot, &mut child, &log).await?;
    pinot.fake.fault(Fault::StallLoading {
        table: Some("kf_metrics_REALTIME".into()),
    })?;
    let status = wait_for_exit(&mut child).await?;
    let stderr = std::fs::read_to_string(&log)?;
    assert_eq!(status.code(), Some(1), "{stderr}");
    let (good, updating, _) = pinot.table("kf_metrics").await?;
    assert!(updating > 0, "the fault keeps segments UPDATING");
    assert!(
        stderr.contains(&format!(
            "step pinot_rebalance failed: Pinot table kf_metrics_REALTIME stalled: {good}/24 GOOD, {updating} UPDATING, 0 BAD unchanged for"
        )) && stderr.contains(
            "(pinot.stall_minutes); fix: the servers are not loading the table's segments: check the pinot-server pods"
        ) && stderr.contains("then re-run `kfscale apply` to resume"),
        "{stderr}"
    );
    assert_eq!(customer.step_record("pinot_rebalance")?["status"], "failed");

    // The servers load again: the resumed apply finds nothing left to move and does not POST again.
    pinot.fake.clear_faults();
    let output = resume(&customer).await?;
    ensure_ok(&output)?;
    let (_, stderr) = text(&output);
    assert!(stderr.contains("kf_metrics_REALTIME: nothing to move"), "{stderr}");
    assert_eq!(pinot.mutations("rebalance"), PLANNED.len() as u64);
    assert_planned_tables_good(&pinot, SEGMENTS).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_rebalance_job_fails_the_apply_naming_the_job() -> Result<()> {
    // Replication 1 leaves no replica to keep serving without downtime: Pinot fails such a job.
    let customer = customer("pinot-failed", &tracked_profile("1", "")).await?;
    let pinot = pinot(&customer, &seed(&customer.cluster.id, None)?).await?;
    customer.configure(&pinot.config_section(""))?;
    let output = customer.apply(12)?;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}\n{stdout}");
    let jobs = rebalance_jobs(&pinot, "kf_metrics_REALTIME").await?;
    let failed = jobs.first().context("a job")?;
    assert_eq!(failed.status.as_deref(), Some("FAILED"));
    assert!(
        stderr.contains(&format!(
            "step pinot_rebalance failed: Pinot rebalance job {} of kf_metrics_REALTIME ended FAILED: the controller says: Illegal config for minReplicasToKeepUpForNoDowntime: 1, must be less than number of replicas: 1",
            failed.job_id
        )) && stderr.contains("re-run `kfscale apply`, which starts a new rebalance of kf_metrics_REALTIME"),
        "{stderr}"
    );

    // Reported once: the re-run does not fail on that job again but rebalances anew (and, with the
    // same parameters, fails the same way, naming the new job).
    let output = resume(&customer).await?;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("of kf_metrics_REALTIME ended FAILED")
            && !stderr.contains(&format!("job {} of", failed.job_id)),
        "{stderr}"
    );
    Ok(())
}

/// An apply whose first tracked job's controller restarts (10 s) mid-job: the job is left
/// IN_PROGRESS without a heartbeat. `on_restart` arms more faults at the restart. Returns the
/// Pinot fake, the orphaned job and the apply's stderr once it succeeded.
async fn failover_apply(
    prefix: &str,
    on_restart: impl FnOnce(&PinotForCluster) -> Result<()>,
) -> Result<(PinotForCluster, TableJob, String)> {
    // Heartbeats every 10 s (model): 30 s of silence means the job's controller is gone.
    let parameters = ", heartbeatIntervalInMs: \"10000\", batchSizePerServer: \"1\"";
    let customer = customer(prefix, &tracked_profile("0", parameters)).await?;
    // Four completed segments per partition and one segment per server per step: the job takes
    // several steps, so the restart leaves moves to do (a job whose last step is written only waits
    // for the servers, and a new dry run would find nothing to move).
    let mut seed = slow_loading(&customer)?;
    for table in &mut seed.tables {
        table.completed_segments_per_partition = 4;
    }
    let pinot = pinot(&customer, &seed).await?;
    customer.configure(&pinot.config_section(""))?;
    let (mut child, log) = spawn_apply(&customer, "failover-apply.log")?;
    until_first_rebalance(&pinot, &mut child, &log).await?;
    let orphan = rebalance_jobs(&pinot, "kf_metrics_REALTIME").await?;
    assert_eq!(orphan[0].status.as_deref(), Some("IN_PROGRESS"), "{orphan:?}");
    pinot.fake.fault(Fault::Restart { seconds: Some(10.0) })?;
    on_restart(&pinot)?;

    let status = wait_for_exit(&mut child).await?;
    let stderr = std::fs::read_to_string(&log)?;
    ensure!(status.success(), "apply failed:\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "job {} of kf_metrics_REALTIME is IN_PROGRESS without a heartbeat for",
            orphan[0].job_id
        )) && stderr
            .contains("its controller is gone and a failover does not resume it; cancelling it and rebalancing again"),
        "{stderr}"
    );
    let orphan = orphan[0].clone();
    Ok((pinot, orphan, stderr))
}

/// The orphan cancelled once, one more POST for its table, and the table done by the new job.
async fn assert_cancelled_once_and_reissued(pinot: &PinotForCluster, orphan: &TableJob) -> Result<()> {
    assert_eq!(pinot.mutations("cancelRebalance"), 1);
    assert_eq!(pinot.mutations("rebalance"), PLANNED.len() as u64 + 1);
    let jobs = rebalance_jobs(pinot, "kf_metrics_REALTIME").await?;
    let statuses: Vec<(bool, Option<&str>)> = jobs
        .iter()
        .map(|j| (j.job_id == orphan.job_id, j.status.as_deref()))
        .collect();
    assert!(
        statuses.contains(&(true, Some("CANCELLED"))) && statuses.contains(&(false, Some("DONE"))) && jobs.len() == 2,
        "{jobs:?}"
    );
    assert_planned_tables_good(pinot, 12 * 5).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebalance_whose_controller_died_is_cancelled_and_issued_again() -> Result<()> {
    let (pinot, orphan, _) = failover_apply("pinot-failover", |_| Ok(())).await?;
    assert_cancelled_once_and_reissued(&pinot, &orphan).await
}

/// Applied, answer lost (#15 item 1), on the cancel: the controller cancels the orphaned job and
/// answers 500. The step is retried, finds the job CANCELLED and posts a new rebalance without
/// cancelling again: one cancel reached the controller.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_applied_with_its_answer_lost_is_not_sent_again() -> Result<()> {
    let (pinot, orphan, stderr) = failover_apply("pinot-cancel-lost", |pinot| {
        pinot.fake.fault(Fault::HttpError {
            endpoint: "cancelRebalance".into(),
            code: 500,
            message: Some("Internal error: the answer was lost after the cancel".into()),
            applied: true,
            count: Some(1),
        })?;
        Ok(())
    })
    .await?;
    let lost = pinot
        .fake
        .requests()
        .iter()
        .filter(|r| r.endpoint == "cancelRebalance" && r.code == 500)
        .count();
    ensure!(lost == 1, "{lost} cancels answered 500:\n{stderr}");
    assert_cancelled_once_and_reissued(&pinot, &orphan).await
}
