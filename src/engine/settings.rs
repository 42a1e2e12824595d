//! How the engine waits: poll interval and the longest each kind of wait may take. Defaults suit a
//! production cluster; tests on the rig shorten them (environment, kfscale.yaml).
use std::time::Duration;

use anyhow::bail;

use crate::config::{Config, ControlPlaneAlerts};

#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub poll_interval: Duration,
    pub node_pool_timeout: Duration,
    pub rollout_timeout: Duration,
    pub helm_timeout: Duration,
    pub lock_duration: Duration,
    /// No change in a rebalancing table's segments or job progress for this long is a stall
    /// (`pinot.stall_minutes`).
    pub pinot_stall: Duration,
    /// A backstop only: a rebalance that keeps progressing may take hours; the stall check is what
    /// catches one that stopped.
    pub pinot_timeout: Duration,
    /// `validate.max_consumer_lag`: messages per partition.
    pub max_consumer_lag: u64,
    /// `validate.lag_timeout_minutes`.
    pub consumer_lag_timeout: Duration,
    /// `validate.lag_window_seconds` and `validate.lag_samples`: the checklist's lag trend.
    pub lag_window: Duration,
    pub lag_samples: u32,
    /// `validate.max_freshness_lag_seconds`: the checklist's Pinot freshness limit.
    pub max_freshness_lag: Duration,
    /// `validate.control_plane_alerts`: which alert rules the checklist reports as Kloudfuse's.
    pub control_plane_alerts: ControlPlaneAlerts,
    /// The first pause after a retriable error; pauses double up to `retry_cap`, with jitter.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// How long a step keeps retrying retriable errors before it fails (`apply.retry_minutes`).
    pub retry_for: Duration,
}

impl Default for ApplySettings {
    fn default() -> Self {
        ApplySettings {
            poll_interval: Duration::from_secs(5),
            node_pool_timeout: Duration::from_secs(30 * 60),
            rollout_timeout: Duration::from_secs(30 * 60),
            helm_timeout: Duration::from_secs(20 * 60),
            lock_duration: Duration::from_secs(60),
            pinot_stall: Duration::from_secs(30 * 60),
            pinot_timeout: Duration::from_secs(24 * 60 * 60),
            max_consumer_lag: 100_000,
            consumer_lag_timeout: Duration::from_secs(30 * 60),
            lag_window: Duration::from_secs(5),
            lag_samples: 3,
            max_freshness_lag: Duration::from_secs(300),
            control_plane_alerts: ControlPlaneAlerts::default(),
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(60),
            retry_for: Duration::from_secs(15 * 60),
        }
    }
}

impl ApplySettings {
    /// `KFSCALE_POLL_INTERVAL_MS` shortens polling (the rig's tests use it).
    pub fn from_env() -> ApplySettings {
        let mut settings = ApplySettings::default();
        if let Some(ms) = std::env::var("KFSCALE_POLL_INTERVAL_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            settings.poll_interval = Duration::from_millis(ms.max(10));
        }
        // The rig's tests shorten the backoff as they shorten polling.
        if let Some(ms) = std::env::var("KFSCALE_RETRY_BASE_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            settings.retry_base = Duration::from_millis(ms.max(1));
            settings.retry_cap = settings.retry_cap.min(settings.retry_base * 16);
        }
        if let Some(seconds) = std::env::var("KFSCALE_LOCK_SECONDS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            settings.lock_duration = Duration::from_secs(seconds.max(1));
        }
        settings
    }

    /// The waits kfscale.yaml sets (`origin` names the file in errors).
    pub fn with_config(mut self, config: &Config, origin: &str) -> anyhow::Result<ApplySettings> {
        self.pinot_stall = minutes(config.pinot.stall_minutes, "pinot.stall_minutes", origin)?;
        self.helm_timeout = minutes(config.helm.timeout_minutes, "helm.timeout_minutes", origin)?;
        self.retry_for = minutes(config.apply.retry_minutes, "apply.retry_minutes", origin)?;
        self.consumer_lag_timeout = minutes(
            config.validate.lag_timeout_minutes,
            "validate.lag_timeout_minutes",
            origin,
        )?;
        self.max_consumer_lag = config.validate.max_consumer_lag;
        let window = config.validate.lag_window_seconds;
        self.lag_window = match Duration::try_from_secs_f64(window) {
            Ok(window) => window,
            Err(_) => {
                bail!("{origin}: validate.lag_window_seconds is {window}; fix: give 0 or a positive number of seconds")
            }
        };
        self.lag_samples = config.validate.lag_samples;
        self.max_freshness_lag = Duration::from_secs(config.validate.max_freshness_lag_seconds);
        self.control_plane_alerts = config.validate.control_plane_alerts.clone();
        // The rig's tests shorten the window as they shorten polling.
        if let Some(ms) = std::env::var("KFSCALE_LAG_WINDOW_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            self.lag_window = Duration::from_millis(ms);
        }
        Ok(self)
    }
}

fn minutes(value: f64, key: &str, origin: &str) -> anyhow::Result<Duration> {
    match Duration::try_from_secs_f64(value * 60.0) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => bail!("{origin}: {key} is {value}; fix: give a positive number of minutes (fractions allowed)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_must_be_positive() {
        let mut config = Config::default();
        config.pinot.stall_minutes = 0.5;
        let settings = ApplySettings::default().with_config(&config, "k.yaml").unwrap();
        assert_eq!(settings.pinot_stall, Duration::from_secs(30));
        assert_eq!(settings.consumer_lag_timeout, Duration::from_secs(30 * 60));
        for bad in [0.0, -1.0, f64::NAN] {
            config.pinot.stall_minutes = bad;
            let err = ApplySettings::default().with_config(&config, "k.yaml").unwrap_err();
            assert!(err.to_string().contains("k.yaml: pinot.stall_minutes"), "{err}");
        }
    }
}
