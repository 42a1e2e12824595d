//! The credential chain's managed identity, through azure_identity's real code: with
//! IDENTITY_ENDPOINT and IDENTITY_HEADER set (App Service's managed identity) it gets its token from
//! the fake's identity endpoint on 127.0.0.1. No Azure CLI is on this test's PATH, so the chain's CLI
//! step fails and the managed identity is the credential kept. A test binary of its own: it sets the
//! process environment.
use std::time::Duration;

use kfscale_aks::{Aks, AksOptions, Credentials, PoolRef};
use kfscale_fakes::aks::{AksFake, IDENTITY_HEADER, Seed};
use kfscale_fakes::clock::ModelClock;

#[tokio::test]
async fn the_chain_falls_through_to_the_managed_identity() {
    let fake = AksFake::start(&Seed::example(), 0, ModelClock::new(0.0)).await.unwrap();
    let empty = tempfile_dir();
    // SAFETY: this binary runs one test, before any other thread reads the environment.
    unsafe {
        for name in [
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_FEDERATED_TOKEN_FILE",
            "MSI_ENDPOINT",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("PATH", &empty);
        std::env::set_var("IDENTITY_ENDPOINT", fake.identity_url());
        std::env::set_var("IDENTITY_HEADER", IDENTITY_HEADER);
    }
    let aks = Aks::connect(AksOptions {
        endpoint: Some(fake.api_url()),
        credentials: Credentials::Chain,
        call_timeout: Duration::from_secs(5),
        ..AksOptions::default()
    })
    .unwrap();
    aks.check_credentials().await.unwrap();
    assert_eq!(aks.credential().await, Some("managed identity"));
    let pool = PoolRef {
        subscription: "00000000-0000-4000-8000-000000000001".into(),
        resource_group: "kfuse-rg".into(),
        cluster: "kfuse".into(),
        pool: "kfuse".into(),
    };
    assert_eq!(aks.agent_pool(&pool).await.unwrap().count, 3);
    aks.agent_pool(&pool).await.unwrap();
    assert_eq!(fake.tokens_issued(), 1, "the token is cached");
    fake.stop().await;
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kfscale-aks-empty-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
