//! AlterPartitionReassignments and ListPartitionReassignments (KIP-455); the rules live in
//! model/reassign.rs, the copying in model/replication.rs.
use kafka_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use kafka_protocol::messages::list_partition_reassignments_response::{
    OngoingPartitionReassignment, OngoingTopicReassignment,
};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ListPartitionReassignmentsRequest,
    ListPartitionReassignmentsResponse,
};
use serde_json::json;

use super::{Ctx, Handler, broker_ids, ids, message, not_controller, topic_name};
use crate::kafka::errors::ApiError;

impl Handler for AlterPartitionReassignmentsRequest {
    const NAME: &'static str = "AlterPartitionReassignments";

    fn mutation(&self, _version: i16) -> Option<serde_json::Value> {
        let partitions: serde_json::Map<String, serde_json::Value> = self
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    (
                        format!("{}-{}", t.name.0, p.partition_index),
                        json!(p.replicas.as_deref().map(ids)),
                    )
                })
            })
            .collect();
        Some(json!({ "partitions": partitions }))
    }

    fn handle(self, ctx: &mut Ctx) -> AlterPartitionReassignmentsResponse {
        let v = ctx.version;
        if let Some(error) = not_controller(ctx) {
            return self.error_response(v, &error);
        }
        // Absent before v1, where it means "allowed".
        let allow_rf_change = v < 1 || self.allow_replication_factor_change;
        let responses = self
            .topics
            .iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let target = p.replicas.as_deref().map(ids);
                        let result = ctx.cluster.alter_reassignment(
                            t.name.0.as_str(),
                            p.partition_index,
                            target.as_deref(),
                            allow_rf_change,
                        );
                        let error = result.err();
                        ReassignablePartitionResponse::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(error.as_ref().map_or(0, |e| e.code))
                            .with_error_message(error.as_ref().and_then(message))
                    })
                    .collect();
                ReassignableTopicResponse::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        let mut response = AlterPartitionReassignmentsResponse::default()
            .with_error_message(None)
            .with_responses(responses);
        if v >= 1 {
            response.allow_replication_factor_change = self.allow_replication_factor_change;
        }
        response
    }

    fn error_response(&self, version: i16, error: &ApiError) -> AlterPartitionReassignmentsResponse {
        let responses = self
            .topics
            .iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        ReassignablePartitionResponse::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(error.code)
                            .with_error_message(message(error))
                    })
                    .collect();
                ReassignableTopicResponse::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        let mut response = AlterPartitionReassignmentsResponse::default()
            .with_error_code(error.code)
            .with_error_message(message(error))
            .with_responses(responses);
        if version >= 1 {
            response.allow_replication_factor_change = self.allow_replication_factor_change;
        }
        response
    }
}

impl Handler for ListPartitionReassignmentsRequest {
    const NAME: &'static str = "ListPartitionReassignments";

    fn handle(self, ctx: &mut Ctx) -> ListPartitionReassignmentsResponse {
        if let Some(error) = not_controller(ctx) {
            return self.error_response(ctx.version, &error);
        }
        let filter: Option<Vec<(String, Vec<i32>)>> = self.topics.as_ref().map(|list| {
            list.iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        });
        let topics = ctx
            .cluster
            .list_reassignments(filter.as_deref())
            .into_iter()
            .map(|(topic, ongoing)| {
                let partitions = ongoing
                    .into_iter()
                    .map(|o| {
                        OngoingPartitionReassignment::default()
                            .with_partition_index(o.partition)
                            .with_replicas(broker_ids(&o.replicas))
                            .with_adding_replicas(broker_ids(&o.adding))
                            .with_removing_replicas(broker_ids(&o.removing))
                    })
                    .collect();
                OngoingTopicReassignment::default()
                    .with_name(topic_name(topic))
                    .with_partitions(partitions)
            })
            .collect();
        ListPartitionReassignmentsResponse::default()
            .with_error_message(None)
            .with_topics(topics)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> ListPartitionReassignmentsResponse {
        ListPartitionReassignmentsResponse::default()
            .with_error_code(error.code)
            .with_error_message(message(error))
    }
}
