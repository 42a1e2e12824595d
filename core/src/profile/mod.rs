//! Profiles: the Kloudfuse chart knowledge as data. Which workload lives at which values path and
//! follows which replica rule, where the topic list and the broker disk size are, which Pinot tables
//! need a manual rebalance and with which parameters per chart version.
//!
//! Two profiles are built in (`kraft`, `legacy`); a profile file may start from one (`base:`), and
//! kfscale.yaml may override any entry. Overrides merge like JSON merge patch: mappings merge key by
//! key, `null` removes, anything else replaces.
use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{ValuePath, ValuesError, typed};

mod detect;
mod merge;
mod parameters;

pub use detect::detect_layout;
pub use merge::merge_patch;
pub use parameters::select_parameter_set;

const BUILTIN: &[(&str, &str)] = &[
    ("kraft", include_str!("builtin/kraft.yaml")),
    ("legacy", include_str!("builtin/legacy.yaml")),
];

/// How deep `base:` chains may go; a deeper chain is a loop in practice.
const MAX_BASE_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The node count the chart validates against; set to the new node count.
    pub num_nodes_path: Option<ValuePath>,
    /// Workload name (as in Kubernetes) -> where its replica count lives and how it scales.
    pub workloads: BTreeMap<String, WorkloadRule>,
    pub kafka: KafkaProfile,
    pub pinot: PinotProfile,
    /// A multi-AZ install's node total must be a multiple of this (Kloudfuse: 6, equal nodes in 3
    /// zones); 0: only an even split over the zones.
    #[serde(default)]
    pub multi_az_node_multiple: u32,
    /// Helm hook Jobs with fixed names; a leftover one blocks the next upgrade.
    #[serde(default)]
    pub hook_jobs: Vec<String>,
    /// StatefulSet -> where the values keep its volume size, for the volumes besides the Kafka
    /// brokers' (`kafka.disk_size_path`): a claim grown by hand raises the values to its size, and
    /// a volume claim template unlike the values is refused (the upgrade would fail).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, VolumeRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeRule {
    /// The size's values path, e.g. `pinot.server.realtime.persistence.size`.
    pub path: ValuePath,
    /// The StatefulSet's volume claim template (claims are `<template>-<statefulset>-<N>`).
    #[serde(default = "default_volume_claim_template")]
    pub template: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadRule {
    pub path: ValuePath,
    pub rule: Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// ceil(replicas x (n+m)/n).
    Scale,
    /// Always this many (quorums 3, singletons 1).
    Fixed(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KafkaLayout {
    Kraft,
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaProfile {
    pub layout: KafkaLayout,
    /// The StatefulSet of the brokers; its replica count is the broker count.
    pub broker_workload: String,
    /// A declared broker id of pod ordinal 0. Broker ids are read from the live cluster (each
    /// broker's host names its pod); when this is set, the live rule must agree with it (pre-check
    /// `broker-ids`). The built-in profiles leave it unset: no base is assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_id_base: Option<i32>,
    /// Where the values file may set the chart's broker id of ordinal 0 (`minId`): when the file
    /// sets it, the live rule must agree with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_min_id_path: Option<ValuePath>,
    pub disk_size_path: ValuePath,
    pub retention_bytes_path: Option<ValuePath>,
    /// Bytes kept per partition replica when the file does not say (Kloudfuse: 10 GiB).
    pub default_retention_bytes: u64,
    /// The list of `{name, partitions, replicationFactor}` items.
    pub topics_path: ValuePath,
    /// Partitions grow by this factor; absent: (n+m)/n. Never decrease.
    #[serde(default)]
    pub partition_factor: Option<f64>,
    #[serde(default)]
    pub cluster_id_path: Option<ValuePath>,
    #[serde(default)]
    pub cluster_id_secret: Option<String>,
    /// The broker StatefulSet's volume claim template (claims are `<template>-<statefulset>-<N>`).
    #[serde(default = "default_volume_claim_template")]
    pub volume_claim_template: String,
    /// The key of that Secret holding the id.
    #[serde(default = "default_cluster_id_secret_key")]
    pub cluster_id_secret_key: String,
    #[serde(default)]
    pub internal_topics: Vec<String>,
    /// Stream (logs, metrics, traces, events) -> its topics: the runbook grows each stream's
    /// topics "in the right proportion", so kfscale.yaml's `partition_growth.streams` sets an
    /// expected growth per stream. A topic is in one stream at most; one in none takes the default.
    #[serde(default)]
    pub streams: BTreeMap<String, Vec<String>>,
}

impl KafkaProfile {
    /// The stream `topic` belongs to, if any.
    pub fn stream_of(&self, topic: &str) -> Option<&str> {
        self.streams
            .iter()
            .find(|(_, topics)| topics.iter().any(|t| t == topic))
            .map(|(stream, _)| stream.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinotProfile {
    /// Tables (with the `_REALTIME`/`_OFFLINE` suffix) that need a manual rebalance; tables the
    /// cluster does not have are skipped (for example the rollup table when rollup is off).
    pub manual_rebalance_tables: Vec<String>,
    /// Those of `manual_rebalance_tables` the runbook calls optional (the rollup table, which exists
    /// only with rollup on): absent, they are skipped. Any other absent table fails the `pinot`
    /// pre-check, because the runbook's metrics rebalance is mandatory.
    #[serde(default)]
    pub optional_tables: Vec<String>,
    /// Table type (REALTIME, OFFLINE) -> the server StatefulSet that serves it.
    pub server_workloads: BTreeMap<String, String>,
    pub parameter_sets: Vec<ParameterSet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterSet {
    pub name: String,
    /// A semver requirement on the installed chart version, e.g. `>=3.5.0`.
    pub chart_versions: String,
    /// Query parameters of `POST /tables/{table}/rebalance` (besides `type`).
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    Yaml(#[from] ValuesError),
    #[error("cannot read profile file {path}: {error}; fix: check the path (or use a built-in profile: kraft, legacy)")]
    Read { path: String, error: std::io::Error },
    #[error("unknown built-in profile `{0}`; fix: use `kraft` or `legacy`, or a path to a profile file")]
    UnknownBuiltin(String),
    #[error(
        "profile `{0}`: `base:` chain is deeper than {MAX_BASE_DEPTH} (a loop?); fix: point `base:` at a built-in profile"
    )]
    BaseLoop(String),
    #[error("profile `{profile}`: {message}; fix: {fix}")]
    Invalid {
        profile: String,
        message: String,
        fix: String,
    },
}

impl Profile {
    /// `name_or_path`: `kraft`, `legacy`, or a profile file (which may name a `base:`). The core
    /// reads no files: `read_file` gives the text of a profile file (the edge passes the file
    /// system's; tests pass a map).
    pub fn load(
        name_or_path: &str,
        read_file: &dyn Fn(&str) -> std::io::Result<String>,
    ) -> Result<Profile, ProfileError> {
        let value = load_value(name_or_path, read_file, 0)?;
        let profile: Profile = typed::from_json_value(name_or_path, None, value)?;
        profile.validate()?;
        Ok(profile)
    }

    pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
        if !BUILTIN.iter().any(|(builtin, _)| *builtin == name) {
            return Err(ProfileError::UnknownBuiltin(name.to_string()));
        }
        Profile::load(name, &|_| Err(std::io::ErrorKind::NotFound.into()))
    }

    /// This profile with `overrides` (a JSON merge patch, e.g. kfscale.yaml's `profile:` section)
    /// applied. `origin` names where the overrides came from, for errors.
    pub fn with_overrides(&self, overrides: &serde_json::Value, origin: &str) -> Result<Profile, ProfileError> {
        let mut value = serde_json::to_value(self).map_err(|err| ProfileError::Invalid {
            profile: self.name.clone(),
            message: err.to_string(),
            fix: "report this kfscale bug".into(),
        })?;
        merge_patch(&mut value, overrides);
        let profile: Profile = typed::from_json_value(origin, None, value)?;
        profile.validate()?;
        Ok(profile)
    }

    pub fn broker_rule(&self) -> Option<&WorkloadRule> {
        self.workloads.get(&self.kafka.broker_workload)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        let invalid = |message: String, fix: &str| ProfileError::Invalid {
            profile: self.name.clone(),
            message,
            fix: fix.to_string(),
        };
        match self.broker_rule() {
            None => {
                return Err(invalid(
                    format!(
                        "kafka.broker_workload `{}` is not one of the workloads",
                        self.kafka.broker_workload
                    ),
                    "add it under `workloads:` with its values path",
                ));
            }
            Some(rule) if rule.rule != Rule::Scale => {
                return Err(invalid(
                    format!(
                        "the broker workload `{}` must have rule `scale`",
                        self.kafka.broker_workload
                    ),
                    "set `rule: scale` for it",
                ));
            }
            Some(_) => {}
        }
        if let Some(factor) = self.kafka.partition_factor
            && !(factor.is_finite() && factor >= 1.0)
        {
            return Err(invalid(
                format!("kafka.partition_factor is {factor}"),
                "use a number >= 1 (partitions never decrease), or remove it for (n+m)/n",
            ));
        }
        self.validate_streams()
            .map_err(|(message, fix)| invalid(message, fix))?;
        for set in &self.pinot.parameter_sets {
            semver::VersionReq::parse(&set.chart_versions).map_err(|err| {
                invalid(
                    format!(
                        "pinot parameter set `{}`: chart_versions `{}` is not a version range: {err}",
                        set.name, set.chart_versions
                    ),
                    "write it like `>=3.5.0` or `>=3.4.0, <3.5.0`",
                )
            })?;
        }
        for (name, workload) in &self.workloads {
            if matches!(workload.rule, Rule::Fixed(0)) {
                return Err(invalid(
                    format!("workload `{name}` has rule fixed: 0"),
                    "a scale-out never stops a workload: use 1 or more",
                ));
            }
        }
        Ok(())
    }
}

impl Profile {
    /// A stream needs a name, and a topic can grow by one stream's setting only.
    fn validate_streams(&self) -> Result<(), (String, &'static str)> {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for (stream, topics) in &self.kafka.streams {
            if stream.trim().is_empty() {
                return Err((
                    "kafka.streams has a stream with an empty name".into(),
                    "name it (logs, metrics, traces, events) or remove it",
                ));
            }
            for topic in topics {
                if let Some(first) = owner.insert(topic, stream) {
                    return Err((
                        format!("kafka.streams: topic `{topic}` is in both `{first}` and `{stream}`"),
                        "keep it in one stream: its partitions grow by that stream's expected growth",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn load_value(
    name_or_path: &str,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
    depth: usize,
) -> Result<serde_json::Value, ProfileError> {
    if depth > MAX_BASE_DEPTH {
        return Err(ProfileError::BaseLoop(name_or_path.to_string()));
    }
    let (file, text) = match BUILTIN.iter().find(|(name, _)| *name == name_or_path) {
        Some((name, text)) => (format!("<built-in profile {name}>"), (*text).to_string()),
        None if looks_like_path(name_or_path) => {
            let text = read_file(name_or_path).map_err(|source| ProfileError::Read {
                path: name_or_path.to_string(),
                error: source,
            })?;
            (name_or_path.to_string(), text)
        }
        None => return Err(ProfileError::UnknownBuiltin(name_or_path.to_string())),
    };
    let mut value: serde_json::Value = typed::from_yaml_str(&file, &text)?;
    let base = value.as_object_mut().and_then(|map| map.remove("base"));
    match base {
        None | Some(serde_json::Value::Null) => Ok(value),
        Some(serde_json::Value::String(base)) => {
            let base = resolve_relative(name_or_path, &base);
            let mut merged = load_value(&base, read_file, depth + 1)?;
            merge_patch(&mut merged, &value);
            Ok(merged)
        }
        Some(other) => Err(ProfileError::Invalid {
            profile: name_or_path.to_string(),
            message: format!("`base:` is {other}, not a profile name"),
            fix: "write `base: kraft`, `base: legacy` or a path".into(),
        }),
    }
}

fn default_volume_claim_template() -> String {
    "data".into()
}

fn default_cluster_id_secret_key() -> String {
    "kraft-cluster-id".into()
}

fn looks_like_path(text: &str) -> bool {
    text.contains('/') || text.ends_with(".yaml") || text.ends_with(".yml")
}

/// A `base:` path is relative to the profile file that names it.
fn resolve_relative(from: &str, base: &str) -> String {
    if !looks_like_path(base) || Path::new(base).is_absolute() {
        return base.to_string();
    }
    match Path::new(from).parent() {
        Some(dir) if looks_like_path(from) => dir.join(base).to_string_lossy().into_owned(),
        _ => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_load() {
        let kraft = Profile::builtin("kraft").unwrap();
        assert_eq!(kraft.kafka.broker_id_base, None, "no base is assumed");
        assert_eq!(kraft.workloads["kafka-kraft-controller"].rule, Rule::Fixed(3));
        let legacy = Profile::builtin("legacy").unwrap();
        assert_eq!(legacy.name, "legacy");
        assert_eq!(legacy.kafka.broker_id_base, None, "no base is assumed");
        assert!(!legacy.workloads.contains_key("kafka-kraft-broker"));
        assert_eq!(legacy.workloads["kafka-zookeeper"].rule, Rule::Fixed(3));
        assert_eq!(legacy.kafka.cluster_id_path, None);
        assert_eq!(legacy.pinot, kraft.pinot);
    }

    #[test]
    fn overrides_merge_by_key_and_null_removes() {
        let kraft = Profile::builtin("kraft").unwrap();
        let patched = kraft
            .with_overrides(
                &serde_json::json!({
                    "workloads": {"ingester": {"path": "ingester.replicas"}, "kfuse-grafana": null,
                                  "my-svc": {"path": "mySvc.replicaCount", "rule": "scale"}},
                    "kafka": {"partition_factor": 2.0}
                }),
                "kfscale.yaml",
            )
            .unwrap();
        assert_eq!(patched.workloads["ingester"].path.to_string(), "ingester.replicas");
        assert_eq!(patched.workloads["ingester"].rule, Rule::Scale);
        assert!(!patched.workloads.contains_key("kfuse-grafana"));
        assert!(patched.workloads.contains_key("my-svc"));
        assert_eq!(patched.kafka.partition_factor, Some(2.0));
    }

    #[test]
    fn bad_overrides_name_the_key() {
        let kraft = Profile::builtin("kraft").unwrap();
        let err = kraft
            .with_overrides(
                &serde_json::json!({"workloads": {"ingester": {"rule": "double"}}}),
                "kfscale.yaml",
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("kfscale.yaml") && err.contains("workloads.ingester.rule"),
            "{err}"
        );
        let err = kraft
            .with_overrides(&serde_json::json!({"kafka": {"partition_factor": 0.5}}), "kfscale.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("partition_factor"), "{err}");
        assert!(matches!(Profile::builtin("nope"), Err(ProfileError::UnknownBuiltin(_))));
    }

    #[test]
    fn streams_group_the_kloudfuse_topics_and_a_topic_has_one_stream() {
        for name in ["kraft", "legacy"] {
            let profile = Profile::builtin(name).unwrap();
            let streams: Vec<&str> = profile.kafka.streams.keys().map(String::as_str).collect();
            assert_eq!(streams, ["events", "logs", "metrics", "traces"], "{name}");
            assert_eq!(profile.kafka.stream_of("kf_logs_metric_topic"), Some("logs"));
            assert_eq!(profile.kafka.stream_of("kf_metrics_rollup_topic"), Some("metrics"));
            assert_eq!(profile.kafka.stream_of("kf_traces_errors_topic"), Some("traces"));
            assert_eq!(profile.kafka.stream_of("__consumer_offsets"), None);
        }
        let kraft = Profile::builtin("kraft").unwrap();
        let rum = kraft
            .with_overrides(
                &serde_json::json!({"kafka": {"streams": {"rum": ["kf_rum_topic"], "events": null}}}),
                "kfscale.yaml",
            )
            .unwrap();
        assert_eq!(rum.kafka.stream_of("kf_rum_topic"), Some("rum"));
        assert_eq!(rum.kafka.stream_of("kf_events_topic"), None);
        let err = kraft
            .with_overrides(
                &serde_json::json!({"kafka": {"streams": {"rum": ["kf_logs_topic"]}}}),
                "kfscale.yaml",
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("topic `kf_logs_topic` is in both `logs` and `rum`")
                && err.contains("fix: keep it in one stream"),
            "{err}"
        );
    }
}
