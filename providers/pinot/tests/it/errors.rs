//! Error paths: each error names the call and says what to do, and says whether a retry can help.
use std::collections::BTreeMap;
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{Fault, PinotFake, Seed};
use kfscale_pinot::{Pinot, PinotError, TableType, Target};

async fn example() -> anyhow::Result<(PinotFake, Pinot)> {
    let fake = PinotFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let pinot = Pinot::connect(Target::Url(fake.api_url()), Duration::from_secs(2)).await?;
    Ok((fake, pinot))
}

#[tokio::test]
async fn an_unknown_table_is_table_not_found() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    for err in [
        pinot.table_configs("kf_nope").await.unwrap_err(),
        pinot.segments_status("kf_nope", TableType::Realtime).await.unwrap_err(),
        pinot.external_view("kf_nope").await.unwrap_err(),
        pinot.table_jobs("kf_nope", &["TABLE_REBALANCE"]).await.unwrap_err(),
    ] {
        assert!(matches!(err, PinotError::TableNotFound { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("kf_nope") && text.contains("fix: check the table name"),
            "{text}"
        );
        assert!(!err.is_retriable());
    }
    let rebalance = pinot
        .rebalance("kf_nope", &[("type".to_string(), "REALTIME".to_string())].into())
        .await
        .unwrap_err();
    assert!(
        rebalance.to_string().contains("table kf_nope_REALTIME not found"),
        "{rebalance}"
    );
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_server_error_names_the_call_and_is_retriable() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    fake.fault(Fault::HttpError {
        endpoint: "segmentsStatus".into(),
        code: 503,
        message: Some("controller is restarting".into()),
        applied: false,
        count: Some(1),
    })?;
    let err = pinot
        .segments_status("kf_metrics", TableType::Realtime)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("GET /tables/kf_metrics/segmentsStatus?tableType=REALTIME")
            && text.contains("HTTP 503")
            && text.contains("controller is restarting")
            && text.contains("fix: the controller is starting or restarting"),
        "{text}"
    );
    assert!(err.is_retriable());
    // The fault was for one request only.
    assert_eq!(pinot.segments_status("kf_metrics", TableType::Realtime).await?.good, 16);
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn an_unreachable_controller_points_at_the_config() -> anyhow::Result<()> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let pinot = Pinot::connect(Target::Url(format!("http://127.0.0.1:{port}")), Duration::from_secs(2)).await?;
    let err = pinot.tables().await.unwrap_err();
    assert!(matches!(err, PinotError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("GET /tables") && text.contains(&format!("127.0.0.1:{port}")) && text.contains("check pinot.url"),
        "{text}"
    );
    assert!(err.is_retriable());
    Ok(())
}

#[tokio::test]
async fn a_slow_controller_times_out() -> anyhow::Result<()> {
    let fake = PinotFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let pinot = Pinot::connect(Target::Url(fake.api_url()), Duration::from_secs(1)).await?;
    fake.fault(Fault::Latency {
        endpoint: "listTables".into(),
        millis: 3000,
        count: Some(1),
    })?;
    let err = pinot.tables().await.unwrap_err();
    assert!(matches!(err, PinotError::Timeout { seconds: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("pinot.timeout_seconds"), "{err}");
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn an_unconvertible_parameter_is_not_a_missing_table() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    let params: BTreeMap<String, String> = [("type", "REALTIME"), ("minAvailableReplicas", "one")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let err = pinot.rebalance("kf_metrics", &params).await.unwrap_err();
    assert!(matches!(err, PinotError::Http { status: 404, .. }), "{err:?}");
    assert!(err.to_string().contains("profile.pinot.parameter_sets"), "{err}");
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_bad_url_is_refused_at_once() {
    let Err(err) = Pinot::connect(Target::Url("pinot-controller:9000".into()), Duration::from_secs(1)).await else {
        panic!("a URL without scheme is refused");
    };
    assert!(err.to_string().contains("fix: set pinot.url"), "{err}");
}
