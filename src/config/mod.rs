//! kfscale.yaml: where the cluster is and how to reach it, and the profile overrides.
//! Read through the values parser, so an error names the file, the line and the key.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::plan::GrowthSettings;
use crate::values::{ValuesError, typed};

mod control_plane_alerts;
mod loaded;

pub use control_plane_alerts::ControlPlaneAlerts;
pub use loaded::{CONFIG_ENV, LoadedConfig, config_path, planning_error};

pub const DEFAULT_CONFIG_FILE: &str = "kfscale.yaml";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub cluster: Option<ClusterConfig>,
    #[serde(default)]
    pub kubernetes: KubernetesConfig,
    #[serde(default)]
    pub helm: HelmConfig,
    #[serde(default)]
    pub values: Option<ValuesConfig>,
    #[serde(default)]
    pub git: Option<GitConfig>,
    /// How to reach Kafka; absent: a Kubernetes port-forward to the broker pods.
    #[serde(default)]
    pub kafka: Option<KafkaConfig>,
    /// `base:` (kraft, legacy or a profile file) plus overrides of any profile entry.
    #[serde(default)]
    pub profile: serde_json::Value,
    #[serde(default)]
    pub state: StateConfig,
    /// How to reach the Pinot controller, and when a rebalance counts as stalled.
    #[serde(default)]
    pub pinot: PinotConfig,
    /// What `apply` checks before it records the change, and `kfscale verify` checks at any time.
    #[serde(default)]
    pub validate: ValidateConfig,
    /// The install's Grafana (kfuse-grafana), whose alert rules are part of the validation checklist.
    #[serde(default)]
    pub grafana: Option<GrafanaConfig>,
    /// How `apply` rides out faults that may pass.
    #[serde(default)]
    pub apply: ApplyConfig,
    /// The runbook's review step: which plans `apply` may run.
    #[serde(default)]
    pub review: ReviewConfig,
    /// The expected growth in volume that Kafka partitions are sized for, on top of the node
    /// ratio (n+m)/n: per topic, per stream (logs, metrics, traces, events), or for all
    /// (`expected`, which `--expected-growth` replaces). Absent: the node ratio alone.
    #[serde(default, skip_serializing_if = "GrowthSettings::is_empty")]
    pub partition_growth: GrowthSettings,
}

/// With `required`, `apply` runs only a plan file that `kfscale propose` pushed for review and that
/// reviewers merged into `git.branch` on `git.remote`; `--no-review` overrides it, loudly and on
/// the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewConfig {
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyConfig {
    /// How long a step keeps retrying a retriable error (a timeout, a 5xx, throttling, a system
    /// restarting), with capped exponential backoff and jitter, before the apply stops.
    #[serde(default = "default_retry_minutes")]
    pub retry_minutes: f64,
}

impl Default for ApplyConfig {
    fn default() -> Self {
        ApplyConfig {
            retry_minutes: default_retry_minutes(),
        }
    }
}

fn default_retry_minutes() -> f64 {
    15.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[serde(deny_unknown_fields)]
pub enum ClusterConfig {
    Aws {
        /// The cluster's region; absent: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the
        /// `region` of the AWS profile in use.
        #[serde(default)]
        region: Option<String>,
        cluster: String,
        nodegroup: String,
        /// The AWS profile (of `~/.aws/config` and `~/.aws/credentials`) whose credentials and
        /// region kfscale uses; absent: `AWS_PROFILE`, else the default chain.
        #[serde(default)]
        profile: Option<String>,
        /// EKS endpoint override (tests, private endpoints); `AWS_ENDPOINT_URL_EKS` works too.
        #[serde(default)]
        endpoint: Option<String>,
        /// The longest one attempt of an EKS call may take (the SDK tries 3 times).
        #[serde(default = "default_eks_timeout")]
        timeout_seconds: u64,
        /// Nodes one managed node group may hold: AWS's quota (450 by default); set it when AWS
        /// raised yours.
        #[serde(default)]
        max_nodes_per_group: Option<u32>,
    },
    Gcp {
        project: String,
        location: String,
        cluster: String,
        pool: String,
        /// container.googleapis.com endpoint override (tests).
        #[serde(default)]
        endpoint: Option<String>,
        /// A file holding an OAuth access token, used instead of Application Default Credentials (tests).
        #[serde(default)]
        access_token_file: Option<PathBuf>,
        /// The longest one GKE API call may take; a slower one is retried with backoff.
        #[serde(default = "default_gke_timeout")]
        timeout_seconds: u64,
        /// Nodes one pool may hold per zone: Google's quota (1,000 by default); set it when
        /// Google raised yours.
        #[serde(default)]
        max_nodes_per_zone: Option<u32>,
    },
    /// An AKS agent pool, resized through Azure Resource Manager.
    Azure(AzureCluster),
    /// Nodes that arrive by other means (Karpenter, a self-managed group, Terraform, a colleague):
    /// kfscale adds none, it waits for them.
    External(ExternalCluster),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureCluster {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    /// The agent pool to grow.
    pub pool: String,
    /// `public`, `usgovernment` or `china`: the resource manager and token audience used.
    #[serde(default)]
    pub cloud: AzureCloud,
    /// Resource-manager endpoint override (tests); the cloud's own when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// A file holding an ARM access token, used instead of the Azure credential chain (tests).
    #[serde(default)]
    pub access_token_file: Option<PathBuf>,
    /// The longest one ARM call may take; a slower one is retried with backoff.
    #[serde(default = "default_azure_timeout")]
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AzureCloud {
    #[default]
    Public,
    UsGovernment,
    China,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalCluster {
    /// The labels every node of the pool carries (like a pod's nodeSelector), e.g.
    /// `{kf_role: data}` or `{karpenter.sh/nodepool: kfuse}`.
    pub node_selector: BTreeMap<String, String>,
}

impl ClusterConfig {
    /// The pool's quota as the planner checks it: the clouds' defaults unless set here.
    pub fn pool_limits(&self) -> crate::plan::PoolLimits {
        let mut limits = crate::plan::PoolLimits::default();
        match self {
            ClusterConfig::Aws {
                max_nodes_per_group: Some(max),
                ..
            } => limits.eks_nodes_per_group = *max,
            ClusterConfig::Gcp {
                max_nodes_per_zone: Some(max),
                ..
            } => limits.gke_nodes_per_zone = *max,
            _ => {}
        }
        limits
    }

    /// The labels that mark the pool's nodes in Kubernetes.
    pub fn pool_selector(&self) -> crate::snapshot::PoolSelector {
        use crate::snapshot::{AKS_POOL_LABEL, EKS_POOL_LABEL, GKE_POOL_LABEL, PoolSelector};
        match self {
            ClusterConfig::Aws { nodegroup, .. } => PoolSelector::label(EKS_POOL_LABEL, nodegroup),
            ClusterConfig::Gcp { pool, .. } => PoolSelector::label(GKE_POOL_LABEL, pool),
            ClusterConfig::Azure(azure) => PoolSelector::label(AKS_POOL_LABEL, &azure.pool),
            ClusterConfig::External(external) => PoolSelector(external.node_selector.clone()),
        }
    }
}

fn default_azure_timeout() -> u64 {
    60
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    /// kubeconfig file; `KUBECONFIG` or ~/.kube/config when absent.
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context; the current context when absent.
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// The longest one API request may take; a slower one is retried with backoff.
    #[serde(default = "default_kube_timeout")]
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HelmConfig {
    #[serde(default = "default_release")]
    pub release: String,
    /// Chart reference for the upgrade, e.g. `oci://registry/kfuse-helm/kfuse`.
    #[serde(default)]
    pub chart: Option<String>,
    /// The helm binary (helm 3 or 4).
    #[serde(default = "default_helm_binary")]
    pub binary: PathBuf,
    /// Pull the chart over plain HTTP (a registry on 127.0.0.1 in tests).
    #[serde(default)]
    pub plain_http: bool,
    /// helm's `--timeout` for the upgrade (fractions allowed); kfscale stops a helm still running
    /// a quarter of it later (at most a minute).
    #[serde(default = "default_helm_timeout_minutes")]
    pub timeout_minutes: f64,
}

fn default_helm_timeout_minutes() -> f64 {
    20.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValuesConfig {
    /// The customer values file (relative to this config file).
    pub file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitConfig {
    /// The customer repository (relative to this config file).
    #[serde(default = "default_repo")]
    pub repo: PathBuf,
    #[serde(default)]
    pub branch: Option<String>,
    /// Push here after the commit, when set.
    #[serde(default)]
    pub remote: Option<String>,
    /// The longest one `git push` may take; a slower one is stopped and retried.
    #[serde(default = "default_push_timeout")]
    pub push_timeout_seconds: u64,
}

fn default_push_timeout() -> u64 {
    kfscale_git::PUSH_TIMEOUT.as_secs()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Brokers to ask for the cluster's metadata first (`host:port`). Absent: the first pods of the
    /// profile's broker StatefulSet on port 9092, through port-forward.
    #[serde(default)]
    pub bootstrap: Vec<String>,
    /// Advertised `host:port` -> the `host:port` to dial instead, or advertised `host` -> the host
    /// to dial on the advertised port (direct TCP only).
    #[serde(default)]
    pub address_map: BTreeMap<String, String>,
    /// Reach each broker through a Kubernetes port-forward to its pod (only a kubeconfig needed).
    /// Default: true without `bootstrap`, false with it.
    #[serde(default)]
    pub port_forward: Option<bool>,
    /// Deadline of one Kafka operation, retries included.
    #[serde(default = "default_kafka_timeout")]
    pub timeout_seconds: u64,
    /// How `apply` moves replicas.
    #[serde(default)]
    pub reassignment: ReassignmentConfig,
}

/// How `apply` moves partition replicas: like Cruise Control, a few moves per broker at once under
/// a replication throttle, so the copy never starves producers and consumers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignmentConfig {
    /// Partition moves in flight at once that copy to or remove from one broker (Cruise Control's
    /// `num.concurrent.partition.movements.per.broker`).
    #[serde(default = "default_moves_per_broker")]
    pub max_moves_per_broker: u32,
    /// Partition moves in flight at once in the whole cluster (Cruise Control's
    /// `max.num.cluster.partition.movements`).
    #[serde(default = "default_moves_total")]
    pub max_moves_total: u32,
    /// Replication throttle in bytes per second on each broker while replicas are copied
    /// (`leader.replication.throttled.rate` / `follower.replication.throttled.rate`); 0: none.
    /// Removed again when the moves end, also after a failure.
    #[serde(default = "default_throttle")]
    pub throttle_bytes_per_second: u64,
    /// Longest the whole reassignment may take.
    #[serde(default = "default_reassignment_timeout")]
    pub timeout_minutes: u64,
    /// Partitions per ElectLeaders request of the preferred leader election after the moves.
    #[serde(default = "default_election_batch")]
    pub election_batch: u32,
}

impl Default for ReassignmentConfig {
    fn default() -> Self {
        ReassignmentConfig {
            max_moves_per_broker: default_moves_per_broker(),
            max_moves_total: default_moves_total(),
            throttle_bytes_per_second: default_throttle(),
            timeout_minutes: default_reassignment_timeout(),
            election_batch: default_election_batch(),
        }
    }
}

fn default_moves_per_broker() -> u32 {
    5
}

fn default_moves_total() -> u32 {
    1250
}

fn default_throttle() -> u64 {
    100 * 1024 * 1024
}

fn default_reassignment_timeout() -> u64 {
    24 * 60
}

/// Small enough for the controller to answer well within a request timeout; few requests for the
/// largest clusters (10 000 partitions moved: 10).
fn default_election_batch() -> u32 {
    1000
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    #[serde(default = "default_state_dir")]
    pub dir: PathBuf,
}

/// The Pinot controller: `url`, else a port-forward to `pod`:`port` in the release namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinotConfig {
    /// The controller URL, e.g. `http://pinot-controller.kfuse:9000`. Absent: a port-forward through the
    /// Kubernetes API server to `pod`:`port` in `kubernetes.namespace`.
    #[serde(default)]
    pub url: Option<String>,
    /// The controller pod to port-forward to.
    #[serde(default = "default_pinot_pod")]
    pub pod: String,
    /// The controller port in that pod.
    #[serde(default = "default_pinot_port")]
    pub port: u16,
    /// Limit of each controller request.
    #[serde(default = "default_pinot_timeout")]
    pub timeout_seconds: u64,
    /// A rebalancing table whose segment counts (GOOD/UPDATING/BAD) or job progress stay the same
    /// this long is reported as stalled (fractions allowed: 0.5 = 30 s).
    #[serde(default = "default_stall_minutes")]
    pub stall_minutes: f64,
}

impl Default for PinotConfig {
    fn default() -> Self {
        PinotConfig {
            url: None,
            pod: default_pinot_pod(),
            port: default_pinot_port(),
            timeout_seconds: default_pinot_timeout(),
            stall_minutes: default_stall_minutes(),
        }
    }
}

/// The last checks of an apply and `kfscale verify`: Kafka consumers must catch up after the moves,
/// Pinot must show recent data, alerts must be quiet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateConfig {
    /// The most a consumer group may lag on any partition (messages: end offset minus committed).
    #[serde(default = "default_max_consumer_lag")]
    pub max_consumer_lag: u64,
    /// How long consumers get to fall back under `max_consumer_lag` (fractions allowed).
    #[serde(default = "default_lag_timeout_minutes")]
    pub lag_timeout_minutes: f64,
    /// The window over which the checklist samples consumer lag for its trend (falling, flat,
    /// rising) and to find partitions that do not consume; 0: one sample, no trend.
    #[serde(default = "default_lag_window_seconds")]
    pub lag_window_seconds: f64,
    /// Samples taken over that window (at least 2 with a window).
    #[serde(default = "default_lag_samples")]
    pub lag_samples: u32,
    /// The most a Pinot REALTIME table's worst partition may lag behind its stream, in seconds
    /// (rows in the stream but not yet queryable): more is RED in `pinot-freshness`.
    #[serde(default = "default_max_freshness_lag_seconds", deserialize_with = "positive_seconds")]
    #[schemars(range(min = 1))]
    pub max_freshness_lag_seconds: u64,
    /// Which Grafana alert rules are Kloudfuse's control-plane alerts (reported by
    /// `control-plane-alerts`), apart from the customer's rules (`alerting`).
    #[serde(default)]
    pub control_plane_alerts: ControlPlaneAlerts,
}

impl Default for ValidateConfig {
    fn default() -> Self {
        ValidateConfig {
            max_consumer_lag: default_max_consumer_lag(),
            lag_timeout_minutes: default_lag_timeout_minutes(),
            lag_window_seconds: default_lag_window_seconds(),
            lag_samples: default_lag_samples(),
            max_freshness_lag_seconds: default_max_freshness_lag_seconds(),
            control_plane_alerts: ControlPlaneAlerts::default(),
        }
    }
}

/// Grafana's Prometheus-compatible rules API (`/api/prometheus/grafana/api/v1/rules`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrafanaConfig {
    /// Grafana's base URL, e.g. `http://kfuse-grafana.kfuse:80` (from inside the cluster's network,
    /// or a `kubectl port-forward svc/kfuse-grafana` you run).
    pub url: String,
    /// A file holding a service account token (Viewer is enough), relative to this config file;
    /// absent: anonymous access. The token is never printed, logged or stored.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Limit of each request.
    #[serde(default = "default_grafana_timeout")]
    pub timeout_seconds: u64,
}

/// Longer than Kafka consumers' default commit interval (auto.commit.interval.ms, 5 s): a
/// healthy consumer then shows movement within the window instead of looking stuck.
fn default_lag_window_seconds() -> f64 {
    15.0
}

/// Five minutes: Kloudfuse's UI shows the last minutes of data; a table further behind than that
/// looks empty to its users, while a consumer catching up after a rebalance stays under it.
fn default_max_freshness_lag_seconds() -> u64 {
    300
}

fn positive_seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match u64::deserialize(deserializer)? {
        0 => Err(serde::de::Error::custom(
            "0 seconds would call every table late; give a positive number of seconds (default 300)",
        )),
        seconds => Ok(seconds),
    }
}

fn default_lag_samples() -> u32 {
    3
}

fn default_grafana_timeout() -> u64 {
    10
}

fn default_stall_minutes() -> f64 {
    30.0
}

fn default_max_consumer_lag() -> u64 {
    100_000
}

fn default_lag_timeout_minutes() -> f64 {
    30.0
}

fn default_pinot_pod() -> String {
    "pinot-controller-0".into()
}

fn default_pinot_port() -> u16 {
    9000
}

fn default_pinot_timeout() -> u64 {
    30
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        KubernetesConfig {
            kubeconfig: None,
            context: None,
            namespace: default_namespace(),
            timeout_seconds: default_kube_timeout(),
        }
    }
}

fn default_gke_timeout() -> u64 {
    kfscale_gke::GkeOptions::default().call_timeout.as_secs()
}

fn default_eks_timeout() -> u64 {
    kfscale_eks::ATTEMPT_TIMEOUT.as_secs()
}

fn default_kube_timeout() -> u64 {
    kfscale_kube::READ_TIMEOUT.as_secs()
}

impl Default for HelmConfig {
    fn default() -> Self {
        HelmConfig {
            release: default_release(),
            chart: None,
            binary: default_helm_binary(),
            plain_http: false,
            timeout_minutes: default_helm_timeout_minutes(),
        }
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            bootstrap: Vec::new(),
            address_map: BTreeMap::new(),
            port_forward: None,
            timeout_seconds: default_kafka_timeout(),
            reassignment: ReassignmentConfig::default(),
        }
    }
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: default_state_dir(),
        }
    }
}

fn default_namespace() -> String {
    "kfuse".into()
}

fn default_release() -> String {
    "kfuse".into()
}

fn default_helm_binary() -> PathBuf {
    PathBuf::from("helm")
}

fn default_repo() -> PathBuf {
    PathBuf::from(".")
}

fn default_kafka_timeout() -> u64 {
    30
}

fn default_state_dir() -> PathBuf {
    PathBuf::from(".kfscale")
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {error}; fix: check the path given with --config or KFSCALE_CONFIG")]
    Read { path: String, error: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] ValuesError),
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            error: source,
        })?;
        // kfscale.yaml may hold a token (grafana.token): the same rules find it, and it is
        // scrubbed from everything kfscale prints or writes.
        crate::scrub::register_values_text(&shown, &text);
        typed::from_yaml_str(&shown, &text).map_err(|mut err| {
            // A wrong key or type: the schema lists every key with its type.
            if err.fix.starts_with("correct that key") {
                err.fix = "correct that key: `kfscale schema config` prints every key with its type (the README's configuration table says what each does)".into();
            }
            ConfigError::Invalid(err)
        })
    }

    /// The profile base named in the config, if any.
    pub fn profile_base(&self) -> Option<&str> {
        self.profile.get("base").and_then(|base| base.as_str())
    }

    /// The profile overrides without `base`.
    pub fn profile_overrides(&self) -> serde_json::Value {
        let mut overrides = self.profile.clone();
        if let Some(map) = overrides.as_object_mut() {
            map.remove("base");
        }
        overrides
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_cluster_keys_are_refused() {
        let err = typed::from_yaml_str::<Config>(
            "k.yaml",
            "cluster:\n  aws:\n    region: a\n    cluster: b\n    nodegroup: c\n    nodgroup: d\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("nodgroup"), "{err}");
    }

    #[test]
    fn the_kafka_section_has_defaults() {
        let config = typed::from_yaml_str::<Config>("k.yaml", "kafka:\n  bootstrap: [\"b-0:9092\"]\n").unwrap();
        let kafka = config.kafka.unwrap();
        assert_eq!(kafka.bootstrap, ["b-0:9092"]);
        assert_eq!((kafka.port_forward, kafka.timeout_seconds), (None, 30));
        let err = typed::from_yaml_str::<Config>("k.yaml", "kafka:\n  bootstrp: [x]\n").unwrap_err();
        assert!(err.to_string().contains("bootstrp"), "{err}");
    }

    #[test]
    fn the_apply_waits_have_defaults() {
        let config = typed::from_yaml_str::<Config>("k.yaml", "pinot:\n  stall_minutes: 0.5\n").unwrap();
        assert_eq!(config.pinot.stall_minutes, 0.5);
        assert_eq!(config.validate, ValidateConfig::default());
        assert_eq!(
            (config.validate.max_consumer_lag, config.validate.lag_timeout_minutes),
            (100_000, 30.0)
        );
        let err = typed::from_yaml_str::<Config>("k.yaml", "validate:\n  max_lag: 5\n").unwrap_err();
        assert!(err.to_string().contains("max_lag"), "{err}");
        assert_eq!(
            (config.validate.lag_window_seconds, config.validate.lag_samples),
            (15.0, 3)
        );
    }

    #[test]
    fn freshness_and_the_alert_split_are_checked_where_they_are_written() {
        let config = typed::from_yaml_str::<Config>(
            "k.yaml",
            "validate:\n  max_freshness_lag_seconds: 60\n  control_plane_alerts:\n    folders: [Kloudfuse]\n    labels: {owner: kloudfuse}\n",
        )
        .unwrap();
        assert_eq!(config.validate.max_freshness_lag_seconds, 60);
        assert_eq!(config.validate.control_plane_alerts.folders, ["Kloudfuse"]);
        assert_eq!(config.validate.control_plane_alerts.labels["owner"], "kloudfuse");
        assert_eq!(ValidateConfig::default().max_freshness_lag_seconds, 300);
        for (text, line, words) in [
            (
                "validate:\n  max_freshness_lag_seconds: 0\n",
                2,
                "positive number of seconds",
            ),
            (
                "validate:\n  max_freshness_lag_seconds: -5\n",
                2,
                "max_freshness_lag_seconds",
            ),
            (
                "validate:\n  control_plane_alerts:\n    folders: [\"\"]\n",
                3,
                "blank name",
            ),
            (
                "validate:\n  control_plane_alerts:\n    folders: [\" Kloudfuse\"]\n",
                3,
                "matched exactly",
            ),
            (
                "validate:\n  control_plane_alerts:\n    labels: {\"\": x}\n",
                3,
                "blank key",
            ),
            ("validate:\n  control_plane_alerts:\n    folder: [K]\n", 3, "folder"),
        ] {
            let err = typed::from_yaml_str::<Config>("k.yaml", text).unwrap_err();
            assert!(err.to_string().contains(words), "{text}: {err}");
            assert!(
                err.to_string().contains("validate.") || err.to_string().contains("control_plane_alerts"),
                "the key is named: {err}"
            );
            assert!(
                err.line.is_some_and(|l| l >= 2 && l <= line),
                "{text}: line {:?}: {err}",
                err.line
            );
        }
    }

    #[test]
    fn the_grafana_section_needs_a_url() {
        let config =
            typed::from_yaml_str::<Config>("k.yaml", "grafana: {url: \"http://g:3000\", token_file: t}\n").unwrap();
        let grafana = config.grafana.unwrap();
        assert_eq!((grafana.url.as_str(), grafana.timeout_seconds), ("http://g:3000", 10));
        let err = typed::from_yaml_str::<Config>("k.yaml", "grafana: {token_file: t}\n").unwrap_err();
        assert!(err.to_string().contains("url"), "{err}");
    }

    #[test]
    fn partition_growth_is_checked_where_it_is_written() {
        let config = typed::from_yaml_str::<Config>(
            "k.yaml",
            "partition_growth:\n  expected: 1.2\n  streams: {logs: 1.5}\n  topics: {kf_events_topic: 2}\n",
        )
        .unwrap();
        let growth = &config.partition_growth;
        assert_eq!(growth.expected.map(|f| f.get()), Some(1.2));
        assert_eq!(growth.streams["logs"].get(), 1.5);
        assert_eq!(growth.topics["kf_events_topic"].get(), 2.0);
        for (text, line, words) in [
            (
                "partition_growth:\n  streams:\n    logs: 0.8\n",
                3,
                "partitions never decrease",
            ),
            ("partition_growth:\n  expected: -1\n", 2, "below 1"),
            (
                "partition_growth:\n  expected: 150\n",
                2,
                "a percentage written as a factor",
            ),
            ("partition_growth:\n  expected: lots\n", 2, "partition_growth.expected"),
            ("partition_growth:\n  stream: {logs: 2}\n", 2, "stream"),
        ] {
            let err = typed::from_yaml_str::<Config>("k.yaml", text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text}: {err}");
            assert!(err.to_string().contains(words), "{text}: {err}");
        }
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let err = typed::from_yaml_str::<Config>("kfscale.yaml", "kubernetes:\n  namespace: kfuse\n  contxt: prod\n")
            .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.to_string().contains("contxt"), "{err}");
    }
}
