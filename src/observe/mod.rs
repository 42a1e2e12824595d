//! Observation: every system read once into a [`Snapshot`], with a progress line per system on
//! stderr. Nothing is changed. The planner never sees a provider: only the snapshot.
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use crate::profile::Profile;
use crate::snapshot::{SNAPSHOT_FORMAT_VERSION, Snapshot};

mod gke;
mod kubernetes;
mod node_pool;
mod pinot;
mod progress;
mod values;

pub use progress::Progress;

/// Where the config file lives: its relative paths are relative to it.
pub struct ConfigContext<'a> {
    pub config: &'a Config,
    pub origin: &'a str,
    pub dir: PathBuf,
}

impl ConfigContext<'_> {
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }
}

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
    // Kafka observation arrives with its provider (issue #5); until then the plan says it was not observed.
    let kafka = Default::default();
    let pinot = pinot::observe(context, progress).await?;
    Ok(Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        kfscale_version: env!("CARGO_PKG_VERSION").to_string(),
        observed_at: Some(now_rfc3339()),
        node_pool,
        kubernetes,
        helm,
        values,
        kafka,
        pinot,
    })
}

fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (H. Hinnant).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_days_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
