//! Counting proxies in front of the rig's Kubernetes API server and moto (which count nothing a
//! client could tell apart: the API server's `apiserver_request_total` also counts the rig's own
//! controllers and daemon): the integration tests' recording proxy (tests/it/common/fault_proxy.rs),
//! with no fault injected. kfscale and helm reach the API server through a kubeconfig of the proxy.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kfscale_rig::RigEnv;

#[allow(dead_code)]
#[path = "../../tests/it/common/fault_proxy.rs"]
mod fault_proxy;

use fault_proxy::FaultProxy;

pub struct Counting {
    proxy: FaultProxy,
}

impl Counting {
    /// The Kubernetes API server's proxy, and a kubeconfig written into `dir` that goes through it.
    pub async fn kube(rig: &RigEnv, dir: &Path) -> (Counting, PathBuf) {
        let rig_kubeconfig = rig.get("KUBECONFIG").expect("the rig's kubeconfig");
        let ca = std::fs::read(Path::new(rig_kubeconfig).with_file_name("ca.crt")).expect("the rig's CA");
        let text = std::fs::read_to_string(rig_kubeconfig).expect("read the rig's kubeconfig");
        let token = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("token: "))
            .expect("a token in the rig's kubeconfig")
            .to_string();
        // client-go (helm) sends no bearer token over plain HTTP: the proxy adds it upstream.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value"),
        );
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("the CA"))
            .default_headers(headers)
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("an HTTP client");
        let proxy = FaultProxy::start(
            rig.get("KFSCALE_RIG_KUBE_URL").expect("the API server URL"),
            http,
            kube_operation,
        )
        .await
        .expect("the Kubernetes proxy starts");
        let kubeconfig = dir.join("kubeconfig-counted");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n  - name: counted\n    cluster:\n      server: {}\n\
                 users:\n  - name: admin\n    user:\n      token: {token}\n\
                 contexts:\n  - name: counted\n    context:\n      cluster: counted\n      user: admin\n\
                 current-context: counted\n",
                proxy.url()
            ),
        )
        .expect("write the kubeconfig");
        (Counting { proxy }, kubeconfig)
    }

    /// moto's proxy (`cluster.aws.endpoint`).
    pub async fn eks(rig: &RigEnv) -> Counting {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let upstream = rig.get("AWS_ENDPOINT_URL_EKS").expect("moto's URL");
        let proxy = FaultProxy::start(upstream, http, eks_operation)
            .await
            .expect("the EKS proxy starts");
        Counting { proxy }
    }

    pub fn url(&self) -> String {
        self.proxy.url()
    }

    /// Requests so far by operation, kfscale's and helm's apart (helm's User-Agent is `Helm/...`).
    pub fn counts(&self) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
        let (mut kfscale, mut helm) = (BTreeMap::new(), BTreeMap::new());
        for request in self.proxy.requests() {
            let counts = if request.agent.starts_with("Helm/") {
                &mut helm
            } else {
                &mut kfscale
            };
            *counts.entry(request.op).or_default() += 1;
        }
        (kfscale, helm)
    }
}

/// `METHOD resource`: `GET pods`, `GET nodes`, `GET secrets`.
fn kube_operation(method: &str, path: &str, _query: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest: &[&str] = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => return format!("{method} {path}"),
    };
    let resource = match rest {
        ["namespaces", _namespace, resource, ..] => resource,
        [resource, ..] => resource,
        [] => "",
    };
    format!("{method} {resource}")
}

/// `METHOD path` with the names left out (`GET clusters/*/node-groups/*`).
fn eks_operation(method: &str, path: &str, _query: &str) -> String {
    let shape: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .enumerate()
        .map(|(i, segment)| if i % 2 == 1 { "*" } else { segment })
        .collect();
    format!("{method} {}", shape.join("/"))
}
