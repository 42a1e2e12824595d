//! DescribeConfigs, AlterConfigs (legacy, replaces a resource's dynamic configs) and
//! IncrementalAlterConfigs (ConfigHelper.describeConfigs, ConfigAdminManager.preprocess,
//! ConfigurationControlManager); config definitions and validation are in model/configs.rs.
use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{
    AlterConfigsRequest, AlterConfigsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, alter_configs_response,
    incremental_alter_configs_response,
};
use kafka_protocol::protocol::StrBytes;
use serde_json::json;

use super::{Ctx, Handler, message, str_bytes};
use crate::kafka::errors::{ApiError, ApiResult};
use crate::kafka::model::Cluster;
use crate::kafka::model::configs::{AlterOp, Entry, OpType, RESOURCE_BROKER, RESOURCE_TOPIC, StaticBrokerConfig};

const RESOURCE_BROKER_LOGGER: i8 = 8;

fn resource_type_name(id: i8) -> &'static str {
    match id {
        RESOURCE_TOPIC => "TOPIC",
        RESOURCE_BROKER => "BROKER",
        RESOURCE_BROKER_LOGGER => "BROKER_LOGGER",
        16 => "CLIENT_METRICS",
        32 => "GROUP",
        _ => "UNKNOWN",
    }
}

fn invalid_request(text: impl Into<String>) -> ApiError {
    ApiError::new(ResponseError::InvalidRequest, text)
}

/// ConfigHelper.resourceNameToBrokerId.
fn broker_id_of(name: &str) -> ApiResult<i32> {
    name.parse()
        .map_err(|_| invalid_request(format!("Broker id must be an integer, but it is: {name}")))
}

impl Handler for DescribeConfigsRequest {
    const NAME: &'static str = "DescribeConfigs";

    fn handle(self, ctx: &mut Ctx) -> DescribeConfigsResponse {
        let v = ctx.version;
        let results = self
            .resources
            .iter()
            .map(|r| {
                let name = r.resource_name.to_string();
                let described = describe(ctx, r.resource_type, &name);
                match described {
                    Err(error) => DescribeConfigsResult::default()
                        .with_error_code(error.code)
                        .with_error_message(message(&error))
                        .with_resource_type(r.resource_type)
                        .with_resource_name(r.resource_name.clone()),
                    Ok(entries) => {
                        let keys: Option<BTreeSet<&str>> = r
                            .configuration_keys
                            .as_ref()
                            .filter(|keys| !keys.is_empty())
                            .map(|keys| keys.iter().map(|k| k.as_str()).collect());
                        let configs = entries
                            .into_iter()
                            .filter(|e| keys.as_ref().is_none_or(|keys| keys.contains(e.name.as_str())))
                            .map(|e| config_entry(e, v, self.include_synonyms))
                            .collect();
                        DescribeConfigsResult::default()
                            .with_error_message(None)
                            .with_resource_type(r.resource_type)
                            .with_resource_name(r.resource_name.clone())
                            .with_configs(configs)
                    }
                }
            })
            .collect();
        DescribeConfigsResponse::default().with_results(results)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> DescribeConfigsResponse {
        let results = self
            .resources
            .iter()
            .map(|r| {
                DescribeConfigsResult::default()
                    .with_error_code(error.code)
                    .with_error_message(message(error))
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone())
            })
            .collect();
        DescribeConfigsResponse::default().with_results(results)
    }
}

fn describe(ctx: &Ctx, resource_type: i8, name: &str) -> ApiResult<Vec<Entry>> {
    let cluster = &*ctx.cluster;
    match resource_type {
        RESOURCE_TOPIC => {
            if cluster.topics.contains_key(name) {
                Ok(cluster.configs.describe_topic(name))
            } else {
                Err(ApiError::bare(ResponseError::UnknownTopicOrPartition))
            }
        }
        RESOURCE_BROKER if name.is_empty() => Ok(cluster.configs.describe_cluster_default()),
        RESOURCE_BROKER => {
            if broker_id_of(name)? != ctx.broker {
                return Err(invalid_request(format!(
                    "Unexpected broker id, expected {} or empty string, but received {name}",
                    ctx.broker
                )));
            }
            Ok(cluster.configs.describe_broker(&statics(cluster, ctx.broker)))
        }
        RESOURCE_BROKER_LOGGER => {
            if name.is_empty() {
                return Err(invalid_request("Broker id must not be empty"));
            }
            if broker_id_of(name)? != ctx.broker {
                return Err(invalid_request(format!(
                    "Unexpected broker id, expected {} but received {name}",
                    ctx.broker
                )));
            }
            // The fake has no log4j loggers to show.
            Ok(Vec::new())
        }
        other => Err(invalid_request(format!(
            "Unsupported resource type: {}",
            resource_type_name(other)
        ))),
    }
}

fn statics(cluster: &Cluster, broker: i32) -> StaticBrokerConfig<'_> {
    StaticBrokerConfig {
        broker_id: broker,
        rack: cluster.brokers.get(&broker).and_then(|b| b.rack.as_deref()),
        log_dir: &cluster.settings.log_dir,
        num_partitions: cluster.settings.num_partitions,
        default_replication_factor: cluster.settings.default_replication_factor,
    }
}

fn config_entry(e: Entry, version: i16, include_synonyms: bool) -> DescribeConfigsResourceResult {
    let mut out = DescribeConfigsResourceResult::default()
        .with_name(str_bytes(e.name))
        .with_value(e.value.map(str_bytes))
        .with_read_only(e.read_only)
        .with_config_source(e.source as i8)
        .with_is_sensitive(false);
    if include_synonyms {
        out.synonyms = e
            .synonyms
            .into_iter()
            .map(|(name, value, source)| {
                DescribeConfigsSynonym::default()
                    .with_name(str_bytes(name))
                    .with_value(value.map(str_bytes))
                    .with_source(source as i8)
            })
            .collect();
    }
    if version >= 3 {
        out.config_type = e.kind as i8;
        out.documentation = None;
    }
    out
}

/// The checks ConfigAdminManager.preprocess runs on a broker before it forwards an alter request:
/// a resource at most once, a key at most once, broker resources only for this broker.
fn preprocess(ctx: &Ctx, resources: &[(i8, String, Vec<String>)]) -> Vec<Option<ApiError>> {
    let mut seen: BTreeMap<(i8, &str), usize> = BTreeMap::new();
    let mut errors: Vec<Option<ApiError>> = vec![None; resources.len()];
    for (i, (kind, name, _)) in resources.iter().enumerate() {
        if let Some(&first) = seen.get(&(*kind, name.as_str())) {
            let dup = invalid_request("Each resource must appear at most once.");
            errors[first] = Some(dup.clone());
            errors[i] = Some(dup);
        } else {
            seen.insert((*kind, name.as_str()), i);
        }
    }
    for (i, (kind, name, keys)) in resources.iter().enumerate() {
        if errors[i].is_some() {
            continue;
        }
        let unique: BTreeSet<&String> = keys.iter().collect();
        errors[i] = if unique.len() != keys.len() {
            Some(invalid_request("Error due to duplicate config keys"))
        } else {
            match *kind {
                RESOURCE_TOPIC => None,
                RESOURCE_BROKER if name.is_empty() => None,
                RESOURCE_BROKER => match name.parse::<i32>() {
                    Err(_) => Some(invalid_request(format!(
                        "Node id must be an integer, but it is: {name}"
                    ))),
                    Ok(id) if id != ctx.broker => Some(invalid_request(format!(
                        "Unexpected broker id, expected {}, but received {name}",
                        ctx.broker
                    ))),
                    Ok(_) => None,
                },
                other => Some(invalid_request(format!("Unknown resource type {other}"))),
            }
        };
    }
    errors
}

/// ConfigurationControlManager's existence check, after validation.
fn topic_exists(cluster: &Cluster, topic: &str) -> ApiResult<()> {
    if cluster.topics.contains_key(topic) {
        Ok(())
    } else {
        Err(ApiError::new(
            ResponseError::UnknownTopicOrPartition,
            format!("The topic '{topic}' does not exist."),
        ))
    }
}

impl Handler for AlterConfigsRequest {
    const NAME: &'static str = "AlterConfigs";

    fn mutation(&self, _version: i16) -> Option<serde_json::Value> {
        let resources: Vec<serde_json::Value> = self
            .resources
            .iter()
            .map(|r| {
                let configs: BTreeMap<String, Option<String>> =
                    r.configs.iter().map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string()))).collect();
                json!({"type": resource_type_name(r.resource_type), "name": r.resource_name.to_string(), "configs": configs})
            })
            .collect();
        (!self.validate_only).then(|| json!({ "resources": resources }))
    }

    fn handle(self, ctx: &mut Ctx) -> AlterConfigsResponse {
        let listed: Vec<(i8, String, Vec<String>)> = self
            .resources
            .iter()
            .map(|r| {
                (
                    r.resource_type,
                    r.resource_name.to_string(),
                    r.configs.iter().map(|c| c.name.to_string()).collect(),
                )
            })
            .collect();
        let pre = preprocess(ctx, &listed);
        let responses = self
            .resources
            .iter()
            .zip(pre)
            .map(|(r, pre)| {
                let outcome = match pre {
                    Some(error) => Err(error),
                    None => alter_legacy(ctx, r, self.validate_only),
                };
                alter_result(r.resource_type, &r.resource_name, outcome.err())
            })
            .collect();
        AlterConfigsResponse::default().with_responses(responses)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> AlterConfigsResponse {
        let responses = self
            .resources
            .iter()
            .map(|r| alter_result(r.resource_type, &r.resource_name, Some(error.clone())))
            .collect();
        AlterConfigsResponse::default().with_responses(responses)
    }
}

fn alter_legacy(
    ctx: &mut Ctx,
    r: &kafka_protocol::messages::alter_configs_request::AlterConfigsResource,
    validate_only: bool,
) -> ApiResult<()> {
    let name = r.resource_name.to_string();
    let mut configs = BTreeMap::new();
    for c in &r.configs {
        let value = c
            .value
            .as_ref()
            .ok_or_else(|| invalid_request(format!("Null value not supported for : {}", c.name)))?;
        configs.insert(c.name.to_string(), value.to_string());
    }
    let cluster = &mut *ctx.cluster;
    if r.resource_type == RESOURCE_TOPIC {
        // Validation first (INVALID_CONFIG), then existence, as the controller orders them.
        crate::kafka::model::configs::ConfigStore::default().replace_topic(&name, configs.clone(), true)?;
        topic_exists(cluster, &name)?;
        cluster.configs.replace_topic(&name, configs, validate_only)
    } else {
        cluster.configs.replace_broker(&name, configs, validate_only)
    }
}

fn alter_result(
    resource_type: i8,
    name: &StrBytes,
    error: Option<ApiError>,
) -> alter_configs_response::AlterConfigsResourceResponse {
    alter_configs_response::AlterConfigsResourceResponse::default()
        .with_error_code(error.as_ref().map_or(0, |e| e.code))
        .with_error_message(error.as_ref().and_then(message))
        .with_resource_type(resource_type)
        .with_resource_name(name.clone())
}

impl Handler for IncrementalAlterConfigsRequest {
    const NAME: &'static str = "IncrementalAlterConfigs";

    fn mutation(&self, _version: i16) -> Option<serde_json::Value> {
        let resources: Vec<serde_json::Value> = self
            .resources
            .iter()
            .map(|r| {
                let ops: Vec<serde_json::Value> = r
                    .configs
                    .iter()
                    .map(|c| {
                        json!({"name": c.name.to_string(), "op": c.config_operation, "value": c.value.as_ref().map(|v| v.to_string())})
                    })
                    .collect();
                json!({"type": resource_type_name(r.resource_type), "name": r.resource_name.to_string(), "ops": ops})
            })
            .collect();
        (!self.validate_only).then(|| json!({ "resources": resources }))
    }

    fn handle(self, ctx: &mut Ctx) -> IncrementalAlterConfigsResponse {
        let listed: Vec<(i8, String, Vec<String>)> = self
            .resources
            .iter()
            .map(|r| {
                (
                    r.resource_type,
                    r.resource_name.to_string(),
                    r.configs.iter().map(|c| c.name.to_string()).collect(),
                )
            })
            .collect();
        let pre = preprocess(ctx, &listed);
        let responses = self
            .resources
            .iter()
            .zip(pre)
            .map(|(r, pre)| {
                let outcome = match pre {
                    Some(error) => Err(error),
                    None => alter_incremental(ctx, r, self.validate_only),
                };
                incremental_result(r.resource_type, &r.resource_name, outcome.err())
            })
            .collect();
        IncrementalAlterConfigsResponse::default().with_responses(responses)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> IncrementalAlterConfigsResponse {
        let responses = self
            .resources
            .iter()
            .map(|r| incremental_result(r.resource_type, &r.resource_name, Some(error.clone())))
            .collect();
        IncrementalAlterConfigsResponse::default().with_responses(responses)
    }
}

fn alter_incremental(
    ctx: &mut Ctx,
    r: &kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource,
    validate_only: bool,
) -> ApiResult<()> {
    let name = r.resource_name.to_string();
    let mut ops = Vec::new();
    for c in &r.configs {
        let op = OpType::from_id(c.config_operation)
            .ok_or_else(|| invalid_request(format!("Unknown operations type {}", c.config_operation)))?;
        if op != OpType::Delete && c.value.is_none() {
            return Err(invalid_request(format!("Null value not supported for : {}", c.name)));
        }
        ops.push(AlterOp {
            name: c.name.to_string(),
            op,
            value: c.value.as_ref().map(|v| v.to_string()),
        });
    }
    let cluster = &mut *ctx.cluster;
    if r.resource_type == RESOURCE_TOPIC {
        let mut scratch = cluster.configs.clone();
        scratch.incremental_alter_topic(&name, &ops, true)?;
        topic_exists(cluster, &name)?;
        cluster.configs.incremental_alter_topic(&name, &ops, validate_only)
    } else {
        cluster.configs.incremental_alter_broker(&name, &ops, validate_only)
    }
}

fn incremental_result(
    resource_type: i8,
    name: &StrBytes,
    error: Option<ApiError>,
) -> incremental_alter_configs_response::AlterConfigsResourceResponse {
    incremental_alter_configs_response::AlterConfigsResourceResponse::default()
        .with_error_code(error.as_ref().map_or(0, |e| e.code))
        .with_error_message(error.as_ref().and_then(message))
        .with_resource_type(resource_type)
        .with_resource_name(name.clone())
}
