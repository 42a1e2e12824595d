//! The clients an apply works with, built once from kfscale.yaml.
use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::config::{ClusterConfig, Config};
use crate::observe::ConfigContext;
use crate::plan::Plan;

pub enum NodePoolClient {
    Eks {
        eks: kfscale_eks::Eks,
        cluster: String,
        nodegroup: String,
    },
    Gke {
        // Boxed: the client is several times the size of the EKS variant.
        gke: Box<kfscale_gke::Gke>,
        pool: kfscale_gke::PoolRef,
    },
}

impl NodePoolClient {
    /// The Kubernetes node label naming the pool a node belongs to, and this pool's name.
    pub fn node_label(&self) -> (&'static str, &str) {
        match self {
            NodePoolClient::Eks { nodegroup, .. } => ("eks.amazonaws.com/nodegroup", nodegroup),
            NodePoolClient::Gke { pool, .. } => ("cloud.google.com/gke-nodepool", &pool.pool),
        }
    }
}

pub struct Systems {
    pub kube: kfscale_kube::Kube,
    pub node_pool: NodePoolClient,
    pub helm: kfscale_helm::Helm,
    pub helm_release: String,
    pub helm_chart: String,
    pub helm_plain_http: bool,
    pub values_path: PathBuf,
    pub state_dir: PathBuf,
    pub git: Option<GitTarget>,
    /// Connected when the plan has Kafka work (partitions or a reassignment).
    pub kafka: Option<kfscale_kafka::KafkaAdmin>,
    pub reassignment: crate::config::ReassignmentConfig,
    /// Connected when the plan observed Pinot (tables to rebalance, segments to validate).
    pub pinot: Option<kfscale_pinot::Pinot>,
    /// With a `grafana:` section: its alert rules before the apply and in validate.
    pub grafana: Option<kfscale_grafana::Grafana>,
}

pub struct GitTarget {
    pub repo: PathBuf,
    pub branch: Option<String>,
    pub remote: Option<String>,
    pub push_timeout: std::time::Duration,
}

impl GitTarget {
    pub fn from_config(context: &ConfigContext<'_>) -> Option<GitTarget> {
        context.config.git.as_ref().map(|git| GitTarget {
            repo: context.resolve(&git.repo),
            branch: git.branch.clone(),
            remote: git.remote.clone(),
            push_timeout: std::time::Duration::from_secs(git.push_timeout_seconds.max(1)),
        })
    }
}

impl Systems {
    /// The clients `plan` needs; Kafka and Pinot only when the plan has work for them.
    pub async fn connect(context: &ConfigContext<'_>, plan: &Plan) -> anyhow::Result<Systems> {
        let config: &Config = context.config;
        let kubernetes = &config.kubernetes;
        let kubeconfig = kubernetes.kubeconfig.as_ref().map(|path| context.resolve(path));
        let kube = context.kube().await?;
        let node_pool = match &config.cluster {
            Some(ClusterConfig::Aws {
                region,
                cluster,
                nodegroup,
                endpoint,
                timeout_seconds,
            }) => NodePoolClient::Eks {
                eks: kfscale_eks::Eks::connect_with_timeout(
                    region,
                    endpoint.as_deref(),
                    std::time::Duration::from_secs((*timeout_seconds).max(1)),
                )
                .await,
                cluster: cluster.clone(),
                nodegroup: nodegroup.clone(),
            },
            Some(ClusterConfig::Gcp {
                project,
                location,
                cluster,
                pool,
                endpoint,
                access_token_file,
                timeout_seconds,
            }) => NodePoolClient::Gke {
                gke: Box::new(
                    crate::observe::gke::connect(
                        context,
                        endpoint.as_deref(),
                        access_token_file.as_deref(),
                        std::time::Duration::from_secs(*timeout_seconds),
                    )
                    .await?,
                ),
                pool: kfscale_gke::PoolRef {
                    project: project.clone(),
                    location: location.clone(),
                    cluster: cluster.clone(),
                    pool: pool.clone(),
                },
            },
            None => bail!(
                "{}: no `cluster:` section; fix: add the node pool to grow",
                context.origin
            ),
        };
        let helm_chart = config.helm.chart.clone().with_context(|| {
            format!("{}: helm.chart is not set; fix: set it to the chart reference the release was installed from (e.g. oci://.../kfuse-helm/kfuse)", context.origin)
        })?;
        let helm = kfscale_helm::Helm::detect(
            &config.helm.binary,
            kfscale_helm::Target {
                kubeconfig: kubeconfig.clone(),
                context: kubernetes.context.clone(),
                namespace: kubernetes.namespace.clone(),
            },
        )?;
        let values = config
            .values
            .as_ref()
            .with_context(|| format!("{}: no `values:` section", context.origin))?;
        let kafka = if plan.kafka.reassignment.is_some() || plan.kafka.partitions_created > 0 {
            let brokers = kube
                .workloads()
                .await?
                .into_iter()
                .find(|w| {
                    w.kind == kfscale_kube::WorkloadKind::StatefulSet && w.name == plan.profile.kafka.broker_workload
                })
                .map(|w| w.replicas);
            Some(crate::observe::kafka::connect(context, &plan.profile, &kubernetes.namespace, brokers).await?)
        } else {
            None
        };
        let pinot = if plan.pinot.observed || !plan.pinot.tables.is_empty() {
            Some(crate::observe::pinot::connect(context).await?)
        } else {
            None
        };
        Ok(Systems {
            kube,
            node_pool,
            helm,
            helm_release: config.helm.release.clone(),
            helm_chart,
            helm_plain_http: config.helm.plain_http,
            values_path: context.resolve(&values.file),
            state_dir: context.resolve(&config.state.dir),
            git: GitTarget::from_config(context),
            kafka,
            reassignment: config.kafka.clone().unwrap_or_default().reassignment,
            pinot,
            grafana: crate::observe::grafana::connect(context)?,
        })
    }
}
