//! How `verify` reaches a system: the client, or why its checks are YELLOW (not configured, and
//! the default port-forward failed) or RED (configured, and failing).
use super::ConfigContext;
use crate::profile::Profile;

pub enum Reach<T> {
    Ready(T),
    /// Not configured or not reachable by default: the checks are YELLOW with this reason.
    NotChecked(String),
    /// Configured but failing: the checks of this system are RED with this error.
    Failed(String),
}

impl<T> Reach<T> {
    pub fn as_ref(&self) -> Reach<&T> {
        match self {
            Reach::Ready(client) => Reach::Ready(client),
            Reach::NotChecked(why) => Reach::NotChecked(why.clone()),
            Reach::Failed(err) => Reach::Failed(err.clone()),
        }
    }
}

/// With a `kafka:` section, its connection (failures are RED); without one, a port-forward to the
/// broker pods, probed with one Metadata request (failures are YELLOW: kfscale was not told how to
/// reach Kafka).
pub async fn reach_kafka(
    context: &ConfigContext<'_>,
    profile: &Profile,
    kube: &kfscale_kube::Kube,
) -> Reach<kfscale_kafka::KafkaAdmin> {
    let configured = context.config.kafka.is_some();
    let brokers = context
        .broker_replicas(kube, &profile.kafka.broker_workload)
        .await
        .ok()
        .flatten();
    let namespace = &context.config.kubernetes.namespace;
    let admin = match super::kafka(context, profile, namespace, brokers).await {
        Ok(admin) => admin,
        Err(err) if configured => return Reach::Failed(format!("{err:#}")),
        Err(err) => return Reach::NotChecked(format!("no kafka: section and no port-forward: {err:#}")),
    };
    if !configured && let Err(err) = admin.metadata().await {
        return Reach::NotChecked(format!(
            "no kafka: section and the port-forward to the brokers failed ({err}); set kafka.bootstrap in {}",
            context.origin
        ));
    }
    Reach::Ready(admin)
}

/// With `pinot.url`, that controller (failures are RED); without it, a port-forward to the
/// controller pod, probed with `GET /health` (failures are YELLOW).
pub async fn reach_pinot(context: &ConfigContext<'_>) -> Reach<kfscale_pinot::Pinot> {
    let configured = context.config.pinot.url.is_some();
    let pinot = match super::pinot(context).await {
        Ok(pinot) => pinot,
        Err(err) if configured => return Reach::Failed(format!("{err:#}")),
        Err(err) => return Reach::NotChecked(format!("no pinot.url and no port-forward: {err:#}")),
    };
    if !configured && let Err(err) = pinot.health().await {
        return Reach::NotChecked(format!(
            "no pinot.url and the port-forward to the controller failed ({err}); set pinot.url in {}",
            context.origin
        ));
    }
    Reach::Ready(pinot)
}
