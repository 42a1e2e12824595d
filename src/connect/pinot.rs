//! The Pinot controller client: `pinot.url`, or a port-forward to the controller pod.
use std::time::Duration;

use kfscale_pinot::{Pinot, Target};

use super::ConfigContext;

pub async fn pinot(context: &ConfigContext<'_>) -> anyhow::Result<Pinot> {
    let settings = &context.config.pinot;
    let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
    let target = match &settings.url {
        Some(url) => Target::Url(url.clone()),
        None => {
            let client = context.kube().await?.client().clone();
            Target::PortForward {
                client,
                namespace: context.config.kubernetes.namespace.clone(),
                pod: settings.pod.clone(),
                port: settings.port,
            }
        }
    };
    Ok(Pinot::connect(target, timeout).await?)
}
