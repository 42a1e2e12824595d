//! The GKE client against the GKE fake (in-process): a pool's current size per zone, setSize and
//! setAutoscaling followed to DONE, the cluster, errors and the request counter.
use std::time::Duration;

use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{Fault, GkeFake, Seed};
use kfscale_gke::{Auth, Autoscaling, Gke, GkeOptions, PoolRef};

fn pool_ref() -> PoolRef {
    PoolRef {
        project: "kfuse-project".into(),
        location: "us-central1".into(),
        cluster: "kfuse".into(),
        pool: "kfuse-pool".into(),
    }
}

async fn connect(fake: &GkeFake, first_call_timeout: Duration) -> anyhow::Result<Gke> {
    Ok(Gke::connect(GkeOptions {
        endpoint: Some(fake.api_url()),
        auth: Auth::AccessToken("test-token\n".into()),
        first_call_timeout,
        call_timeout: Duration::from_secs(10),
    })
    .await?)
}

const ZONES: [&str; 3] = ["us-central1-a", "us-central1-b", "us-central1-c"];

#[tokio::test]
async fn a_resize_is_followed_to_done_and_the_size_comes_from_the_instance_groups() -> anyhow::Result<()> {
    let clock = ModelClock::new(0.0);
    let fake = GkeFake::start(&Seed::example(), 0, clock.clone()).await?;
    let gke = connect(&fake, Duration::from_secs(10)).await?;
    let pool = gke.node_pool(&pool_ref()).await?;
    assert_eq!(pool.name, "kfuse-pool");
    assert_eq!(pool.status, "RUNNING");
    assert_eq!(pool.locations, ZONES);
    assert_eq!(pool.machine_type, "n2-standard-16");
    assert_eq!(pool.labels.get("kf_role").map(String::as_str), Some("data"));
    assert_eq!(pool.size_per_zone.values().copied().collect::<Vec<_>>(), [2, 2, 2]);
    assert_eq!((pool.total_nodes(), pool.uniform_size_per_zone()), (6, Some(2)));
    assert_eq!(pool.autoscaling, None);

    let operation = gke.set_size(&pool_ref(), 3).await?;
    assert_eq!(
        (operation.operation_type.as_str(), operation.status.as_str()),
        ("SET_NODE_POOL_SIZE", "PENDING")
    );
    clock.advance(Duration::from_secs(10));
    assert_eq!(gke.operation(&pool_ref(), &operation.name).await?.status, "RUNNING");
    assert_eq!(gke.node_pool(&pool_ref()).await?.status, "RECONCILING");
    clock.advance(Duration::from_secs(100));
    let done = gke.operation(&pool_ref(), &operation.name).await?;
    assert!(done.is_done() && done.error.is_none(), "{done:?}");

    let resized = gke.node_pool(&pool_ref()).await?;
    assert_eq!(resized.initial_node_count, 2, "GKE never updates initialNodeCount");
    assert_eq!(resized.uniform_size_per_zone(), Some(3));
    assert_eq!(resized.total_nodes(), 9);
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn autoscaling_bounds_are_set() -> anyhow::Result<()> {
    let clock = ModelClock::new(0.0);
    let fake = GkeFake::start(&Seed::example(), 0, clock.clone()).await?;
    let gke = connect(&fake, Duration::from_secs(10)).await?;
    let bounds = Autoscaling {
        enabled: true,
        min_node_count: 1,
        max_node_count: 4,
        ..Default::default()
    };
    let operation = gke.set_autoscaling(&pool_ref(), bounds).await?;
    assert_eq!(operation.status, "PENDING");
    clock.advance(Duration::from_secs(200));
    assert!(gke.operation(&pool_ref(), &operation.name).await?.is_done());
    assert_eq!(gke.node_pool(&pool_ref()).await?.autoscaling, Some(bounds));
    assert_eq!(
        fake.mutations()
            .get("container.projects.locations.clusters.nodePools.setAutoscaling"),
        Some(&1)
    );
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn the_cluster_is_read() -> anyhow::Result<()> {
    let fake = GkeFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let gke = connect(&fake, Duration::from_secs(10)).await?;
    let cluster = gke.cluster(&pool_ref()).await?;
    assert_eq!(cluster.name, "kfuse");
    assert_eq!(cluster.locations, ZONES);
    assert_eq!(cluster.node_pools, ["kfuse-pool"]);
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_busy_cluster_and_the_quota_are_retriable() -> anyhow::Result<()> {
    let fake = GkeFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let gke = connect(&fake, Duration::from_secs(10)).await?;
    gke.set_size(&pool_ref(), 3).await?;
    let busy = gke.set_size(&pool_ref(), 4).await.unwrap_err();
    assert_eq!(busy.code(), Some("FAILED_PRECONDITION"), "{busy}");
    assert!(busy.is_retriable(), "{busy}");
    assert!(busy.to_string().contains("fix: another operation is running"), "{busy}");

    fake.add_fault(Fault::HttpError {
        method: "container.projects.locations.clusters.nodePools.setAutoscaling".into(),
        code: 429,
        status: None,
        message: None,
        applied: false,
        count: Some(1),
    });
    let quota = gke
        .set_autoscaling(&pool_ref(), Autoscaling::default())
        .await
        .unwrap_err();
    assert_eq!(quota.code(), Some("RESOURCE_EXHAUSTED"), "{quota}");
    assert!(quota.is_retriable());
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_missing_pool_points_at_the_config() -> anyhow::Result<()> {
    let fake = GkeFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let gke = connect(&fake, Duration::from_secs(10)).await?;
    let missing = PoolRef {
        pool: "nope".into(),
        ..pool_ref()
    };
    let err = gke.node_pool(&missing).await.unwrap_err();
    assert_eq!(err.code(), Some("NOT_FOUND"), "{err}");
    assert!(!err.is_retriable());
    let text = err.to_string();
    assert!(
        text.contains("nodePools.get on node pool nope") && text.contains("cluster.gcp.pool in kfscale.yaml"),
        "{text}"
    );
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_silent_endpoint_fails_the_first_call_in_time() -> anyhow::Result<()> {
    let fake = GkeFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    fake.add_fault(Fault::Latency {
        method: "container.projects.locations.clusters.nodePools.get".into(),
        millis: 5_000,
        count: Some(1),
    });
    let gke = connect(&fake, Duration::from_millis(500)).await?;
    let started = std::time::Instant::now();
    let err = gke.node_pool(&pool_ref()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(err.code(), Some("TIMEOUT"), "{err}");
    assert!(err.is_retriable());
    assert!(err.to_string().contains("cluster.gcp.endpoint"), "{err}");
    fake.stop().await;
    Ok(())
}

#[tokio::test]
async fn an_unreachable_endpoint_is_named() -> anyhow::Result<()> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let gke = Gke::connect(GkeOptions {
        endpoint: Some(format!("http://127.0.0.1:{port}/")),
        auth: Auth::AccessToken("t".into()),
        first_call_timeout: Duration::from_secs(10),
        call_timeout: Duration::from_secs(10),
    })
    .await?;
    let err = gke.node_pool(&pool_ref()).await.unwrap_err();
    assert!(err.is_retriable(), "{err}");
    assert!(err.to_string().contains("cluster.gcp.endpoint"), "{err}");
    Ok(())
}

#[tokio::test]
async fn requests_are_counted_per_method() -> anyhow::Result<()> {
    let fake = GkeFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await?;
    let gke = connect(&fake, Duration::from_secs(10)).await?;
    gke.node_pool(&pool_ref()).await?;
    let counts = gke.request_counts();
    assert_eq!(
        counts.get("container.projects.locations.clusters.nodePools.get"),
        Some(&1)
    );
    assert_eq!(counts.get("compute.instanceGroupManagers.get"), Some(&3));
    assert_eq!(fake.requests().len(), 4, "the fake saw exactly what was counted");
    fake.stop().await;
    Ok(())
}
