//! Dynamic configs of topics and brokers: the store, the definitions the fake knows, and Kafka's
//! rules for describing and altering them (ConfigHelper, ConfigAdminManager,
//! ConfigurationControlManager, LogConfig, QuotaConfig, ThrottledReplicaListValidator).
//!
//! Real brokers describe a few hundred configs; the fake describes the subset below, which holds
//! every config kfscale touches (replication throttles) and the common ones around them.
use std::collections::BTreeMap;

use kafka_protocol::ResponseError;

use crate::kafka::errors::{ApiError, ApiResult};

/// ConfigResource.Type ids on the wire.
pub const RESOURCE_TOPIC: i8 = 2;
pub const RESOURCE_BROKER: i8 = 4;

/// DescribeConfigs `config_source` ids (ConfigEntry.ConfigSource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub enum Source {
    DynamicTopic = 1,
    DynamicBroker = 2,
    DynamicDefaultBroker = 3,
    StaticBroker = 4,
    Default = 5,
}

/// DescribeConfigs `config_type` ids (ConfigEntry.ConfigType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub enum Type {
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    List = 7,
}

/// What may be done with a config key: topic configs are all dynamic; broker configs are dynamic
/// (AlterConfigs may set them) or static (read-only, from server.properties).
pub struct Def {
    pub name: &'static str,
    pub kind: Type,
    pub default: Option<&'static str>,
    /// Broker configs: settable at runtime. Topic configs are always settable.
    pub dynamic: bool,
    /// The smallest allowed value of a number (`ConfigDef.Range.atLeast`).
    pub at_least: Option<i64>,
    /// For topic configs: the broker config that supplies the default (shown as a synonym).
    pub broker_synonym: Option<&'static str>,
}

const fn def(name: &'static str, kind: Type, default: Option<&'static str>) -> Def {
    Def {
        name,
        kind,
        default,
        dynamic: true,
        at_least: None,
        broker_synonym: None,
    }
}

const LONG_MAX: &str = "9223372036854775807";

pub static TOPIC_CONFIGS: &[Def] = &[
    Def {
        broker_synonym: Some("log.cleanup.policy"),
        ..def("cleanup.policy", Type::List, Some("delete"))
    },
    Def {
        broker_synonym: Some("compression.type"),
        ..def("compression.type", Type::String, Some("producer"))
    },
    Def {
        at_least: Some(0),
        ..def("delete.retention.ms", Type::Long, Some("86400000"))
    },
    def("follower.replication.throttled.replicas", Type::List, Some("")),
    def("leader.replication.throttled.replicas", Type::List, Some("")),
    Def {
        broker_synonym: Some("message.max.bytes"),
        at_least: Some(0),
        ..def("max.message.bytes", Type::Int, Some("1048588"))
    },
    Def {
        broker_synonym: Some("min.insync.replicas"),
        at_least: Some(1),
        ..def("min.insync.replicas", Type::Int, Some("1"))
    },
    Def {
        broker_synonym: Some("log.retention.bytes"),
        ..def("retention.bytes", Type::Long, Some("-1"))
    },
    Def {
        broker_synonym: Some("log.retention.ms"),
        at_least: Some(-1),
        ..def("retention.ms", Type::Long, Some("604800000"))
    },
    Def {
        broker_synonym: Some("log.segment.bytes"),
        at_least: Some(14),
        ..def("segment.bytes", Type::Int, Some("1073741824"))
    },
    Def {
        broker_synonym: Some("log.roll.ms"),
        at_least: Some(1),
        ..def("segment.ms", Type::Long, Some("604800000"))
    },
    Def {
        broker_synonym: Some("unclean.leader.election.enable"),
        ..def("unclean.leader.election.enable", Type::Boolean, Some("false"))
    },
];

const fn static_def(name: &'static str, kind: Type) -> Def {
    Def {
        name,
        kind,
        default: None,
        dynamic: false,
        at_least: None,
        broker_synonym: None,
    }
}

pub static BROKER_CONFIGS: &[Def] = &[
    static_def("auto.create.topics.enable", Type::Boolean),
    static_def("broker.id", Type::Int),
    static_def("broker.rack", Type::String),
    static_def("default.replication.factor", Type::Int),
    Def {
        at_least: Some(0),
        ..def("follower.replication.throttled.rate", Type::Long, Some(LONG_MAX))
    },
    Def {
        at_least: Some(0),
        ..def("leader.replication.throttled.rate", Type::Long, Some(LONG_MAX))
    },
    def("log.cleanup.policy", Type::List, Some("delete")),
    static_def("log.dirs", Type::String),
    def("log.retention.bytes", Type::Long, Some("-1")),
    def("log.retention.ms", Type::Long, None),
    def("log.roll.ms", Type::Long, None),
    Def {
        at_least: Some(14),
        ..def("log.segment.bytes", Type::Int, Some("1073741824"))
    },
    Def {
        at_least: Some(0),
        ..def("message.max.bytes", Type::Int, Some("1048588"))
    },
    Def {
        at_least: Some(1),
        ..def("min.insync.replicas", Type::Int, Some("1"))
    },
    static_def("num.partitions", Type::Int),
    Def {
        at_least: Some(0),
        ..def(
            "replica.alter.log.dirs.io.max.bytes.per.second",
            Type::Long,
            Some(LONG_MAX),
        )
    },
    def("unclean.leader.election.enable", Type::Boolean, Some("false")),
];

pub fn topic_def(name: &str) -> Option<&'static Def> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

pub fn broker_def(name: &str) -> Option<&'static Def> {
    BROKER_CONFIGS.iter().find(|d| d.name == name)
}

/// One described config entry, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub value: Option<String>,
    pub read_only: bool,
    pub source: Source,
    pub kind: Type,
    /// Higher precedence first: where else this key has a value (DescribeConfigs v1+).
    pub synonyms: Vec<(String, Option<String>, Source)>,
}

/// Dynamic configs as the controller stores them.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ConfigStore {
    pub topics: BTreeMap<String, BTreeMap<String, String>>,
    /// By resource name: `""` the cluster default, `"101"` one broker.
    pub brokers: BTreeMap<String, BTreeMap<String, String>>,
}

/// The read-only values a broker was started with (its server.properties).
pub struct StaticBrokerConfig<'a> {
    pub broker_id: i32,
    pub rack: Option<&'a str>,
    pub log_dir: &'a str,
    pub num_partitions: i32,
    pub default_replication_factor: i16,
}

impl StaticBrokerConfig<'_> {
    fn value(&self, name: &str) -> Option<String> {
        match name {
            "auto.create.topics.enable" => Some("false".to_string()),
            "broker.id" => Some(self.broker_id.to_string()),
            "broker.rack" => self.rack.map(str::to_string),
            "default.replication.factor" => Some(self.default_replication_factor.to_string()),
            "log.dirs" => Some(self.log_dir.to_string()),
            "num.partitions" => Some(self.num_partitions.to_string()),
            _ => None,
        }
    }
}

impl ConfigStore {
    pub fn topic(&self, topic: &str) -> Option<&BTreeMap<String, String>> {
        self.topics.get(topic)
    }

    pub fn topic_value(&self, topic: &str, name: &str) -> Option<&str> {
        self.topics.get(topic).and_then(|c| c.get(name)).map(String::as_str)
    }

    /// A broker's effective dynamic value: its own, else the cluster default.
    pub fn broker_value(&self, broker: i32, name: &str) -> Option<&str> {
        self.brokers
            .get(&broker.to_string())
            .and_then(|c| c.get(name))
            .or_else(|| self.brokers.get("").and_then(|c| c.get(name)))
            .map(String::as_str)
    }

    /// All known topic configs with their effective values (ConfigHelper.createTopicConfigEntry).
    pub fn describe_topic(&self, topic: &str) -> Vec<Entry> {
        let set = self.topics.get(topic);
        TOPIC_CONFIGS
            .iter()
            .map(|d| {
                let dynamic = set.and_then(|c| c.get(d.name)).cloned();
                let default = d.default.map(str::to_string);
                let mut synonyms = Vec::new();
                if let Some(v) = &dynamic {
                    synonyms.push((d.name.to_string(), Some(v.clone()), Source::DynamicTopic));
                }
                if let Some(broker_name) = d.broker_synonym {
                    let broker_dynamic = self.brokers.get("").and_then(|c| c.get(broker_name));
                    if let Some(v) = broker_dynamic {
                        synonyms.push((broker_name.to_string(), Some(v.clone()), Source::DynamicDefaultBroker));
                    }
                    synonyms.push((broker_name.to_string(), default.clone(), Source::Default));
                }
                let (value, source) = match dynamic {
                    Some(v) => (Some(v), Source::DynamicTopic),
                    None => (default, Source::Default),
                };
                Entry {
                    name: d.name.to_string(),
                    value,
                    read_only: false,
                    source,
                    kind: d.kind,
                    synonyms,
                }
            })
            .collect()
    }

    /// One broker's configs (ConfigHelper.createBrokerConfigEntry with perBrokerConfig).
    pub fn describe_broker(&self, statics: &StaticBrokerConfig) -> Vec<Entry> {
        let own = self.brokers.get(&statics.broker_id.to_string());
        let cluster = self.brokers.get("");
        BROKER_CONFIGS
            .iter()
            .map(|d| {
                let mut synonyms = Vec::new();
                if let Some(v) = own.and_then(|c| c.get(d.name)) {
                    synonyms.push((d.name.to_string(), Some(v.clone()), Source::DynamicBroker));
                }
                if let Some(v) = cluster.and_then(|c| c.get(d.name)) {
                    synonyms.push((d.name.to_string(), Some(v.clone()), Source::DynamicDefaultBroker));
                }
                if let Some(v) = statics.value(d.name) {
                    synonyms.push((d.name.to_string(), Some(v), Source::StaticBroker));
                }
                if let Some(v) = d.default {
                    synonyms.push((d.name.to_string(), Some(v.to_string()), Source::Default));
                }
                let (value, source) = match synonyms.first() {
                    Some((_, v, s)) => (v.clone(), *s),
                    None => (None, Source::Default),
                };
                Entry {
                    name: d.name.to_string(),
                    value,
                    read_only: !d.dynamic,
                    source,
                    kind: d.kind,
                    synonyms,
                }
            })
            .collect()
    }

    /// The cluster-wide defaults: only what was set dynamically at the `""` resource.
    pub fn describe_cluster_default(&self) -> Vec<Entry> {
        let Some(set) = self.brokers.get("") else {
            return Vec::new();
        };
        set.iter()
            .map(|(name, value)| Entry {
                name: name.clone(),
                value: Some(value.clone()),
                read_only: false,
                source: Source::DynamicDefaultBroker,
                kind: broker_def(name).map_or(Type::String, |d| d.kind),
                synonyms: vec![(name.clone(), Some(value.clone()), Source::DynamicDefaultBroker)],
            })
            .collect()
    }

    /// IncrementalAlterConfigs on a topic (ConfigurationControlManager.incrementalAlterConfigResource,
    /// validated like ControllerConfigurationValidator / LogConfig.validate). Applies only on success.
    pub fn incremental_alter_topic(&mut self, topic: &str, ops: &[AlterOp], validate_only: bool) -> ApiResult<()> {
        let mut next = self.topics.get(topic).cloned().unwrap_or_default();
        apply_ops(&mut next, ops, |name| topic_def(name).map(|d| (d.kind, d.default)))?;
        validate_topic_configs(&next)?;
        if !validate_only {
            self.set_topic(topic, next);
        }
        Ok(())
    }

    /// Legacy AlterConfigs on a topic: the given set replaces every dynamic config of the topic.
    pub fn replace_topic(
        &mut self,
        topic: &str,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> ApiResult<()> {
        validate_topic_configs(&configs)?;
        if !validate_only {
            self.set_topic(topic, configs);
        }
        Ok(())
    }

    /// IncrementalAlterConfigs on a broker resource (`""` or an id), validated as
    /// ConfigAdminManager.validateBrokerConfigChange does (errors are INVALID_REQUEST, KAFKA-13609).
    pub fn incremental_alter_broker(&mut self, name: &str, ops: &[AlterOp], validate_only: bool) -> ApiResult<()> {
        let mut next = self.brokers.get(name).cloned().unwrap_or_default();
        apply_ops(&mut next, ops, |key| {
            Some(broker_def(key).map_or((Type::String, None), |d| (d.kind, d.default)))
        })?;
        let changed: Vec<&str> = ops.iter().map(|op| op.name.as_str()).collect();
        validate_broker_configs(&next, &changed)?;
        if !validate_only {
            self.set_broker(name, next);
        }
        Ok(())
    }

    /// Legacy AlterConfigs on a broker resource: replaces its dynamic configs.
    pub fn replace_broker(
        &mut self,
        name: &str,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> ApiResult<()> {
        let changed: Vec<&str> = configs.keys().map(String::as_str).collect();
        validate_broker_configs(&configs, &changed)?;
        if !validate_only {
            self.set_broker(name, configs);
        }
        Ok(())
    }

    fn set_topic(&mut self, topic: &str, configs: BTreeMap<String, String>) {
        if configs.is_empty() {
            self.topics.remove(topic);
        } else {
            self.topics.insert(topic.to_string(), configs);
        }
    }

    fn set_broker(&mut self, name: &str, configs: BTreeMap<String, String>) {
        if configs.is_empty() {
            self.brokers.remove(name);
        } else {
            self.brokers.insert(name.to_string(), configs);
        }
    }
}

/// AlterConfigOp.OpType ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpType {
    Set,
    Delete,
    Append,
    Subtract,
}

impl OpType {
    pub fn from_id(id: i8) -> Option<OpType> {
        match id {
            0 => Some(OpType::Set),
            1 => Some(OpType::Delete),
            2 => Some(OpType::Append),
            3 => Some(OpType::Subtract),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AlterOp {
    pub name: String,
    pub op: OpType,
    pub value: Option<String>,
}

/// Applies operations to a resource's dynamic configs; `lookup` gives the key's type and default
/// (None for a key the resource type does not know).
fn apply_ops(
    configs: &mut BTreeMap<String, String>,
    ops: &[AlterOp],
    lookup: impl Fn(&str) -> Option<(Type, Option<&'static str>)>,
) -> ApiResult<()> {
    for op in ops {
        match op.op {
            OpType::Set => {
                // ConfigAdminManager.preprocess: only DELETE may carry a null value.
                let value = op.value.clone().ok_or_else(|| {
                    ApiError::new(
                        ResponseError::InvalidRequest,
                        format!("Null value not supported for : {}", op.name),
                    )
                })?;
                configs.insert(op.name.clone(), value);
            }
            OpType::Delete => {
                configs.remove(&op.name);
            }
            OpType::Append | OpType::Subtract => {
                let Some((Type::List, default)) = lookup(&op.name) else {
                    let op_name = if op.op == OpType::Append { "APPEND" } else { "SUBTRACT" };
                    return Err(ApiError::new(
                        ResponseError::InvalidConfig,
                        format!("Can't {op_name} to key {} because its type is not LIST.", op.name),
                    ));
                };
                let current = configs
                    .get(&op.name)
                    .cloned()
                    .or(default.map(str::to_string))
                    .unwrap_or_default();
                let mut parts: Vec<String> = current
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                for value in op.value.as_deref().unwrap_or("").split(',') {
                    if op.op == OpType::Append {
                        if !parts.iter().any(|p| p == value) {
                            parts.push(value.to_string());
                        }
                    } else if let Some(i) = parts.iter().position(|p| p == value) {
                        parts.remove(i);
                    }
                }
                configs.insert(op.name.clone(), parts.join(","));
            }
        }
    }
    Ok(())
}

/// LogConfig.validate: known names, parsable values, throttled replica lists well formed.
fn validate_topic_configs(configs: &BTreeMap<String, String>) -> ApiResult<()> {
    for (name, value) in configs {
        let Some(d) = topic_def(name) else {
            return Err(ApiError::new(
                ResponseError::InvalidConfig,
                format!("Unknown topic config name: {name}"),
            ));
        };
        check_value(d, value).map_err(|message| ApiError::new(ResponseError::InvalidConfig, message))?;
    }
    Ok(())
}

/// DynamicBrokerConfig.validate as the broker runs it before forwarding: read-only keys cannot be
/// set, values must parse. Unknown keys are accepted (custom configs), as in Kafka.
fn validate_broker_configs(configs: &BTreeMap<String, String>, changed: &[&str]) -> ApiResult<()> {
    let not_dynamic: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|name| broker_def(name).is_some_and(|d| !d.dynamic))
        .collect();
    if !not_dynamic.is_empty() {
        return Err(ApiError::new(
            ResponseError::InvalidRequest,
            format!(
                "Cannot update these configs dynamically: Set({})",
                not_dynamic.join(", ")
            ),
        ));
    }
    for (name, value) in configs {
        if let Some(d) = broker_def(name) {
            check_value(d, value).map_err(|message| ApiError::new(ResponseError::InvalidRequest, message))?;
        }
    }
    Ok(())
}

/// ConfigDef.parseType and the validators the fake's keys carry; the message is ConfigException's.
fn check_value(d: &Def, value: &str) -> Result<(), String> {
    let invalid = |why: &str| format!("Invalid value {value} for configuration {}: {why}", d.name);
    let trimmed = value.trim();
    match d.kind {
        Type::Long | Type::Int => {
            let number: i64 = if d.kind == Type::Long {
                trimmed.parse().map_err(|_| invalid("Not a number of type LONG"))?
            } else {
                trimmed
                    .parse::<i32>()
                    .map(i64::from)
                    .map_err(|_| invalid("Not a number of type INT"))?
            };
            if let Some(min) = d.at_least
                && number < min
            {
                return Err(invalid(&format!("Value must be at least {min}")));
            }
        }
        Type::Boolean => {
            if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                return Err(invalid("Expected value to be either true or false"));
            }
        }
        Type::List if d.name.ends_with(".replication.throttled.replicas") => {
            let entries: Vec<&str> = value.split(',').map(str::trim).collect();
            let well_formed = entries.iter().all(|e| e.is_empty() || is_partition_broker(e));
            if !(well_formed || entries.concat() == "*") {
                return Err(format!(
                    "Invalid value [{}] for configuration {}: {} must be the literal '*' or a list of replicas in the \
                     following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
                    entries.join(", "),
                    d.name,
                    d.name
                ));
            }
        }
        Type::List | Type::String => {}
    }
    Ok(())
}

fn is_partition_broker(entry: &str) -> bool {
    match entry.split_once(':') {
        Some((p, b)) => {
            !p.is_empty()
                && !b.is_empty()
                && p.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> AlterOp {
        AlterOp {
            name: name.into(),
            op: OpType::Set,
            value: Some(value.into()),
        }
    }

    #[test]
    fn throttled_replica_lists_must_be_star_or_partition_broker_pairs() {
        let mut store = ConfigStore::default();
        let ok = [set("leader.replication.throttled.replicas", "0:101,1:102")];
        assert!(store.incremental_alter_topic("t", &ok, false).is_ok());
        assert!(
            store
                .incremental_alter_topic("t", &[set("follower.replication.throttled.replicas", "*")], false)
                .is_ok()
        );
        let bad = store.incremental_alter_topic("t", &[set("leader.replication.throttled.replicas", "0-101")], false);
        assert_eq!(bad.unwrap_err().code, ResponseError::InvalidConfig.code());
    }

    #[test]
    fn append_and_subtract_work_on_lists_only() {
        let mut store = ConfigStore::default();
        let append = AlterOp {
            name: "leader.replication.throttled.replicas".into(),
            op: OpType::Append,
            value: Some("0:1".into()),
        };
        store
            .incremental_alter_topic("t", std::slice::from_ref(&append), false)
            .unwrap();
        store
            .incremental_alter_topic(
                "t",
                &[AlterOp {
                    value: Some("1:2".into()),
                    ..append.clone()
                }],
                false,
            )
            .unwrap();
        assert_eq!(
            store.topic_value("t", "leader.replication.throttled.replicas"),
            Some("0:1,1:2")
        );
        let subtract = AlterOp {
            op: OpType::Subtract,
            ..append
        };
        store.incremental_alter_topic("t", &[subtract], false).unwrap();
        assert_eq!(
            store.topic_value("t", "leader.replication.throttled.replicas"),
            Some("1:2")
        );
        let on_long = AlterOp {
            name: "retention.ms".into(),
            op: OpType::Append,
            value: Some("1".into()),
        };
        assert_eq!(
            store.incremental_alter_topic("t", &[on_long], false).unwrap_err().code,
            40
        );
    }

    #[test]
    fn broker_rates_must_be_non_negative_longs_and_static_keys_are_read_only() {
        let mut store = ConfigStore::default();
        assert!(
            store
                .incremental_alter_broker("101", &[set("leader.replication.throttled.rate", "1000")], false)
                .is_ok()
        );
        assert_eq!(
            store.broker_value(101, "leader.replication.throttled.rate"),
            Some("1000")
        );
        let negative = store.incremental_alter_broker("101", &[set("leader.replication.throttled.rate", "-1")], false);
        assert_eq!(negative.unwrap_err().code, ResponseError::InvalidRequest.code());
        let read_only = store.incremental_alter_broker("101", &[set("broker.id", "7")], false);
        assert_eq!(read_only.unwrap_err().code, ResponseError::InvalidRequest.code());
    }

    #[test]
    fn cluster_defaults_apply_to_brokers_without_their_own_value() {
        let mut store = ConfigStore::default();
        store
            .incremental_alter_broker("", &[set("follower.replication.throttled.rate", "500")], false)
            .unwrap();
        assert_eq!(
            store.broker_value(7, "follower.replication.throttled.rate"),
            Some("500")
        );
    }
}
