//! ListOffsets (latest): each partition's log end offset, from its leader, batched per leader as
//! KafkaAdminClient does (PartitionLeaderStrategy). Leaders come from the last Metadata answer;
//! a NOT_LEADER answer refreshes them.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::ops::entities::Answers;
use crate::types::TopicPartition;

/// ListOffsets timestamp meaning "the offset of the next record" (ListOffsetsRequest.LATEST_TIMESTAMP).
const LATEST: i64 = -1;

impl KafkaAdmin {
    /// The log end offset of each partition.
    pub async fn list_offsets_latest(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, i64>, KafkaError> {
        let mut attempts = self.attempts();
        let mut pending: BTreeSet<TopicPartition> = partitions.iter().cloned().collect();
        let mut out = BTreeMap::new();
        while !pending.is_empty() {
            let wanted: Vec<TopicPartition> = pending.iter().cloned().collect();
            let mut batches: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
            let mut transient = None;
            for (tp, leader) in self.leaders(&wanted).await? {
                match leader {
                    Some(leader) => batches.entry(leader).or_default().push(tp),
                    None => {
                        let error = KafkaError::api(
                            "ListOffsets",
                            tp.to_string(),
                            kafka_protocol::ResponseError::LeaderNotAvailable.code(),
                            None,
                        );
                        self.note_failure(&error);
                        transient = Some(error);
                    }
                }
            }
            let timeout = self.request_timeout(&attempts);
            let results = self
                .fan_out(
                    batches.into_iter().collect(),
                    move |admin, (leader, batch)| async move { admin.list_offsets_on(leader, batch, timeout).await },
                )
                .await;
            if let Some(error) = self.settle(results, &mut pending, &mut out, |_, error| self.note_failure(error))? {
                transient = Some(error);
            }
            if let Some(error) = transient {
                attempts.failed(error).await?;
            } else if !pending.is_empty() {
                let tp = pending.iter().next().map(ToString::to_string).unwrap_or_default();
                return Err(KafkaError::Protocol {
                    api: "ListOffsets",
                    target: "the partition leaders".into(),
                    detail: format!("no answer about {tp}"),
                    fix: "retry; if it persists, report it with `-vv` output".into(),
                });
            }
        }
        Ok(out)
    }

    async fn list_offsets_on(
        &self,
        leader: i32,
        batch: Vec<TopicPartition>,
        timeout: Duration,
    ) -> Answers<TopicPartition, i64> {
        let timeout_ms = self.server_timeout_ms();
        let build = |version: i16| {
            let mut by_topic: BTreeMap<&str, Vec<ListOffsetsPartition>> = BTreeMap::new();
            for tp in &batch {
                by_topic.entry(&tp.topic).or_default().push(
                    ListOffsetsPartition::default()
                        .with_partition_index(tp.partition)
                        .with_timestamp(LATEST),
                );
            }
            let topics = by_topic
                .into_iter()
                .map(|(name, partitions)| {
                    ListOffsetsTopic::default()
                        .with_name(TopicName(StrBytes::from_string(name.to_string())))
                        .with_partitions(partitions)
                })
                .collect();
            // A consumer's request (replica id -1), reading committed and uncommitted records alike.
            let mut request = ListOffsetsRequest::default()
                .with_replica_id(BrokerId(-1))
                .with_topics(topics);
            if version >= 10 {
                request.timeout_ms = timeout_ms;
            }
            request
        };
        let (response, _) = self.send(&Node::Broker(leader), build, timeout).await?;
        Ok(response
            .topics
            .iter()
            .flat_map(|topic| {
                topic.partitions.iter().map(move |p| {
                    let tp = TopicPartition::new(topic.name.as_str(), p.partition_index);
                    let answer = if p.error_code == 0 {
                        Ok(p.offset)
                    } else {
                        Err(KafkaError::api("ListOffsets", tp.to_string(), p.error_code, None))
                    };
                    (tp, answer)
                })
            })
            .collect())
    }
}
