//! The fault proxy in front of the rig's Kubernetes API server, for the Kubernetes and Helm cells of
//! the fault matrix. kfscale and helm reach it over plain HTTP on 127.0.0.1 through a kubeconfig of
//! its own (same bearer token); it speaks TLS to the API server with the rig's CA. Requests are
//! named `METHOD resource` (`GET pods`, `POST secrets`); errors are answered as the API server
//! answers them, with a `Status` body.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kfscale_rig::RigEnv;

use super::fault_proxy::{Fault, FaultProxy};

pub struct KubeProxy {
    proxy: FaultProxy,
    kubeconfig: PathBuf,
}

impl std::ops::Deref for KubeProxy {
    type Target = FaultProxy;

    fn deref(&self) -> &FaultProxy {
        &self.proxy
    }
}

impl KubeProxy {
    /// Starts the proxy and writes its kubeconfig into `dir`.
    pub async fn start(rig: &RigEnv, dir: &Path) -> Result<KubeProxy> {
        let kube_dir = Path::new(rig.get("KUBECONFIG")?)
            .parent()
            .context("the rig's kubeconfig has no directory")?
            .to_path_buf();
        let ca = std::fs::read(kube_dir.join("ca.crt")).context("reading the rig's CA")?;
        let rig_config = std::fs::read_to_string(rig.get("KUBECONFIG")?)?;
        let token = rig_config
            .lines()
            .find_map(|line| line.trim().strip_prefix("token: "))
            .context("no token in the rig's kubeconfig")?;
        // client-go (helm) sends no bearer token over plain HTTP: the proxy adds it upstream.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
            .default_headers(headers)
            // No total timeout: watches last as long as the client asks.
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        let proxy = FaultProxy::start(rig.get("KFSCALE_RIG_KUBE_URL")?, http, operation).await?;
        let kubeconfig = dir.join("kubeconfig-through-proxy");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n  - name: proxied\n    cluster:\n      server: {}\n\
                 users:\n  - name: admin\n    user:\n      token: {token}\n\
                 contexts:\n  - name: proxied\n    context:\n      cluster: proxied\n      user: admin\n\
                 current-context: proxied\n",
                proxy.url()
            ),
        )?;
        Ok(KubeProxy { proxy, kubeconfig })
    }

    /// The kubeconfig that goes through the proxy.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The next `count` requests of `op` (None: all until cleared) get the API server's error:
    /// `status` with a `Status` of `reason`.
    pub fn fail(&self, op: &str, status: u16, reason: &str, message: &str, count: Option<u32>) {
        self.inject(op, status_error(status, reason, message), count);
    }

    /// The next `count` requests of `op` reach the API server and are carried out, then their
    /// answer is lost: the client gets this error instead.
    pub fn fail_after_applying(&self, op: &str, status: u16, reason: &str, message: &str, count: Option<u32>) {
        self.inject(
            op,
            Fault::Applied(Box::new(status_error(status, reason, message))),
            count,
        );
    }
}

/// A Kubernetes `Status` error answer.
fn status_error(status: u16, reason: &str, message: &str) -> Fault {
    let body = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status,
    });
    let mut headers = vec![("content-type", "application/json".to_string())];
    if status == 429 {
        headers.push(("retry-after", "1".to_string()));
    }
    Fault::Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// `METHOD resource` of an API path: `/api/v1/namespaces/ns/pods/x` -> `GET pods`;
/// `/apis/apps/v1/namespaces/ns/statefulsets` -> `GET statefulsets`; `/api/v1/nodes` -> `GET nodes`.
fn operation(method: &str, path: &str, _query: &str) -> String {
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
