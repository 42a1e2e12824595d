//! The client's reads against the Pinot fake (in-process): tables, configs, segment status, views,
//! instances, and the request counter.
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed};
use kfscale_pinot::{Pinot, SegmentStatusCounts, TableType, Target};

async fn example() -> anyhow::Result<(PinotFake, Pinot)> {
    let fake = PinotFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let pinot = Pinot::connect(Target::Url(fake.api_url()), Duration::from_secs(10)).await?;
    Ok((fake, pinot))
}

#[tokio::test]
async fn tables_configs_and_segment_status() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    pinot.health().await?;
    assert_eq!(pinot.tables().await?, ["kf_logs", "kf_metrics", "kf_rollup_archive"]);

    let configs = pinot.table_configs("kf_metrics").await?;
    assert_eq!(configs.len(), 1);
    let metrics = &configs[0];
    assert_eq!(metrics.name, "kf_metrics_REALTIME");
    assert_eq!(metrics.table_type, TableType::Realtime);
    assert_eq!(metrics.replication, 2);
    assert_eq!(metrics.server_tag(), "DefaultTenant_REALTIME");
    assert_eq!(metrics.broker_tag(), "DefaultTenant_BROKER");
    let archive = &pinot.table_configs("kf_rollup_archive").await?[0];
    assert_eq!((archive.table_type, archive.replication), (TableType::Offline, 1));

    // 4 partitions x (3 completed + 1 consuming), all loaded.
    assert_eq!(
        pinot.segments_status("kf_metrics", TableType::Realtime).await?,
        SegmentStatusCounts {
            good: 16,
            ..Default::default()
        }
    );
    assert_eq!(
        pinot
            .segments_status("kf_metrics_REALTIME", TableType::Realtime)
            .await?
            .good,
        16
    );
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn views_say_which_servers_hold_segments() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    let view = pinot.external_view("kf_metrics").await?;
    assert!(view.offline.is_none());
    let servers: Vec<String> = view.serving_instances(TableType::Realtime).into_iter().collect();
    assert_eq!(servers.len(), 3, "{servers:?}");
    assert!(
        servers.iter().all(|s| s.starts_with("Server_pinot-server-realtime-")),
        "{servers:?}"
    );
    let ideal = pinot.ideal_state("kf_metrics_REALTIME").await?;
    assert_eq!(ideal.realtime.as_ref().map(|s| s.len()), Some(16));
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn instances_with_tags() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    let names = pinot.instances().await?;
    assert_eq!(names.len(), 7, "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let server = names
        .iter()
        .find(|n| n.starts_with("Server_pinot-server-offline-0"))
        .expect("the offline server");
    let instance = pinot.instance(server).await?;
    assert_eq!(instance.instance_type(), "SERVER");
    assert_eq!(instance.tags, ["DefaultTenant_OFFLINE"]);
    assert!(instance.enabled);
    assert_eq!(pinot.live_instances().await?.len(), 7);

    pinot
        .update_tags(
            server,
            &["DefaultTenant_OFFLINE".into(), "DefaultTenant_REALTIME".into()],
        )
        .await?;
    assert_eq!(
        pinot.instance(server).await?.tags,
        ["DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"]
    );
    assert_eq!(fake.mutations().get("updateTags"), Some(&1));
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn requests_are_counted_per_endpoint() -> anyhow::Result<()> {
    let (fake, pinot) = example().await?;
    for table in ["kf_logs", "kf_metrics"] {
        pinot.table_configs(table).await?;
        pinot.segments_status(table, TableType::Realtime).await?;
    }
    let counts = pinot.request_counts();
    assert_eq!(counts.get("GET /tables/{table}"), Some(&2));
    assert_eq!(counts.get("GET /tables/{table}/segmentsStatus"), Some(&2));
    assert_eq!(counts.values().sum::<u64>(), 4);
    assert_eq!(fake.requests().len(), 4, "the fake saw exactly what was counted");
    fake.stop().await;
    Ok(())
}
