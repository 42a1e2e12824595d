//! CreateTopics and CreatePartitions (ControllerApis.createTopics / createPartitions, then the
//! controller rules in model/topics.rs).
use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_response::{CreatableTopicConfigs, CreatableTopicResult};
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse,
};
use serde_json::json;

use super::{Ctx, Handler, ids, message, not_controller, str_bytes};
use crate::kafka::errors::ApiError;
use crate::kafka::model::topics::NewTopic;

fn duplicate_error() -> ApiError {
    ApiError::new(ResponseError::InvalidRequest, "Duplicate topic name.")
}

/// Names that appear more than once in a request.
fn duplicates<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut dup = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            dup.insert(name.to_string());
        }
    }
    dup
}

impl Handler for CreateTopicsRequest {
    const NAME: &'static str = "CreateTopics";

    fn mutation(&self, _version: i16) -> Option<serde_json::Value> {
        let topics: Vec<String> = self.topics.iter().map(|t| t.name.0.to_string()).collect();
        (!self.validate_only).then(|| json!({ "topics": topics }))
    }

    fn handle(self, ctx: &mut Ctx) -> CreateTopicsResponse {
        let v = ctx.version;
        if let Some(error) = not_controller(ctx) {
            return self.error_response(v, &error);
        }
        let dup = duplicates(self.topics.iter().map(|t| t.name.0.as_str()));
        let mut results = Vec::new();
        for t in self.topics.iter().filter(|t| !dup.contains(t.name.0.as_str())) {
            let name = t.name.0.to_string();
            let new = NewTopic {
                name: name.clone(),
                num_partitions: t.num_partitions,
                replication_factor: t.replication_factor,
                assignments: t
                    .assignments
                    .iter()
                    .map(|a| (a.partition_index, ids(&a.broker_ids)))
                    .collect(),
                configs: t
                    .configs
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            c.value.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                        )
                    })
                    .collect::<BTreeMap<_, _>>(),
            };
            let result = match ctx.cluster.create_topic(&new, self.validate_only) {
                Err(error) => failed_topic(t.name.clone(), v, &error),
                Ok(()) => created_topic(ctx, &new, v),
            };
            results.push(result);
        }
        for name in dup {
            results.push(failed_topic(super::topic_name(name), v, &duplicate_error()));
        }
        CreateTopicsResponse::default().with_topics(results)
    }

    fn error_response(&self, version: i16, error: &ApiError) -> CreateTopicsResponse {
        let topics = self
            .topics
            .iter()
            .map(|t| failed_topic(t.name.clone(), version, error))
            .collect();
        CreateTopicsResponse::default().with_topics(topics)
    }
}

fn failed_topic(name: kafka_protocol::messages::TopicName, version: i16, error: &ApiError) -> CreatableTopicResult {
    let mut result = CreatableTopicResult::default()
        .with_name(name)
        .with_error_code(error.code)
        .with_error_message(message(error));
    if version >= 5 {
        result.configs = None;
    }
    result
}

/// The success result; v5+ also tells the partitions, replication factor and effective configs
/// (the validate-only answer describes the topic that would be created).
fn created_topic(ctx: &Ctx, new: &NewTopic, version: i16) -> CreatableTopicResult {
    let mut result = CreatableTopicResult::default()
        .with_name(super::topic_name(new.name.clone()))
        .with_error_message(None);
    if version >= 5 {
        let cluster = &*ctx.cluster;
        let (partitions, rf) = match cluster.topics.get(&new.name) {
            Some(t) => (
                t.partitions.len() as i32,
                t.partitions.first().map_or(0, |p| p.replicas.len() as i16),
            ),
            None if !new.assignments.is_empty() => (new.assignments.len() as i32, new.assignments[0].1.len() as i16),
            None => (
                if new.num_partitions == -1 {
                    cluster.settings.num_partitions
                } else {
                    new.num_partitions
                },
                if new.replication_factor == -1 {
                    cluster.settings.default_replication_factor
                } else {
                    new.replication_factor
                },
            ),
        };
        let mut store = crate::kafka::model::configs::ConfigStore::default();
        store.topics.insert(new.name.clone(), new.configs.clone());
        let configs = store
            .describe_topic(&new.name)
            .into_iter()
            .map(|e| {
                CreatableTopicConfigs::default()
                    .with_name(str_bytes(e.name))
                    .with_value(e.value.map(str_bytes))
                    .with_read_only(e.read_only)
                    .with_config_source(e.source as i8)
                    .with_is_sensitive(false)
            })
            .collect();
        result.num_partitions = partitions;
        result.replication_factor = rf;
        result.configs = Some(configs);
    }
    if version >= 7 {
        result.topic_id = crate::kafka::model::Cluster::topic_id(&new.name);
    }
    result
}

impl Handler for CreatePartitionsRequest {
    const NAME: &'static str = "CreatePartitions";

    fn mutation(&self, _version: i16) -> Option<serde_json::Value> {
        let topics: BTreeMap<String, i32> = self.topics.iter().map(|t| (t.name.0.to_string(), t.count)).collect();
        (!self.validate_only).then(|| json!({ "topics": topics }))
    }

    fn handle(self, ctx: &mut Ctx) -> CreatePartitionsResponse {
        let v = ctx.version;
        if let Some(error) = not_controller(ctx) {
            return self.error_response(v, &error);
        }
        let dup = duplicates(self.topics.iter().map(|t| t.name.0.as_str()));
        let mut results = Vec::new();
        for t in self.topics.iter().filter(|t| !dup.contains(t.name.0.as_str())) {
            let assignments: Option<Vec<Vec<i32>>> = t
                .assignments
                .as_ref()
                .map(|list| list.iter().map(|a| ids(&a.broker_ids)).collect());
            let outcome =
                ctx.cluster
                    .create_partitions(t.name.0.as_str(), t.count, assignments.as_deref(), self.validate_only);
            let error = outcome.err();
            results.push(
                CreatePartitionsTopicResult::default()
                    .with_name(t.name.clone())
                    .with_error_code(error.as_ref().map_or(0, |e| e.code))
                    .with_error_message(error.as_ref().and_then(message)),
            );
        }
        for name in dup {
            let error = duplicate_error();
            results.push(
                CreatePartitionsTopicResult::default()
                    .with_name(super::topic_name(name))
                    .with_error_code(error.code)
                    .with_error_message(message(&error)),
            );
        }
        CreatePartitionsResponse::default().with_results(results)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> CreatePartitionsResponse {
        let results = self
            .topics
            .iter()
            .map(|t| {
                CreatePartitionsTopicResult::default()
                    .with_name(t.name.clone())
                    .with_error_code(error.code)
                    .with_error_message(message(error))
            })
            .collect();
        CreatePartitionsResponse::default().with_results(results)
    }
}
