//! Observation: every system read once into a [`Snapshot`], with a progress line per system on
//! stderr. Nothing is changed. The planner never sees a provider: only the snapshot.
use anyhow::Context;

use crate::connect::ConfigContext;
use crate::profile::Profile;
use crate::snapshot::{SNAPSHOT_FORMAT_VERSION, Snapshot};

mod aks;
mod external;
mod gke;
pub mod helm_preflight;
pub(crate) mod kafka;
mod kubernetes;
mod live;
mod node_pool;
pub(crate) mod pinot;
mod progress;
pub mod retriable;
mod values;

pub use live::{observe_live, observe_live_as, values_text_for_profile};
pub use progress::Progress;

pub async fn observe(
    context: &ConfigContext<'_>,
    profile: &Profile,
    progress: &mut Progress,
) -> anyhow::Result<Snapshot> {
    let node_pool = progress.step("node pool", node_pool::observe(context)).await?;
    let (kubernetes, helm) = progress
        .step("kubernetes", kubernetes::observe(context, profile, &node_pool))
        .await
        .context("observing Kubernetes")?;
    let values = progress.step("values file", values::observe(context)).await?;
    let kafka = progress
        .step("kafka", kafka::observe(context, profile, &kubernetes))
        .await
        .context("observing Kafka")?;
    let pinot = pinot::observe(context, progress).await?;
    Ok(Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        kfscale_version: env!("CARGO_PKG_VERSION").to_string(),
        observed_at: Some(crate::time::now_rfc3339()),
        node_pool,
        kubernetes,
        helm,
        values,
        kafka,
        pinot,
    })
}
