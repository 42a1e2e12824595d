//! The clients an apply works with, built once from kfscale.yaml.
use std::path::PathBuf;

use anyhow::Context;

use super::{ConfigContext, GitTarget, NodePoolClient};
use crate::config::Config;
use crate::plan::Plan;
use crate::snapshot::PoolSelector;

pub struct Systems {
    pub kube: kfscale_kube::Kube,
    pub node_pool: NodePoolClient,
    /// The labels that mark the pool's nodes in Kubernetes.
    pub pool_selector: PoolSelector,
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

impl Systems {
    /// The clients `plan` needs; Kafka and Pinot only when the plan has work for them.
    pub async fn connect(context: &ConfigContext<'_>, plan: &Plan) -> anyhow::Result<Systems> {
        let config: &Config = context.config;
        let kubernetes = &config.kubernetes;
        let kube = context.kube().await?;
        let node_pool = NodePoolClient::connect(context).await?;
        let pool_selector = config
            .cluster
            .as_ref()
            .map(crate::config::ClusterConfig::pool_selector)
            .unwrap_or_default();
        let helm_chart = context.helm_chart()?;
        let helm = context.helm()?;
        let values = config
            .values
            .as_ref()
            .with_context(|| format!("{}: no `values:` section", context.origin))?;
        let kafka = if plan.kafka.reassignment.is_some() || plan.kafka.partitions_created > 0 {
            let brokers = context
                .broker_replicas(&kube, &plan.profile.kafka.broker_workload)
                .await?;
            Some(super::kafka(context, &plan.profile, &kubernetes.namespace, brokers).await?)
        } else {
            None
        };
        let pinot = if plan.pinot.observed || !plan.pinot.tables.is_empty() {
            Some(super::pinot(context).await?)
        } else {
            None
        };
        Ok(Systems {
            kube,
            node_pool,
            pool_selector,
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
            grafana: super::grafana(context)?,
        })
    }
}
