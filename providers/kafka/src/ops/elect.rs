//! Preferred leader elections (ElectLeaders, KIP-183/KIP-460): each named partition's leadership
//! goes back to its first replica. Sent to the controller, as KafkaAdminClient does
//! (ControllerNodeProvider). An election is idempotent: once the preferred replica leads, Kafka
//! answers ELECTION_NOT_NEEDED.
use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::{ElectLeadersRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::types::{Outcomes, TopicPartition};

/// ElectionType.PREFERRED.
const PREFERRED: i8 = 0;

impl KafkaAdmin {
    /// One ElectLeaders request (PREFERRED) for `partitions`; each partition gets its own outcome,
    /// ELECTION_NOT_NEEDED included (the caller decides what it means). A whole-request error
    /// (v1+) fails the call. Partitions are not retried one by one: a preferred replica that
    /// cannot lead now (PREFERRED_LEADER_NOT_AVAILABLE) is the caller's to wait for.
    pub async fn elect_preferred_leaders(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<Outcomes<TopicPartition>, KafkaError> {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for tp in partitions {
            by_topic.entry(&tp.topic).or_default().push(tp.partition);
        }
        let timeout_ms = self.server_timeout_ms();
        self.call(
            Node::Controller,
            |_| {
                let topics = by_topic
                    .iter()
                    .map(|(topic, partitions)| {
                        TopicPartitions::default()
                            .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                            .with_partitions(partitions.clone())
                    })
                    .collect();
                // v0 has no election type and means PREFERRED.
                ElectLeadersRequest::default()
                    .with_election_type(PREFERRED)
                    .with_topic_partitions(Some(topics))
                    .with_timeout_ms(timeout_ms)
            },
            |response, version| {
                if version >= 1 && response.error_code != 0 {
                    return Err(KafkaError::api(
                        "ElectLeaders",
                        "of the cluster",
                        response.error_code,
                        None,
                    ));
                }
                // v0 carries a request-wide NOT_CONTROLLER on every partition (getErrorResponse):
                // the request went to a broker that is not the controller, so it is sent again
                // once the controller is looked up anew.
                let not_controller = ResponseError::NotController.code();
                if let Some(p) = response
                    .replica_election_results
                    .iter()
                    .flat_map(|t| &t.partition_result)
                    .find(|p| p.error_code == not_controller)
                {
                    return Err(KafkaError::api(
                        "ElectLeaders",
                        "of the cluster",
                        not_controller,
                        p.error_message.as_ref().map(ToString::to_string),
                    ));
                }
                Ok(response
                    .replica_election_results
                    .iter()
                    .flat_map(|topic| {
                        topic.partition_result.iter().map(move |p| {
                            let tp = TopicPartition::new(topic.topic.as_str(), p.partition_id);
                            let outcome = super::item_outcome(
                                "ElectLeaders",
                                tp.to_string(),
                                p.error_code,
                                p.error_message.as_ref().map(ToString::to_string),
                            );
                            (tp, outcome)
                        })
                    })
                    .collect())
            },
        )
        .await
    }
}
