//! The ARM client `cluster.azure` describes: its cloud and endpoint, and an access token file or the
//! Azure credential chain.
use std::time::Duration;

use anyhow::Context;
use kfscale_aks::{Aks, AksOptions, Cloud, Credentials, PoolRef};

use super::ConfigContext;
use crate::config::{AzureCloud, AzureCluster};

pub fn aks(context: &ConfigContext<'_>, azure: &AzureCluster) -> anyhow::Result<Aks> {
    let credentials = match &azure.access_token_file {
        Some(path) => {
            let path = context.resolve(path);
            let token = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: cannot read cluster.azure.access_token_file {}; fix: {}",
                    context.origin,
                    path.display(),
                    kfscale_aks::TOKEN_FILE_FIX
                )
            })?;
            crate::scrub::register_secret(token.trim());
            Credentials::AccessToken(token)
        }
        None => Credentials::Chain,
    };
    Ok(Aks::connect(AksOptions {
        endpoint: azure.endpoint.clone(),
        cloud: match azure.cloud {
            AzureCloud::Public => Cloud::Public,
            AzureCloud::UsGovernment => Cloud::UsGovernment,
            AzureCloud::China => Cloud::China,
        },
        credentials,
        call_timeout: Duration::from_secs(azure.timeout_seconds.max(1)),
    })?)
}

pub fn pool_ref(azure: &AzureCluster) -> PoolRef {
    PoolRef {
        subscription: azure.subscription.clone(),
        resource_group: azure.resource_group.clone(),
        cluster: azure.cluster.clone(),
        pool: azure.pool.clone(),
    }
}
