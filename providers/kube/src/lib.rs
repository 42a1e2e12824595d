//! A thin, typed reader of the Kubernetes API for kfscale (kube-rs): nodes, workloads and their pods,
//! jobs, ConfigMaps and Secrets, the Helm release record, volumes. No kfscale rules in here: it
//! returns what the API says, in plain structs.
use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Node, PersistentVolumeClaim, Pod, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams};
use kube::config::KubeConfigOptions;

mod kubeconfig;
mod lease;
mod mutate;
mod release_record;
mod releases;
mod types;

use kubeconfig::read_kubeconfig;
pub use kubeconfig::{ContextInfo, describe_context};
pub use lease::{LeaseRecord, LeaseWrite};
pub use mutate::ClaimTemplate;
pub use release_record::{HelmReleaseRecord, decode_release};
pub use types::*;

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error(
        "cannot read the kubeconfig {path}: {message}; fix: check kubernetes.kubeconfig in kfscale.yaml or KUBECONFIG"
    )]
    Kubeconfig { path: String, message: String },
    /// No kubeconfig where kubectl would look: the caller knows which cloud command writes one.
    #[error("no kubeconfig: {tried} does not exist; fix: {fix}")]
    NoKubeconfig { tried: String, fix: String },
    #[error(
        "the kubeconfig {path} has no context `{context}`; it has: {known}; fix: name one of those (--context or kubernetes.context), or add the context"
    )]
    UnknownContext {
        path: String,
        context: String,
        known: String,
    },
    #[error(
        "the kubeconfig {path} has no current context; it has: {known}; fix: name one with --context or kubernetes.context (or `kubectl config use-context NAME`)"
    )]
    NoCurrentContext { path: String, known: String },
    #[error("cannot set up the Kubernetes client: {0}; fix: check the kubeconfig context and its credentials")]
    Config(String),
    #[error("Kubernetes API {action}: {source}; fix: {}", api_fix(source))]
    Api { action: String, source: kube::Error },
    #[error("the Helm release record {secret} cannot be decoded: {message}")]
    Release { secret: String, message: String },
}

impl KubeError {
    /// The API server was unreachable, slow, throttling (429) or failing (5xx): worth another try.
    pub fn is_retriable(&self) -> bool {
        match self {
            KubeError::Api { source, .. } => retriable(source),
            _ => false,
        }
    }
}

fn retriable(source: &kube::Error) -> bool {
    match source {
        kube::Error::Api(status) => status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => true,
        _ => false,
    }
}

/// What to do about an API error, by kind: the message alone rarely says.
fn api_fix(source: &kube::Error) -> &'static str {
    match source {
        kube::Error::Api(status) if status.code == 401 => {
            "the credentials were refused: refresh them (e.g. `aws eks update-kubeconfig` or `gcloud container clusters get-credentials`), then re-run"
        }
        kube::Error::Api(status) if status.code == 403 => {
            "the kubeconfig's user lacks this permission: grant it (RBAC) or use a context that has it, then re-run"
        }
        kube::Error::Api(status) if status.code == 404 => {
            "the object is gone: check kubernetes.namespace and helm.release in kfscale.yaml, then re-run"
        }
        kube::Error::Api(status) if status.code == 409 || status.code == 422 => {
            "the object changed or was refused by the API server: see the message, fix the object, then re-run"
        }
        _ if retriable(source) => {
            "the API server is unreachable, slow or overloaded: check it (`kubectl get --raw /readyz`), then re-run `kfscale apply` to resume"
        }
        _ => "check the kubeconfig context and the API server, then re-run `kfscale apply` to resume",
    }
}

/// A blip on the API server (429, 503, 504) is tried again quickly on kfscale's one retry curve,
/// 200 ms doubling to 5 s, at most 4 times; a longer outage reaches the step, which backs off.
const API_RETRY: kfscale_retry::RetryPolicy = kfscale_retry::RetryPolicy {
    initial: std::time::Duration::from_millis(200),
    max: std::time::Duration::from_secs(5),
    jitter: kfscale_retry::Jitter::Halving,
};
const API_RETRY_TRIES: u32 = 4;

#[derive(Clone)]
pub struct Kube {
    client: kube::Client,
    namespace: String,
}

const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest one API request may take by default (`kubernetes.timeout_seconds`).
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

impl Kube {
    /// A client for `namespace`, from `kubeconfig` (else KUBECONFIG / ~/.kube/config) and `context`
    /// (else the current one).
    pub async fn connect(kubeconfig: Option<&Path>, context: Option<&str>, namespace: &str) -> Result<Kube, KubeError> {
        Kube::connect_with_timeout(kubeconfig, context, namespace, READ_TIMEOUT).await
    }

    /// As [`Kube::connect`], with `timeout` as the longest one request may take.
    pub async fn connect_with_timeout(
        kubeconfig: Option<&Path>,
        context: Option<&str>,
        namespace: &str,
        timeout: std::time::Duration,
    ) -> Result<Kube, KubeError> {
        let options = KubeConfigOptions {
            context: context.map(String::from),
            ..Default::default()
        };
        let (file, shown) = read_kubeconfig(kubeconfig)?;
        if let Some(context) = context {
            kubeconfig::require_context(&file, &shown, context)?;
        }
        let config = kube::Config::from_custom_kubeconfig(file, &options)
            .await
            .map_err(|err| KubeError::Config(err.to_string()))?;
        // A stalled API server must end in an error, not hang the apply: the client has no read
        // timeout of its own. Generous, as port-forwarded streams ride on these connections.
        let mut config = config;
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
        // kube-rs retries 429/503/504 itself, 15 times and backing off up to 1000 s by default:
        // longer than kfscale's own waits would ever sit still. A few quick tries here smooth a
        // blip; a longer outage reaches the step, which backs off (capped) and shows it.
        config.default_retry = false;
        let retry = kube::client::retry::RetryPolicy::new(
            API_RETRY.initial,
            API_RETRY.max,
            API_RETRY_TRIES,
            // kube-rs's own jitter, on the shared curve.
            true,
        )
        .map_err(|err| KubeError::Config(err.to_string()))?;
        let client = kube::client::ClientBuilder::try_from(config)
            .map_err(|err| KubeError::Config(err.to_string()))?
            // The retry layer clones the service per try; the buffer makes the boxed stack cloneable.
            .with_layer(&tower::buffer::BufferLayer::new(1024))
            .with_layer(&tower::retry::RetryLayer::new(retry))
            .build();
        Ok(Kube {
            client,
            namespace: namespace.to_string(),
        })
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The same client aimed at another namespace.
    pub fn in_namespace(&self, namespace: &str) -> Kube {
        Kube {
            client: self.client.clone(),
            namespace: namespace.to_string(),
        }
    }

    pub async fn server_version(&self) -> Result<String, KubeError> {
        let info = self
            .client
            .apiserver_version()
            .await
            .map_err(api("read the server version"))?;
        Ok(info.git_version)
    }

    pub async fn nodes(&self) -> Result<Vec<NodeInfo>, KubeError> {
        let nodes = Api::<Node>::all(self.client.clone())
            .list(&ListParams::default())
            .await
            .map_err(api("list nodes"))?;
        Ok(nodes.items.iter().map(types::node_info).collect())
    }

    /// Deployments, StatefulSets and DaemonSets of the namespace, with their Ready pods per node.
    ///
    /// The controllers are read before the pods: a controller counts a pod Ready only after the pod
    /// is, so pods read afterwards hold at least every pod its status counts. Read the other way
    /// round, a pod turning Ready between the two reads is counted Ready in the status but missing
    /// from its node, and an even spread looks crowded.
    pub async fn workloads(&self) -> Result<Vec<WorkloadInfo>, KubeError> {
        let mut workloads = self.workload_counts().await?;
        let pods = self
            .namespaced::<Pod>()
            .list(&ListParams::default())
            .await
            .map_err(api("list pods"))?;
        let pods: Vec<PodInfo> = pods.items.iter().map(types::pod_info).collect();
        for workload in &mut workloads {
            workload.ready_pods_per_node = types::ready_pods_per_node(workload, &pods);
        }
        Ok(workloads)
    }

    /// The workloads with their replica counts and status but no pods (`ready_pods_per_node`
    /// empty): for checks that need only counts, without the pod list, the largest answer of a
    /// big namespace.
    pub async fn workload_counts(&self) -> Result<Vec<WorkloadInfo>, KubeError> {
        let params = ListParams::default();
        let deployments = self
            .namespaced::<Deployment>()
            .list(&params)
            .await
            .map_err(api("list deployments"))?;
        let statefulsets = self
            .namespaced::<StatefulSet>()
            .list(&params)
            .await
            .map_err(api("list statefulsets"))?;
        let daemonsets = self
            .namespaced::<DaemonSet>()
            .list(&params)
            .await
            .map_err(api("list daemonsets"))?;
        let mut out = Vec::new();
        out.extend(deployments.items.iter().map(types::deployment_info));
        out.extend(statefulsets.items.iter().map(types::statefulset_info));
        out.extend(daemonsets.items.iter().map(types::daemonset_info));
        out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        Ok(out)
    }

    pub async fn pods(&self) -> Result<Vec<PodInfo>, KubeError> {
        let pods = self
            .namespaced::<Pod>()
            .list(&ListParams::default())
            .await
            .map_err(api("list pods"))?;
        Ok(pods.items.iter().map(types::pod_info).collect())
    }

    pub async fn jobs(&self) -> Result<Vec<JobInfo>, KubeError> {
        let jobs = self
            .namespaced::<Job>()
            .list(&ListParams::default())
            .await
            .map_err(api("list jobs"))?;
        Ok(jobs.items.iter().map(types::job_info).collect())
    }

    pub async fn config_map_value(&self, name: &str, key: &str) -> Result<Option<String>, KubeError> {
        let map = self
            .namespaced::<ConfigMap>()
            .get_opt(name)
            .await
            .map_err(api(&format!("read ConfigMap {name}")))?;
        Ok(map.and_then(|map| map.data).and_then(|data| data.get(key).cloned()))
    }

    /// One key of a Secret, decoded (only for non-secret values such as the KRaft cluster id).
    pub async fn secret_value(&self, name: &str, key: &str) -> Result<Option<String>, KubeError> {
        let secret = self
            .namespaced::<Secret>()
            .get_opt(name)
            .await
            .map_err(api(&format!("read Secret {name}")))?;
        Ok(secret.and_then(|secret| secret.data).and_then(|data| {
            data.get(key)
                .map(|bytes| String::from_utf8_lossy(&bytes.0).into_owned())
        }))
    }

    pub async fn pvcs(&self) -> Result<Vec<VolumeClaimInfo>, KubeError> {
        let claims = self
            .namespaced::<PersistentVolumeClaim>()
            .list(&ListParams::default())
            .await
            .map_err(api("list PVCs"))?;
        Ok(claims.items.iter().map(types::claim_info).collect())
    }

    pub async fn storage_classes(&self) -> Result<Vec<StorageClassInfo>, KubeError> {
        let classes = Api::<StorageClass>::all(self.client.clone())
            .list(&ListParams::default())
            .await
            .map_err(api("list storage classes"))?;
        Ok(classes
            .items
            .iter()
            .map(|class| StorageClassInfo {
                name: class.metadata.name.clone().unwrap_or_default(),
                provisioner: class.provisioner.clone(),
                parameters: class
                    .parameters
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect::<BTreeMap<_, _>>(),
                allow_volume_expansion: class.allow_volume_expansion.unwrap_or(false),
            })
            .collect())
    }

    fn namespaced<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }
}

pub(crate) fn api(action: &str) -> impl FnOnce(kube::Error) -> KubeError + '_ {
    move |source| KubeError::Api {
        action: action.to_string(),
        source,
    }
}
