//! Counting proxies in front of the rig's Kubernetes API server and moto (which count nothing a
//! client could tell apart: the API server's `apiserver_request_total` also counts the rig's own
//! controllers and daemon): the integration tests' proxies (tests/it/common/kube_proxy.rs and
//! eks_proxy.rs over fault_proxy.rs, shared as source: they depend on nothing else of the tests),
//! with no fault injected. kfscale and helm reach the API server through a kubeconfig of the proxy.
use std::collections::BTreeMap;

#[allow(dead_code)]
#[path = "../../tests/it/common/fault_proxy.rs"]
mod fault_proxy;

#[allow(dead_code)]
#[path = "../../tests/it/common/kube_proxy.rs"]
mod kube_proxy;

#[allow(dead_code)]
#[path = "../../tests/it/common/eks_proxy.rs"]
mod eks_proxy;

pub use eks_proxy::EksProxy;
use fault_proxy::FaultProxy;
pub use kube_proxy::KubeProxy;

/// Requests so far by operation, kfscale's and helm's apart (helm's User-Agent is `Helm/...`).
pub fn counts(proxy: &FaultProxy) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let (mut kfscale, mut helm) = (BTreeMap::new(), BTreeMap::new());
    for request in proxy.requests() {
        let counts = if request.agent.starts_with("Helm/") {
            &mut helm
        } else {
            &mut kfscale
        };
        *counts.entry(request.op).or_default() += 1;
    }
    (kfscale, helm)
}
