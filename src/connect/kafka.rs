//! The Kafka admin client kfscale.yaml describes: direct TCP to `kafka.bootstrap` (with
//! `address_map`), or a port-forward per broker pod (the default).
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use kfscale_kafka::{AdminOptions, BrokerAddress, Connector, DirectTcp, KafkaAdmin, PortForward};

use super::ConfigContext;
use crate::profile::Profile;

/// The client listener of Kloudfuse's brokers (the Bitnami chart's `listeners.client` port).
const BROKER_PORT: u16 = 9092;
/// Bootstrap pods when none are configured: enough to survive one broker being down.
const BOOTSTRAP_PODS: u32 = 3;

/// A client as kfscale.yaml says: direct TCP to `kafka.bootstrap` (with `address_map`), or a
/// port-forward per broker pod (the default, with the first pods of the broker StatefulSet).
/// `broker_replicas` is the replica count of the profile's broker StatefulSet (None when there is
/// none), which names the pods a port-forward goes to.
pub async fn kafka(
    context: &ConfigContext<'_>,
    profile: &Profile,
    namespace: &str,
    broker_replicas: Option<u32>,
) -> anyhow::Result<KafkaAdmin> {
    let settings = context.config.kafka.clone().unwrap_or_default();
    let origin = context.origin;
    let port_forward = settings.port_forward.unwrap_or(settings.bootstrap.is_empty());
    let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
    let bootstrap: Vec<BrokerAddress> = if settings.bootstrap.is_empty() {
        if !port_forward {
            bail!(
                "{origin}: kafka.port_forward is false but kafka.bootstrap is empty; fix: list the brokers as host:port in kafka.bootstrap"
            );
        }
        default_bootstrap(profile, namespace, broker_replicas, origin)?
    } else {
        settings
            .bootstrap
            .iter()
            .enumerate()
            .map(|(i, text)| {
                BrokerAddress::parse(text)
                    .map_err(|e| anyhow::anyhow!("{origin}: kafka.bootstrap[{i}]: {e}; fix: write it as host:port"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let connector: Arc<dyn Connector> = if port_forward {
        if !settings.address_map.is_empty() {
            bail!(
                "{origin}: kafka.address_map applies to direct connections only; fix: remove it or set kafka.port_forward: false"
            );
        }
        let k8s = &context.config.kubernetes;
        let kube = context
            .kube()
            .await
            .context("connecting to Kubernetes for the Kafka port-forward")?;
        Arc::new(PortForward::new(kube.client().clone(), &k8s.namespace))
    } else {
        Arc::new(DirectTcp::new(
            settings.address_map.clone(),
            timeout.min(Duration::from_secs(10)),
        ))
    };
    let mut options = AdminOptions::new(bootstrap, connector);
    options.timeout = timeout;
    options.request_timeout = options.request_timeout.min(timeout);
    Ok(KafkaAdmin::new(options)?)
}

/// The first pods of the profile's broker StatefulSet in the release namespace.
fn default_bootstrap(
    profile: &Profile,
    namespace: &str,
    broker_replicas: Option<u32>,
    origin: &str,
) -> anyhow::Result<Vec<BrokerAddress>> {
    let name = &profile.kafka.broker_workload;
    let Some(replicas) = broker_replicas else {
        bail!(
            "{origin}: no StatefulSet {name} in namespace {namespace} to port-forward to for Kafka; fix: set kafka.bootstrap in kfscale.yaml, or profile.kafka.broker_workload to the brokers' StatefulSet"
        );
    };
    let pods = replicas.min(BOOTSTRAP_PODS);
    if pods == 0 {
        bail!(
            "{origin}: StatefulSet {name} in namespace {namespace} has no replicas, so there is no Kafka broker to ask; fix: start the brokers, or set kafka.bootstrap in kfscale.yaml"
        );
    }
    Ok((0..pods)
        .map(|ordinal| BrokerAddress::new(format!("{name}-{ordinal}"), BROKER_PORT))
        .collect())
}
