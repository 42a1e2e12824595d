//! A customer cluster whose kfscale.yaml reaches a system through the tests' fault proxy: the
//! Kubernetes API server (and so helm) through `KubeProxy`, EKS through `EksProxy`. The proxies
//! themselves know nothing of customers (benches/scale reuses them).
use anyhow::Result;
use kfscale_rig::RigEnv;

use super::customer::{Customer, CustomerSpec, customer_cluster};
use super::eks_proxy::EksProxy;
use super::kube_proxy::KubeProxy;

/// A single-AZ node group of 3 with the chart on it; kfscale.yaml (and so helm) reaches the API
/// server through a fault proxy, and gives up on a request after 2 s.
pub async fn customer_through_kube_proxy(prefix: &str) -> Result<(Customer, KubeProxy)> {
    customer_through_kube_proxy_with(CustomerSpec::single_az(prefix)).await
}

/// The same for a customer of `spec`.
pub async fn customer_through_kube_proxy_with(spec: CustomerSpec<'_>) -> Result<(Customer, KubeProxy)> {
    let mut customer = customer_cluster(spec).await?;
    let rig = RigEnv::from_env()?;
    let proxy = KubeProxy::start(&rig, customer.config.parent().unwrap_or(&customer.repo)).await?;
    customer.edit_config(
        &format!("kubeconfig: {},", rig.get("KUBECONFIG")?),
        &format!("kubeconfig: {}, timeout_seconds: 2,", proxy.kubeconfig().display()),
    )?;
    Ok((customer, proxy))
}

/// A single-AZ node group of 3 with the chart on it, whose kfscale.yaml reaches EKS through the
/// proxy.
pub async fn customer_through_eks_proxy(prefix: &str) -> Result<(Customer, EksProxy)> {
    let proxy = EksProxy::start(&RigEnv::from_env()?).await?;
    let customer = customer_cluster(CustomerSpec {
        eks_endpoint: Some(proxy.url()),
        ..CustomerSpec::single_az(prefix)
    })
    .await?;
    Ok((customer, proxy))
}
