//! KIP-455 reassignments: list those in flight, start or cancel some. Both go to the controller,
//! as KafkaAdminClient sends them (ControllerNodeProvider).
use std::collections::BTreeMap;

use kafka_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, BrokerId, ListPartitionReassignmentsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::types::{Outcomes, PartitionReassignment, ReassignmentRequest, TopicPartition};

impl KafkaAdmin {
    /// Every reassignment in flight, sorted by topic and partition.
    pub async fn list_partition_reassignments(&self) -> Result<Vec<PartitionReassignment>, KafkaError> {
        let timeout_ms = self.server_timeout_ms();
        self.call(
            Node::Controller,
            |_| {
                ListPartitionReassignmentsRequest::default()
                    .with_timeout_ms(timeout_ms)
                    .with_topics(None)
            },
            |response, _| {
                if response.error_code != 0 {
                    return Err(KafkaError::api(
                        "ListPartitionReassignments",
                        "of the cluster",
                        response.error_code,
                        response.error_message.map(|m| m.to_string()),
                    ));
                }
                let ids = |brokers: &[BrokerId]| brokers.iter().map(|b| b.0).collect::<Vec<_>>();
                let mut out: Vec<PartitionReassignment> = response
                    .topics
                    .iter()
                    .flat_map(|topic| {
                        topic.partitions.iter().map(move |p| PartitionReassignment {
                            topic: topic.name.to_string(),
                            partition: p.partition_index,
                            replicas: ids(&p.replicas),
                            adding_replicas: ids(&p.adding_replicas),
                            removing_replicas: ids(&p.removing_replicas),
                        })
                    })
                    .collect();
                out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
                Ok(out)
            },
        )
        .await
    }

    /// Starts (target replicas) or cancels (no target) reassignments, in one request. Each
    /// partition gets its own outcome.
    pub async fn alter_partition_reassignments(
        &self,
        requests: &[ReassignmentRequest],
    ) -> Result<Outcomes<TopicPartition>, KafkaError> {
        let targets: BTreeMap<TopicPartition, Option<Vec<i32>>> = requests
            .iter()
            .map(|r| (TopicPartition::new(&r.topic, r.partition), r.target.clone()))
            .collect();
        let keys = requests
            .iter()
            .map(|r| TopicPartition::new(&r.topic, r.partition))
            .collect();
        let timeout_ms = self.server_timeout_ms();
        self.call_entities(
            Node::Controller,
            keys,
            |pending, _| {
                let mut by_topic: BTreeMap<&str, Vec<ReassignablePartition>> = BTreeMap::new();
                for tp in pending {
                    let replicas = targets
                        .get(tp)
                        .cloned()
                        .flatten()
                        .map(|ids| ids.into_iter().map(BrokerId).collect());
                    by_topic.entry(&tp.topic).or_default().push(
                        ReassignablePartition::default()
                            .with_partition_index(tp.partition)
                            .with_replicas(replicas),
                    );
                }
                let topics = by_topic
                    .into_iter()
                    .map(|(name, partitions)| {
                        ReassignableTopic::default()
                            .with_name(TopicName(StrBytes::from_string(name.to_string())))
                            .with_partitions(partitions)
                    })
                    .collect();
                AlterPartitionReassignmentsRequest::default()
                    .with_timeout_ms(timeout_ms)
                    .with_topics(topics)
            },
            |response, _| {
                if response.error_code != 0 {
                    return Err(KafkaError::api(
                        "AlterPartitionReassignments",
                        "of the cluster",
                        response.error_code,
                        response.error_message.map(|m| m.to_string()),
                    ));
                }
                Ok(response
                    .responses
                    .iter()
                    .flat_map(|topic| {
                        topic.partitions.iter().map(move |p| {
                            let tp = TopicPartition::new(topic.name.as_str(), p.partition_index);
                            let outcome = super::item_outcome(
                                "AlterPartitionReassignments",
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

    /// The time a broker may spend on a request before answering REQUEST_TIMED_OUT.
    pub(crate) fn server_timeout_ms(&self) -> i32 {
        i32::try_from(self.options().request_timeout.as_millis()).unwrap_or(i32::MAX)
    }
}
