//! The fault proxy in front of the rig's moto, for tests that must prove how often kfscale mutated
//! an EKS node group (moto keeps no request counters and has no DescribeUpdate) and for the EKS
//! cells of the fault matrix. Point kfscale at it with `cluster.aws.endpoint: <url>`.
//!
//! Requests are recorded under their EKS operation name, with the `clientRequestToken` they
//! carried. [`EksProxy::swallow`] keeps the requests of one operation without forwarding or
//! answering them: a request lost together with the process that sent it (kill -9 while it is in
//! flight). [`EksProxy::fail`] answers with an AWS error as EKS's REST API shapes it.
use anyhow::Result;
use kfscale_rig::RigEnv;

use super::fault_proxy::{Fault, FaultProxy, ProxiedRequest};

pub const UPDATE_NODEGROUP_CONFIG: &str = "UpdateNodegroupConfig";
pub const DESCRIBE_NODEGROUP: &str = "DescribeNodegroup";

pub struct EksProxy {
    proxy: FaultProxy,
}

impl std::ops::Deref for EksProxy {
    type Target = FaultProxy;

    fn deref(&self) -> &FaultProxy {
        &self.proxy
    }
}

impl EksProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to the rig's moto (`AWS_ENDPOINT_URL_EKS`).
    pub async fn start(rig: &RigEnv) -> Result<EksProxy> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let proxy = FaultProxy::start(rig.get("AWS_ENDPOINT_URL_EKS")?, http, operation).await?;
        Ok(EksProxy { proxy })
    }

    /// The `clientRequestToken` of each UpdateNodegroupConfig received, in order (None: sent without).
    pub fn tokens(&self) -> Vec<Option<String>> {
        self.requests()
            .into_iter()
            .filter(|r| r.op == UPDATE_NODEGROUP_CONFIG)
            .map(|r: ProxiedRequest| r.token)
            .collect()
    }

    /// From now on, requests of `op` are recorded but neither forwarded nor answered.
    pub fn swallow(&self, op: &str) {
        self.inject(op, Fault::Hold, None);
    }

    /// Forward requests of `op` again.
    pub fn pass(&self, op: &str) {
        self.clear(op);
    }

    /// The next `count` requests of `op` get the AWS error `code` with HTTP `status`, in the
    /// REST-JSON shape EKS answers with (the SDK reads the code from `x-amzn-ErrorType`).
    pub fn fail(&self, op: &str, status: u16, code: &str, count: u32) {
        self.inject(op, eks_error(status, code), Some(count));
    }

    /// The next `count` requests of `op` reach moto and are carried out, then their answer is
    /// lost: the client gets `status` with EKS's error `code` instead.
    pub fn fail_after_applying(&self, op: &str, status: u16, code: &str, count: u32) {
        self.inject(op, Fault::Applied(Box::new(eks_error(status, code))), Some(count));
    }
}

/// An EKS error answer, as the SDK reads it (the error type in `x-amzn-errortype`).
fn eks_error(status: u16, code: &str) -> Fault {
    let body = serde_json::json!({ "message": format!("{code} injected by the test's EKS proxy") }).to_string();
    Fault::Answer {
        status,
        headers: vec![
            (
                "x-amzn-errortype",
                format!("{code}:http://internal.amazon.com/coral/com.amazonaws.eks/"),
            ),
            ("content-type", "application/json".into()),
        ],
        body,
    }
}

/// The EKS operation of a REST request (the routes of the EKS API reference).
fn operation(method: &str, path: &str, _query: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["clusters", _, "node-groups", _, "update-config"]) => UPDATE_NODEGROUP_CONFIG,
        ("POST", ["clusters", _, "node-groups", _, "update-version"]) => "UpdateNodegroupVersion",
        ("GET", ["clusters", _, "node-groups", _]) => DESCRIBE_NODEGROUP,
        ("DELETE", ["clusters", _, "node-groups", _]) => "DeleteNodegroup",
        ("GET", ["clusters", _, "node-groups"]) => "ListNodegroups",
        ("POST", ["clusters", _, "node-groups"]) => "CreateNodegroup",
        ("GET", ["clusters", _, "updates", _]) => "DescribeUpdate",
        ("GET", ["clusters", _, "updates"]) => "ListUpdates",
        ("GET", ["clusters", _]) => "DescribeCluster",
        ("GET", ["clusters"]) => "ListClusters",
        ("POST", ["clusters"]) => "CreateCluster",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}
