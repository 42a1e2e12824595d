//! CreatePartitions: grow topics, optionally placing the new partitions; to the controller.
use std::collections::BTreeMap;

use kafka_protocol::messages::create_partitions_request::{CreatePartitionsAssignment, CreatePartitionsTopic};
use kafka_protocol::messages::{BrokerId, CreatePartitionsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::types::{NewPartitions, Outcomes};

impl KafkaAdmin {
    /// Grows each topic to its total count; each topic gets its own outcome (keyed by name).
    pub async fn create_partitions(&self, topics: &[NewPartitions]) -> Result<Outcomes<String>, KafkaError> {
        let wanted: BTreeMap<String, &NewPartitions> = topics.iter().map(|t| (t.topic.clone(), t)).collect();
        let keys = topics.iter().map(|t| t.topic.clone()).collect();
        let timeout_ms = self.server_timeout_ms();
        self.call_entities(
            Node::Controller,
            keys,
            |pending, _| {
                let topics = pending
                    .iter()
                    .filter_map(|name| wanted.get(name))
                    .map(|t| {
                        let assignments = t.assignment.as_ref().map(|placements| {
                            placements
                                .iter()
                                .map(|replicas| {
                                    CreatePartitionsAssignment::default()
                                        .with_broker_ids(replicas.iter().copied().map(BrokerId).collect())
                                })
                                .collect()
                        });
                        CreatePartitionsTopic::default()
                            .with_name(TopicName(StrBytes::from_string(t.topic.clone())))
                            .with_count(t.total_count)
                            .with_assignments(assignments)
                    })
                    .collect();
                CreatePartitionsRequest::default()
                    .with_topics(topics)
                    .with_timeout_ms(timeout_ms)
                    .with_validate_only(false)
            },
            |response, _| {
                Ok(response
                    .results
                    .iter()
                    .map(|r| {
                        let name = r.name.to_string();
                        let outcome = super::item_outcome(
                            "CreatePartitions",
                            format!("topic {name}"),
                            r.error_code,
                            r.error_message.as_ref().map(ToString::to_string),
                        );
                        (name, outcome)
                    })
                    .collect())
            },
        )
        .await
    }
}
