//! The query parameters of `POST /tables/{t}/rebalance`, with the defaults and parsing of
//! PinotTableRestletResource.rebalance and the JSON names of RebalanceConfig. Parsing follows JAX-RS
//! (Jersey): a boolean is `"true"` (any case) or false; a number or enum that does not parse makes the
//! resource method unreachable, which Jersey answers with 404; a blank value takes the default.
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceConfig {
    pub dry_run: bool,
    pub pre_checks: bool,
    pub disable_summary: bool,
    pub reassign_instances: bool,
    pub include_consuming: bool,
    /// ENABLE, DISABLE or DEFAULT (Enablement).
    pub minimize_data_movement: String,
    pub bootstrap: bool,
    pub downtime: bool,
    pub allow_peer_download_data_loss: bool,
    pub min_available_replicas: i32,
    pub low_disk_mode: bool,
    pub best_efforts: bool,
    pub batch_size_per_server: i32,
    pub external_view_check_interval_ms: i64,
    pub external_view_stabilization_timeout_ms: i64,
    pub heartbeat_interval_ms: i64,
    pub heartbeat_timeout_ms: i64,
    pub max_attempts: i32,
    pub retry_initial_delay_ms: i64,
    pub update_target_tier: bool,
    pub disk_utilization_threshold: f64,
    pub force_commit: bool,
    pub force_commit_batch_size: i32,
    pub force_commit_batch_status_check_interval_ms: i32,
    pub force_commit_batch_status_check_timeout_ms: i32,
}

/// Every query parameter the resource method declares (besides `type`), for tests and the README.
pub const PARAMETERS: &[&str] = &[
    "dryRun",
    "preChecks",
    "disableSummary",
    "reassignInstances",
    "includeConsuming",
    "minimizeDataMovement",
    "bootstrap",
    "downtime",
    "allowPeerDownloadDataLoss",
    "minAvailableReplicas",
    "lowDiskMode",
    "bestEfforts",
    "batchSizePerServer",
    "externalViewCheckIntervalInMs",
    "externalViewStabilizationTimeoutInMs",
    "heartbeatIntervalInMs",
    "heartbeatTimeoutInMs",
    "maxAttempts",
    "retryInitialDelayInMs",
    "updateTargetTier",
    "diskUtilizationThreshold",
    "forceCommit",
    "forceCommitBatchSize",
    "forceCommitBatchStatusCheckIntervalMs",
    "forceCommitBatchStatusCheckTimeoutMs",
];

/// A parameter Jersey could not convert: the request gets `404 HTTP 404 Not Found`.
#[derive(Debug, PartialEq)]
pub struct Unconvertible(pub String);

impl RebalanceConfig {
    /// From the query pairs (first occurrence wins, as `@QueryParam` takes the first value).
    pub fn from_query(pairs: &[(String, String)]) -> Result<RebalanceConfig, Unconvertible> {
        let get = |name: &str| -> Option<&str> {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.trim().is_empty())
        };
        let boolean = |name: &str, default: bool| get(name).map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(default);
        fn number<T: std::str::FromStr>(value: Option<&str>, name: &str, default: T) -> Result<T, Unconvertible> {
            match value {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| Unconvertible(name.to_string())),
            }
        }
        let minimize = get("minimizeDataMovement").unwrap_or("ENABLE");
        if !["ENABLE", "DISABLE", "DEFAULT"].contains(&minimize) {
            return Err(Unconvertible("minimizeDataMovement".into()));
        }
        let check_interval: i64 = number(
            get("externalViewCheckIntervalInMs"),
            "externalViewCheckIntervalInMs",
            1000,
        )?;
        let heartbeat_interval: i64 =
            number::<i64>(get("heartbeatIntervalInMs"), "heartbeatIntervalInMs", 300_000)?.max(check_interval);
        let heartbeat_timeout: i64 =
            number::<i64>(get("heartbeatTimeoutInMs"), "heartbeatTimeoutInMs", 3_600_000)?.max(3 * heartbeat_interval);
        Ok(RebalanceConfig {
            dry_run: boolean("dryRun", false),
            pre_checks: boolean("preChecks", false),
            disable_summary: boolean("disableSummary", false),
            reassign_instances: boolean("reassignInstances", true),
            include_consuming: boolean("includeConsuming", true),
            minimize_data_movement: minimize.to_string(),
            bootstrap: boolean("bootstrap", false),
            downtime: boolean("downtime", false),
            allow_peer_download_data_loss: boolean("allowPeerDownloadDataLoss", false),
            min_available_replicas: number(get("minAvailableReplicas"), "minAvailableReplicas", -1)?,
            low_disk_mode: boolean("lowDiskMode", false),
            best_efforts: boolean("bestEfforts", false),
            batch_size_per_server: number(get("batchSizePerServer"), "batchSizePerServer", -1)?,
            external_view_check_interval_ms: check_interval,
            external_view_stabilization_timeout_ms: number(
                get("externalViewStabilizationTimeoutInMs"),
                "externalViewStabilizationTimeoutInMs",
                3_600_000,
            )?,
            heartbeat_interval_ms: heartbeat_interval,
            heartbeat_timeout_ms: heartbeat_timeout,
            max_attempts: number(get("maxAttempts"), "maxAttempts", 3)?,
            retry_initial_delay_ms: number(get("retryInitialDelayInMs"), "retryInitialDelayInMs", 300_000)?,
            update_target_tier: boolean("updateTargetTier", false),
            disk_utilization_threshold: number(get("diskUtilizationThreshold"), "diskUtilizationThreshold", -1.0)?,
            force_commit: boolean("forceCommit", false),
            force_commit_batch_size: number(get("forceCommitBatchSize"), "forceCommitBatchSize", i32::MAX)?,
            force_commit_batch_status_check_interval_ms: number(
                get("forceCommitBatchStatusCheckIntervalMs"),
                "forceCommitBatchStatusCheckIntervalMs",
                5_000,
            )?,
            force_commit_batch_status_check_timeout_ms: number(
                get("forceCommitBatchStatusCheckTimeoutMs"),
                "forceCommitBatchStatusCheckTimeoutMs",
                180_000,
            )?,
        })
    }

    /// RebalanceConfig as Jackson writes it (in `tableRebalanceContext.config` and job metadata).
    pub fn to_json(&self) -> Value {
        json!({
            "dryRun": self.dry_run,
            "preChecks": self.pre_checks,
            "disableSummary": self.disable_summary,
            "reassignInstances": self.reassign_instances,
            "includeConsuming": self.include_consuming,
            "bootstrap": self.bootstrap,
            "downtime": self.downtime,
            "allowPeerDownloadDataLoss": self.allow_peer_download_data_loss,
            "minAvailableReplicas": self.min_available_replicas,
            "lowDiskMode": self.low_disk_mode,
            "bestEfforts": self.best_efforts,
            "minimizeDataMovement": self.minimize_data_movement,
            "batchSizePerServer": self.batch_size_per_server,
            "externalViewCheckIntervalInMs": self.external_view_check_interval_ms,
            "externalViewStabilizationTimeoutInMs": self.external_view_stabilization_timeout_ms,
            "updateTargetTier": self.update_target_tier,
            "heartbeatIntervalInMs": self.heartbeat_interval_ms,
            "heartbeatTimeoutInMs": self.heartbeat_timeout_ms,
            "maxAttempts": self.max_attempts,
            "retryInitialDelayInMs": self.retry_initial_delay_ms,
            "diskUtilizationThreshold": self.disk_utilization_threshold,
            "forceCommit": self.force_commit,
            "forceCommitBatchSize": self.force_commit_batch_size,
            "forceCommitBatchStatusCheckIntervalMs": self.force_commit_batch_status_check_interval_ms,
            "forceCommitBatchStatusCheckTimeoutMs": self.force_commit_batch_status_check_timeout_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Vec<(String, String)> {
        text.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_resources() {
        let config = RebalanceConfig::from_query(&[]).unwrap();
        assert!(!config.dry_run && config.reassign_instances && config.include_consuming && !config.downtime);
        assert_eq!(config.min_available_replicas, -1);
        assert_eq!(config.minimize_data_movement, "ENABLE");
        assert_eq!(config.external_view_stabilization_timeout_ms, 3_600_000);
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.force_commit_batch_size, i32::MAX);
    }

    #[test]
    fn the_newer_runbook_parameter_set_parses() {
        let set = "type=REALTIME&dryRun=false&preChecks=false&reassignInstances=true&includeConsuming=true&\
                   minimizeDataMovement=DISABLE&bootstrap=false&downtime=false&minAvailableReplicas=0&bestEfforts=false&\
                   lowDiskMode=false&batchSizePerServer=-1&externalViewStabilizationTimeoutInMs=3600000&maxAttempts=3&\
                   updateTargetTier=false&diskUtilizationThreshold=-1&forceCommit=false&forceCommitBatchSize=2147483647&\
                   forceCommitBatchStatusCheckTimeoutMs=180000";
        let config = RebalanceConfig::from_query(&query(set)).unwrap();
        assert_eq!(
            (config.min_available_replicas, config.minimize_data_movement.as_str()),
            (0, "DISABLE")
        );
        assert_eq!(config.disk_utilization_threshold, -1.0);
    }

    #[test]
    fn unconvertible_values_are_rejected_like_jersey() {
        assert_eq!(
            RebalanceConfig::from_query(&query("minimizeDataMovement=enable")),
            Err(Unconvertible("minimizeDataMovement".into())),
            "Enablement.valueOf is case-sensitive"
        );
        assert!(RebalanceConfig::from_query(&query("minAvailableReplicas=one")).is_err());
        assert!(
            RebalanceConfig::from_query(&query("dryRun=yes")).is_ok_and(|c| !c.dry_run),
            "non-true is false"
        );
        assert_eq!(
            RebalanceConfig::from_query(&query("maxAttempts="))
                .unwrap()
                .max_attempts,
            3,
            "blank is default"
        );
    }

    #[test]
    fn heartbeat_bounds_follow_the_resource() {
        let config =
            RebalanceConfig::from_query(&query("externalViewCheckIntervalInMs=400000&heartbeatTimeoutInMs=10"))
                .unwrap();
        assert_eq!(config.heartbeat_interval_ms, 400_000);
        assert_eq!(config.heartbeat_timeout_ms, 1_200_000);
    }
}
