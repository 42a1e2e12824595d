//! How the engine waits: poll interval and the longest each kind of wait may take. Defaults suit a
//! production cluster; tests on the rig shorten them.
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub poll_interval: Duration,
    pub node_pool_timeout: Duration,
    pub rollout_timeout: Duration,
    pub helm_timeout: Duration,
    pub lock_duration: Duration,
}

impl Default for ApplySettings {
    fn default() -> Self {
        ApplySettings {
            poll_interval: Duration::from_secs(5),
            node_pool_timeout: Duration::from_secs(30 * 60),
            rollout_timeout: Duration::from_secs(30 * 60),
            helm_timeout: Duration::from_secs(20 * 60),
            lock_duration: Duration::from_secs(60),
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
        if let Some(seconds) = std::env::var("KFSCALE_LOCK_SECONDS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            settings.lock_duration = Duration::from_secs(seconds.max(1));
        }
        settings
    }
}
