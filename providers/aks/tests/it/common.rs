//! A fake cluster and a client of it.
use std::time::Duration;

use kfscale_aks::{Aks, AksOptions, Credentials, PoolRef};
use kfscale_fakes::aks::{AksFake, Seed};
use kfscale_fakes::clock::ModelClock;

pub const SUBSCRIPTION: &str = "00000000-0000-4000-8000-0000000000cc";

pub fn seed() -> Seed {
    serde_json::from_value(serde_json::json!({
        "subscriptions": [{"subscriptionId": SUBSCRIPTION}],
        "clusters": [{
            "resourceGroup": "kfuse-rg", "name": "kfuse", "location": "northeurope",
            "agentPools": [
                {"name": "kfuse", "count": 3, "vmSize": "Standard_D8s_v5", "availabilityZones": ["1", "2", "3"],
                 "nodeLabels": {"kf_role": "data"}},
                {"name": "auto", "count": 2, "vmSize": "Standard_D8s_v5", "enableAutoScaling": true, "minCount": 1, "maxCount": 3}
            ]
        }],
        "timing": {"operationSeconds": 30}
    }))
    .unwrap()
}

pub fn pool(name: &str) -> PoolRef {
    PoolRef {
        subscription: SUBSCRIPTION.into(),
        resource_group: "kfuse-rg".into(),
        cluster: "kfuse".into(),
        pool: name.into(),
    }
}

/// A fake on a frozen clock (tests move it) and a client with a fixed token.
pub async fn fake_and_client() -> (AksFake, Aks) {
    let fake = AksFake::start(&seed(), 0, ModelClock::new(0.0)).await.unwrap();
    let aks = Aks::connect(AksOptions {
        endpoint: Some(fake.api_url()),
        credentials: Credentials::AccessToken("test-token".into()),
        call_timeout: Duration::from_secs(5),
        ..AksOptions::default()
    })
    .unwrap();
    (fake, aks)
}
