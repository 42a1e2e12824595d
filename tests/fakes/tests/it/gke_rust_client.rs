//! The GKE fake against Google's own Rust client for container v1 (google-cloud-container-v1, the client
//! kfscale's GKE provider uses): it calls the `locations` paths with `$alt=json;enum-encoding=int`, so the
//! fake must answer enums as proto numbers, and it parses the answers into its typed model.
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use google_cloud_auth::credentials::{CacheableResource, Credentials, CredentialsProvider, EntityTag};
use google_cloud_container_v1::client::ClusterManager;
use google_cloud_container_v1::model::{node_pool, operation};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::gke::{GkeFake, Seed};

/// A fixed bearer token, as a test stands in for Application Default Credentials.
#[derive(Debug)]
struct Bearer(EntityTag);

impl CredentialsProvider for Bearer {
    async fn headers(
        &self,
        _extensions: axum::http::Extensions,
    ) -> Result<CacheableResource<HeaderMap>, google_cloud_auth::errors::CredentialsError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer test-token"));
        Ok(CacheableResource::New {
            entity_tag: self.0.clone(),
            data: headers,
        })
    }

    async fn universe_domain(&self) -> Option<String> {
        None
    }
}

const POOL: &str = "projects/kfuse-project/locations/us-central1/clusters/kfuse/nodePools/kfuse-pool";

#[tokio::test]
async fn the_rust_client_reads_pools_and_follows_a_resize_to_done() {
    let clock = ModelClock::new(0.0);
    let fake = GkeFake::start(&Seed::example(), 0, clock.clone()).await.unwrap();
    let client = ClusterManager::builder()
        .with_endpoint(fake.api_url().trim_end_matches('/'))
        .with_credentials(Credentials::from(Bearer(EntityTag::new())))
        .build()
        .await
        .unwrap();

    let pool = client.get_node_pool().set_name(POOL).send().await.unwrap();
    assert_eq!(pool.name, "kfuse-pool");
    assert_eq!(pool.initial_node_count, 2);
    assert_eq!(pool.locations, ["us-central1-a", "us-central1-b", "us-central1-c"]);
    assert_eq!(pool.status, node_pool::Status::Running);
    assert_eq!(pool.config.as_ref().unwrap().machine_type, "n2-standard-16");

    let op = client
        .set_node_pool_size()
        .set_name(POOL)
        .set_node_count(5)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (op.status.clone(), op.operation_type.clone()),
        (operation::Status::Pending, operation::Type::SetNodePoolSize)
    );
    let op_name = format!("projects/kfuse-project/locations/us-central1/operations/{}", op.name);
    clock.advance(Duration::from_secs(10));
    let running = client.get_operation().set_name(&op_name).send().await.unwrap();
    assert_eq!(running.status, operation::Status::Running);
    clock.advance(Duration::from_secs(100));
    let done = client.get_operation().set_name(&op_name).send().await.unwrap();
    assert_eq!(done.status, operation::Status::Done);
    assert!(done.error.is_none());

    let cluster = client
        .get_cluster()
        .set_name("projects/kfuse-project/locations/us-central1/clusters/kfuse")
        .send()
        .await
        .unwrap();
    assert_eq!(cluster.node_pools.len(), 1);
    assert_eq!(cluster.node_pools[0].status, node_pool::Status::Running);
    assert_eq!(
        fake.pool_sizes("kfuse", "kfuse-pool")
            .unwrap()
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![5, 5, 5]
    );

    let log = fake.requests();
    assert!(log.iter().all(|r| r.code == 200), "{log:#?}");
    assert_eq!(
        fake.mutations()
            .get("container.projects.locations.clusters.nodePools.setSize"),
        Some(&1)
    );
    fake.stop().await;
}

#[tokio::test]
async fn the_rust_client_sees_the_failed_precondition() {
    let fake = GkeFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await.unwrap();
    let client = ClusterManager::builder()
        .with_endpoint(fake.api_url().trim_end_matches('/'))
        .with_credentials(Credentials::from(Bearer(EntityTag::new())))
        .build()
        .await
        .unwrap();
    client
        .set_node_pool_size()
        .set_name(POOL)
        .set_node_count(3)
        .send()
        .await
        .unwrap();
    let error = client
        .set_node_pool_size()
        .set_name(POOL)
        .set_node_count(4)
        .send()
        .await
        .unwrap_err();
    let status = error.status().expect("a service error with Google's status");
    assert_eq!(format!("{:?}", status.code), "FailedPrecondition");
    assert!(status.message.contains("incompatible operation"), "{status:?}");
    fake.stop().await;
}
