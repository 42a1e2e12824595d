//! ElectLeaders (KIP-183, election types from KIP-460); the rules live in model/elect.rs.
use kafka_protocol::ResponseError;
use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse};
use serde_json::json;

use super::{Ctx, Handler, message, not_controller, topic_name};
use crate::kafka::errors::ApiError;
use crate::kafka::model::elect::ElectionType;

/// The election asked for: v0 has no type and means preferred.
fn election(request: &ElectLeadersRequest, version: i16) -> Option<ElectionType> {
    if version < 1 {
        return Some(ElectionType::Preferred);
    }
    ElectionType::from_code(request.election_type)
}

/// (topic, partitions) asked for, None for every partition.
fn wanted(request: &ElectLeadersRequest) -> Option<Vec<(String, Vec<i32>)>> {
    request.topic_partitions.as_ref().map(|topics| {
        topics
            .iter()
            .map(|t| (t.topic.0.to_string(), t.partitions.clone()))
            .collect()
    })
}

impl Handler for ElectLeadersRequest {
    const NAME: &'static str = "ElectLeaders";

    fn mutation(&self, version: i16) -> Option<serde_json::Value> {
        let partitions = wanted(self).map(|topics| {
            topics
                .iter()
                .flat_map(|(t, ps)| ps.iter().map(move |p| format!("{t}-{p}")))
                .collect::<Vec<_>>()
        });
        Some(json!({
            "election_type": if version < 1 { 0 } else { self.election_type },
            "partitions": partitions,
        }))
    }

    fn handle(self, ctx: &mut Ctx) -> ElectLeadersResponse {
        let v = ctx.version;
        if let Some(error) = not_controller(ctx) {
            return self.error_response(v, &error);
        }
        let Some(election) = election(&self, v) else {
            // ElectionType.valueOf throws: KafkaApis answers INVALID_REQUEST for the whole request.
            return self.error_response(
                v,
                &ApiError::new(
                    ResponseError::InvalidRequest,
                    format!("Unknown election type {}", self.election_type),
                ),
            );
        };
        let results = ctx.cluster.elect_leaders(election, wanted(&self).as_deref());
        let mut by_topic: Vec<ReplicaElectionResult> = Vec::new();
        for (topic, partition, result) in results {
            let error = result.err();
            let entry = PartitionResult::default()
                .with_partition_id(partition)
                .with_error_code(error.as_ref().map_or(0, |e| e.code))
                .with_error_message(error.as_ref().and_then(message));
            match by_topic.last_mut() {
                Some(last) if last.topic.0.as_str() == topic => last.partition_result.push(entry),
                _ => by_topic.push(
                    ReplicaElectionResult::default()
                        .with_topic(topic_name(topic))
                        .with_partition_result(vec![entry]),
                ),
            }
        }
        ElectLeadersResponse::default().with_replica_election_results(by_topic)
    }

    /// `ElectLeadersRequest.getErrorResponse`: every partition asked for carries the error; v1+
    /// also sets the top-level code.
    fn error_response(&self, version: i16, error: &ApiError) -> ElectLeadersResponse {
        let results = self
            .topic_partitions
            .iter()
            .flatten()
            .map(|t| {
                ReplicaElectionResult::default()
                    .with_topic(t.topic.clone())
                    .with_partition_result(
                        t.partitions
                            .iter()
                            .map(|p| {
                                PartitionResult::default()
                                    .with_partition_id(*p)
                                    .with_error_code(error.code)
                                    .with_error_message(message(error))
                            })
                            .collect(),
                    )
            })
            .collect();
        let mut response = ElectLeadersResponse::default().with_replica_election_results(results);
        if version >= 1 {
            response.error_code = error.code;
        }
        response
    }
}
