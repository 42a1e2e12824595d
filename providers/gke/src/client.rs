//! The GKE client: Google's `ClusterManager` (REST over reqwest) with credentials checked up front, a
//! timeout on every call (a clearer one on the first), and a request counter per API method.
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use google_cloud_auth::credentials::Credentials;
use google_cloud_container_v1::client::ClusterManager;
use google_cloud_container_v1::model;
use google_cloud_gax::retry_policy::{Aip194Strict, RetryPolicyExt};

use crate::credentials::{AdcSource, Auth, credentials};
use crate::error::{ADC_FIX, GkeError};
use crate::instance_groups::{TrustedHosts, target_sizes};
use crate::types::{Autoscaling, Cluster, NodePool, Operation, PoolRef};

/// Options of [`Gke::connect`].
#[derive(Debug, Clone)]
pub struct GkeOptions {
    /// container.googleapis.com override (a test fake); plain http works.
    pub endpoint: Option<String>,
    pub auth: Auth,
    /// The first call's limit: without credentials the client may wait on a metadata server that is
    /// not there.
    pub first_call_timeout: Duration,
    /// Every later call's limit.
    pub call_timeout: Duration,
}

impl Default for GkeOptions {
    fn default() -> GkeOptions {
        GkeOptions {
            endpoint: None,
            auth: Auth::ApplicationDefault,
            first_call_timeout: Duration::from_secs(20),
            call_timeout: Duration::from_secs(60),
        }
    }
}

pub struct Gke {
    client: ClusterManager,
    credentials: Credentials,
    adc: Option<AdcSource>,
    http: reqwest::Client,
    trusted: TrustedHosts,
    options: GkeOptions,
    answered: AtomicBool,
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Gke {
    /// Checks the credentials (no network when they are missing) and builds the client.
    pub async fn connect(options: GkeOptions) -> Result<Gke, GkeError> {
        let (credentials, adc) = credentials(&options.auth)?;
        let mut builder = ClusterManager::builder()
            .with_credentials(credentials.clone())
            // Reads are retried on UNAVAILABLE only (AIP-194), three attempts; mutations never.
            .with_retry_policy(Aip194Strict.with_attempt_limit(3));
        if let Some(endpoint) = &options.endpoint {
            builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
        }
        // Building may already ask the credentials for their universe domain (a metadata server).
        let client = tokio::time::timeout(options.first_call_timeout, builder.build())
            .await
            .map_err(|_| first_call_timeout("client setup", "GKE", &options, adc.as_ref()))?
            .map_err(|err| GkeError::Api {
                call: "client setup",
                resource: options
                    .endpoint
                    .clone()
                    .unwrap_or_else(|| "container.googleapis.com".into()),
                code: "CLIENT_SETUP".into(),
                http_status: None,
                message: err.to_string(),
                fix: "check cluster.gcp.endpoint in kfscale.yaml (a URL such as https://container.googleapis.com)"
                    .into(),
                retriable: false,
            })?;
        let http = reqwest::Client::builder()
            .timeout(options.call_timeout)
            .build()
            .map_err(|err| GkeError::Api {
                call: "client setup",
                resource: "compute.googleapis.com".into(),
                code: "CLIENT_SETUP".into(),
                http_status: None,
                message: err.to_string(),
                fix: "report this: the HTTP client could not be built".into(),
                retriable: false,
            })?;
        Ok(Gke {
            client,
            credentials,
            adc,
            http,
            trusted: TrustedHosts::new(options.endpoint.as_deref()),
            options,
            answered: AtomicBool::new(false),
            counts: Mutex::default(),
        })
    }

    /// Where the credentials came from (None: an explicit access token).
    pub fn credentials_source(&self) -> Option<&AdcSource> {
        self.adc.as_ref()
    }

    /// Requests sent so far by API method id (`container.projects.locations.clusters.nodePools.get`,
    /// `compute.instanceGroupManagers.get`, ...), failed ones included.
    pub fn request_counts(&self) -> BTreeMap<&'static str, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// `nodePools.get` plus one `instanceGroupManagers.get` per zone for the current sizes.
    pub async fn node_pool(&self, pool: &PoolRef) -> Result<NodePool, GkeError> {
        let name = pool.pool_name();
        let raw = self
            .call(
                "container.projects.locations.clusters.nodePools.get",
                &pool.to_string(),
                self.client.get_node_pool().set_name(&name).send(),
            )
            .await?;
        let urls = raw.instance_group_urls.clone();
        let count = || self.count("compute.instanceGroupManagers.get");
        let size_per_zone = target_sizes(
            &self.http,
            &self.credentials,
            &self.trusted,
            &pool.to_string(),
            &urls,
            &count,
        )
        .await?;
        Ok(node_pool(raw, size_per_zone))
    }

    /// `clusters.get`.
    pub async fn cluster(&self, pool: &PoolRef) -> Result<Cluster, GkeError> {
        let name = pool.cluster_name();
        let raw = self
            .call(
                "container.projects.locations.clusters.get",
                &format!("cluster {} ({}/{})", pool.cluster, pool.project, pool.location),
                self.client.get_cluster().set_name(&name).send(),
            )
            .await?;
        Ok(Cluster {
            name: raw.name,
            location: raw.location,
            locations: raw.locations,
            status: raw.status.name().unwrap_or("STATUS_UNSPECIFIED").to_string(),
            current_master_version: raw.current_master_version,
            node_pools: raw.node_pools.into_iter().map(|p| p.name).collect(),
        })
    }

    /// `nodePools.setSize`: `node_count` nodes **per zone** of the pool. Returns the operation to poll.
    pub async fn set_size(&self, pool: &PoolRef, node_count_per_zone: u32) -> Result<Operation, GkeError> {
        let count = i32::try_from(node_count_per_zone).map_err(|_| too_large(pool, node_count_per_zone))?;
        let raw = self
            .call(
                "container.projects.locations.clusters.nodePools.setSize",
                &pool.to_string(),
                self.client
                    .set_node_pool_size()
                    .set_name(pool.pool_name())
                    .set_node_count(count)
                    .send(),
            )
            .await?;
        Ok(operation(raw))
    }

    /// `nodePools.setAutoscaling`: per-zone bounds, or whole-pool bounds when `total_*` are set.
    pub async fn set_autoscaling(&self, pool: &PoolRef, bounds: Autoscaling) -> Result<Operation, GkeError> {
        let number = |n: u32| i32::try_from(n).map_err(|_| too_large(pool, n));
        let autoscaling = model::NodePoolAutoscaling::new()
            .set_enabled(bounds.enabled)
            .set_min_node_count(number(bounds.min_node_count)?)
            .set_max_node_count(number(bounds.max_node_count)?)
            .set_total_min_node_count(number(bounds.total_min_node_count)?)
            .set_total_max_node_count(number(bounds.total_max_node_count)?);
        let raw = self
            .call(
                "container.projects.locations.clusters.nodePools.setAutoscaling",
                &pool.to_string(),
                self.client
                    .set_node_pool_autoscaling()
                    .set_name(pool.pool_name())
                    .set_autoscaling(autoscaling)
                    .send(),
            )
            .await?;
        Ok(operation(raw))
    }

    /// `operations.get` of an operation of the pool's location (short or full name).
    pub async fn operation(&self, pool: &PoolRef, operation_name: &str) -> Result<Operation, GkeError> {
        let name = pool.operation_name(operation_name);
        let raw = self
            .call(
                "container.projects.locations.operations.get",
                &format!("operation {operation_name} ({}/{})", pool.project, pool.location),
                self.client.get_operation().set_name(&name).send(),
            )
            .await?;
        Ok(operation(raw))
    }

    /// `operations.list` of the pool's location, keeping the operations still running on this pool
    /// (their `targetLink` names it, under `locations/` or `zones/`). How a call whose answer was
    /// lost, or whose apply was killed before it recorded the operation, finds what GKE started.
    pub async fn running_operations_on(&self, pool: &PoolRef) -> Result<Vec<Operation>, GkeError> {
        let raw = self
            .call(
                "container.projects.locations.operations.list",
                &format!("operations of {}/{}", pool.project, pool.location),
                self.client
                    .list_operations()
                    .set_parent(format!("projects/{}/locations/{}", pool.project, pool.location))
                    .send(),
            )
            .await?;
        Ok(raw
            .operations
            .into_iter()
            .map(operation)
            .filter(|op| !op.is_done() && targets(&op.target_link, pool))
            .collect())
    }

    /// Counts the call, bounds it in time and maps its error.
    async fn call<T>(
        &self,
        method: &'static str,
        resource: &str,
        request: impl Future<Output = google_cloud_gax::Result<T>>,
    ) -> Result<T, GkeError> {
        self.count(method);
        let first = !self.answered.load(Ordering::Relaxed);
        let limit = if first {
            self.options.first_call_timeout
        } else {
            self.options.call_timeout
        };
        let result = match tokio::time::timeout(limit, request).await {
            Ok(result) => result,
            Err(_) if first => return Err(first_call_timeout(method, resource, &self.options, self.adc.as_ref())),
            Err(_) => {
                return Err(GkeError::Api {
                    call: method,
                    resource: resource.to_string(),
                    code: "TIMEOUT".into(),
                    http_status: None,
                    message: format!("no answer within {} s", limit.as_secs()),
                    fix: "GKE is slow or unreachable: kfscale retries; re-run if it gave up".into(),
                    retriable: true,
                });
            }
        };
        let value = result.map_err(|err| GkeError::from_gax(method, resource, &err))?;
        self.answered.store(true, Ordering::Relaxed);
        Ok(value)
    }

    fn count(&self, method: &'static str) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(method).or_default() += 1;
        }
    }
}

fn first_call_timeout(call: &'static str, resource: &str, options: &GkeOptions, adc: Option<&AdcSource>) -> GkeError {
    let waited = options.first_call_timeout.as_secs();
    let (message, fix) = match adc {
        Some(AdcSource::MetadataServer) => (
            format!(
                "no answer within {waited} s; the credentials come from the metadata server, which may be unreachable"
            ),
            ADC_FIX.to_string(),
        ),
        _ => (
            format!("no answer within {waited} s"),
            "check the network path to container.googleapis.com (or cluster.gcp.endpoint in kfscale.yaml); if the \
             credentials need a refresh, run `gcloud auth application-default login`"
                .to_string(),
        ),
    };
    GkeError::Api {
        call,
        resource: resource.to_string(),
        code: "TIMEOUT".into(),
        http_status: None,
        message,
        fix,
        retriable: true,
    }
}

fn too_large(pool: &PoolRef, value: u32) -> GkeError {
    GkeError::Api {
        call: "request",
        resource: pool.to_string(),
        code: "INVALID_ARGUMENT".into(),
        http_status: None,
        message: format!("{value} is beyond GKE's int32 node counts"),
        fix: "ask for a realistic node count".into(),
        retriable: false,
    }
}

fn non_negative(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn node_pool(raw: model::NodePool, size_per_zone: BTreeMap<String, u32>) -> NodePool {
    let config = raw.config.unwrap_or_default();
    NodePool {
        status: raw.status.name().unwrap_or("STATUS_UNSPECIFIED").to_string(),
        locations: raw.locations,
        initial_node_count: non_negative(raw.initial_node_count),
        size_per_zone,
        autoscaling: raw.autoscaling.map(|a| Autoscaling {
            enabled: a.enabled,
            min_node_count: non_negative(a.min_node_count),
            max_node_count: non_negative(a.max_node_count),
            total_min_node_count: non_negative(a.total_min_node_count),
            total_max_node_count: non_negative(a.total_max_node_count),
        }),
        machine_type: config.machine_type,
        labels: config.labels.into_iter().collect(),
        instance_group_urls: raw.instance_group_urls,
        name: raw.name,
    }
}

/// Whether an operation's `targetLink` (`https://container.googleapis.com/v1/projects/P/{locations|zones}/L/clusters/C/nodePools/N`)
/// names `pool`.
fn targets(target_link: &str, pool: &PoolRef) -> bool {
    let tail = format!("/clusters/{}/nodePools/{}", pool.cluster, pool.pool);
    let Some(head) = target_link.strip_suffix(&tail) else {
        return false;
    };
    [
        format!("/projects/{}/locations/{}", pool.project, pool.location),
        format!("/projects/{}/zones/{}", pool.project, pool.location),
    ]
    .iter()
    .any(|scope| head.ends_with(scope.as_str()))
}

fn operation(raw: model::Operation) -> Operation {
    Operation {
        operation_type: raw.operation_type.name().unwrap_or("TYPE_UNSPECIFIED").to_string(),
        status: raw.status.name().unwrap_or("STATUS_UNSPECIFIED").to_string(),
        error: raw.error.map(|status| {
            if status.message.is_empty() {
                format!("code {}", status.code)
            } else {
                status.message
            }
        }),
        target_link: raw.target_link,
        name: raw.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_targets_a_pool_by_its_regional_or_zonal_link_only() {
        let pool = PoolRef {
            project: "p".into(),
            location: "us-central1-a".into(),
            cluster: "c".into(),
            pool: "data".into(),
        };
        let base = "https://container.googleapis.com/v1/projects/p";
        assert!(targets(
            &format!("{base}/locations/us-central1-a/clusters/c/nodePools/data"),
            &pool
        ));
        assert!(targets(
            &format!("{base}/zones/us-central1-a/clusters/c/nodePools/data"),
            &pool
        ));
        assert!(!targets(
            &format!("{base}/zones/us-central1-a/clusters/c/nodePools/data-2"),
            &pool
        ));
        assert!(!targets(
            &format!("{base}/zones/us-central1-b/clusters/c/nodePools/data"),
            &pool
        ));
        assert!(!targets(
            &format!("{base}/zones/us-central1-a/clusters/c2/nodePools/data"),
            &pool
        ));
        assert!(!targets(
            "https://container.googleapis.com/v1/projects/p2/zones/us-central1-a/clusters/c/nodePools/data",
            &pool
        ));
    }
}
