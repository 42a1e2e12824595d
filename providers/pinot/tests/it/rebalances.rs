//! Rebalances against the Pinot fake: dry run, a tracked job, its status and jobs list, the 409 of a
//! second one, cancel, and the synchronous downtime rebalance.
use std::collections::BTreeMap;
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed};
use kfscale_pinot::{Pinot, TableType, Target};

fn parameters(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The example cluster plus a fourth realtime server that holds nothing yet.
async fn grown() -> anyhow::Result<(PinotFake, Pinot)> {
    let fake = PinotFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    fake.set_server_pod("pinot-server-realtime-3", true, None);
    let pinot = Pinot::connect(Target::Url(fake.api_url()), Duration::from_secs(10)).await?;
    Ok((fake, pinot))
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_summarises() -> anyhow::Result<()> {
    let (fake, pinot) = grown().await?;
    let result = pinot
        .rebalance(
            "kf_metrics",
            &parameters(&[("type", "REALTIME"), ("dryRun", "true"), ("preChecks", "true")]),
        )
        .await?;
    assert_eq!(result.status, "DONE", "{:?}", result.description);
    assert_eq!(result.servers, Some((3, 4)));
    assert!(result.segments_to_move.is_some_and(|n| n > 0), "{result:?}");
    assert!(!result.pre_checks.is_empty());
    assert!(!fake.mutations().contains_key("rebalance"), "a dry run is no mutation");
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_tracked_job_is_followed_refused_twice_and_cancelled() -> anyhow::Result<()> {
    let (fake, pinot) = grown().await?;
    let params = parameters(&[
        ("type", "REALTIME"),
        ("downtime", "false"),
        ("minAvailableReplicas", "1"),
    ]);
    let started = pinot.rebalance("kf_metrics_REALTIME", &params).await?;
    assert_eq!(started.status, "IN_PROGRESS", "{started:?}");
    let job = started.job_id.clone().expect("a tracked job has an id");

    let status = pinot.rebalance_status(&job).await?;
    assert_eq!(status.status, "IN_PROGRESS");
    let jobs = pinot.table_jobs("kf_metrics", &["TABLE_REBALANCE"]).await?;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (
            jobs[0].job_id.as_str(),
            jobs[0].table.as_str(),
            jobs[0].status.as_deref()
        ),
        (job.as_str(), "kf_metrics_REALTIME", Some("IN_PROGRESS"))
    );
    assert!(jobs[0].submission_time_ms.is_some());
    assert!(
        jobs[0]
            .start_time_ms
            .is_some_and(|start| start <= jobs[0].submission_time_ms.unwrap_or(0))
    );
    assert_eq!(jobs[0].original_job_id.as_deref(), Some(job.as_str()));

    let again = pinot.rebalance("kf_metrics", &params).await.unwrap_err();
    assert!(again.is_conflict(), "{again}");
    assert!(
        again
            .to_string()
            .contains("fix: a rebalance of this table is already running"),
        "{again}"
    );

    assert_eq!(
        pinot.cancel_rebalance("kf_metrics", TableType::Realtime).await?,
        std::slice::from_ref(&job)
    );
    assert_eq!(pinot.rebalance_status(&job).await?.status, "CANCELLED");
    assert_eq!(fake.mutations().get("rebalance"), Some(&2));
    assert_eq!(fake.mutations().get("cancelRebalance"), Some(&1));
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_downtime_rebalance_answers_done_and_is_not_tracked() -> anyhow::Result<()> {
    let (fake, pinot) = grown().await?;
    let result = pinot
        .rebalance(
            "kf_metrics",
            &parameters(&[("type", "REALTIME"), ("downtime", "true"), ("includeConsuming", "true")]),
        )
        .await?;
    assert_eq!(result.status, "DONE", "{result:?}");
    let job = result.job_id.expect("a job id");
    let err = pinot.rebalance_status(&job).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    fake.stop().await;
    Ok(())
}
