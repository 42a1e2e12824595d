//! Consumer groups: ListGroups on every broker (each lists the groups it coordinates, as
//! KafkaAdminClient.listConsumerGroups does), FindCoordinator, and OffsetFetch on each group's
//! coordinator, batched per coordinator from v8 (KIP-709).
use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::offset_fetch_response::OffsetFetchResponse;
use kafka_protocol::messages::{FindCoordinatorRequest, GroupId, ListGroupsRequest, OffsetFetchRequest};
use kafka_protocol::protocol::StrBytes;

use crate::client::{KafkaAdmin, Node};
use crate::connector::BrokerAddress;
use crate::error::KafkaError;
use crate::ops::entities::Answers;
use crate::retry::retried;
use crate::types::{CommittedOffset, GroupListing};

/// FindCoordinator key type of consumer groups.
const GROUP_KEY: i8 = 0;

impl KafkaAdmin {
    /// Every group of the cluster (one ListGroups per live broker), sorted by id.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>, KafkaError> {
        let brokers = self.broker_ids().await?;
        let results = self
            .fan_out(
                brokers,
                |admin, broker| async move { admin.list_groups_on(broker).await },
            )
            .await;
        let mut groups: BTreeMap<String, GroupListing> = BTreeMap::new();
        for (_, listed) in results {
            for group in listed? {
                groups.entry(group.group_id.clone()).or_insert(group);
            }
        }
        Ok(groups.into_values().collect())
    }

    async fn list_groups_on(&self, broker: i32) -> Result<Vec<GroupListing>, KafkaError> {
        self.call(
            Node::Broker(broker),
            |_| ListGroupsRequest::default(),
            |response, version| {
                if response.error_code != 0 {
                    return Err(KafkaError::api(
                        "ListGroups",
                        format!("on broker {broker}"),
                        response.error_code,
                        None,
                    ));
                }
                Ok(response
                    .groups
                    .iter()
                    .map(|g| GroupListing {
                        group_id: g.group_id.to_string(),
                        protocol_type: g.protocol_type.to_string(),
                        state: (version >= 4).then(|| g.group_state.to_string()),
                        group_type: (version >= 5).then(|| g.group_type.to_string()),
                        coordinator: broker,
                    })
                    .collect())
            },
        )
        .await
    }

    /// The coordinator of each group (cached; one FindCoordinator for all of them from v4).
    pub async fn find_coordinators(&self, groups: &[String]) -> Result<BTreeMap<String, i32>, KafkaError> {
        let mut attempts = self.attempts();
        let mut found = BTreeMap::new();
        let mut pending: Vec<String> = Vec::new();
        for group in groups.iter().collect::<BTreeSet<_>>() {
            match self.coordinator(group) {
                Some(broker) => {
                    found.insert(group.clone(), broker);
                }
                None => pending.push(group.clone()),
            }
        }
        while !pending.is_empty() {
            let timeout = self.request_timeout(&attempts);
            let build = |version: i16| {
                if version >= 4 {
                    FindCoordinatorRequest::default()
                        .with_key_type(GROUP_KEY)
                        .with_coordinator_keys(pending.iter().map(|g| StrBytes::from_string(g.clone())).collect())
                } else {
                    // Before v4 one key per request: the others wait for the next round. The loop
                    // runs only while `pending` is not empty.
                    let mut request =
                        FindCoordinatorRequest::default().with_key(StrBytes::from_string(pending[0].clone()));
                    if version >= 1 {
                        request.key_type = GROUP_KEY;
                    }
                    request
                }
            };
            let answers = match self.send(&Node::Any, build, timeout).await {
                Ok((response, version)) if version >= 4 => response
                    .coordinators
                    .iter()
                    .map(|c| {
                        (
                            c.key.to_string(),
                            c.error_code,
                            c.error_message.clone(),
                            c.node_id.0,
                            c.host.clone(),
                            c.port,
                        )
                    })
                    .collect(),
                Ok((r, _)) => vec![(
                    pending[0].clone(),
                    r.error_code,
                    r.error_message,
                    r.node_id.0,
                    r.host,
                    r.port,
                )],
                Err(error) => {
                    self.note_failure(&error);
                    attempts.failed(error).await?;
                    continue;
                }
            };
            let mut transient = None;
            let before = pending.len();
            for (group, code, message, node, host, port) in answers {
                if code != 0 {
                    let error = KafkaError::api(
                        "FindCoordinator",
                        format!("of group {group}"),
                        code,
                        message.map(|m| m.to_string()),
                    );
                    if !retried(&error) {
                        return Err(error);
                    }
                    transient = Some(error);
                    continue;
                }
                let address = BrokerAddress::new(host.as_str(), u16::try_from(port).unwrap_or(0));
                self.remember_coordinator(&group, node, address);
                pending.retain(|g| g != &group);
                found.insert(group, node);
            }
            match transient {
                Some(error) => attempts.failed(error).await?,
                None if pending.len() == before => {
                    return Err(KafkaError::Protocol {
                        api: "FindCoordinator",
                        target: "any broker".into(),
                        detail: format!("the answer does not mention group {}", pending[0]),
                        fix: "retry; if it persists, report it with `-vv` output".into(),
                    });
                }
                None => {}
            }
        }
        Ok(found)
    }

    /// Committed offsets of every partition of each group, from its coordinator.
    pub async fn offset_fetch(&self, groups: &[String]) -> Result<BTreeMap<String, Vec<CommittedOffset>>, KafkaError> {
        let mut attempts = self.attempts();
        let mut pending: BTreeSet<String> = groups.iter().cloned().collect();
        let mut out = BTreeMap::new();
        while !pending.is_empty() {
            let wanted: Vec<String> = pending.iter().cloned().collect();
            let coordinators = self.find_coordinators(&wanted).await?;
            let mut batches: BTreeMap<i32, Vec<String>> = BTreeMap::new();
            for (group, broker) in coordinators {
                batches.entry(broker).or_default().push(group);
            }
            let timeout = self.request_timeout(&attempts);
            let results = self
                .fan_out(
                    batches.into_iter().collect(),
                    move |admin, (broker, groups)| async move { admin.offset_fetch_on(broker, groups, timeout).await },
                )
                .await;
            let transient = self.settle(results, &mut pending, &mut out, |group, _| {
                self.forget_coordinator(group);
            })?;
            if let Some(error) = transient {
                attempts.failed(error).await?;
            }
        }
        Ok(out)
    }

    /// One OffsetFetch to `broker`: all of `groups` from v8, else the first one only (the caller
    /// comes back for the rest).
    async fn offset_fetch_on(
        &self,
        broker: i32,
        groups: Vec<String>,
        timeout: std::time::Duration,
    ) -> Answers<String, Vec<CommittedOffset>> {
        let build = |version: i16| {
            let id = |g: &String| GroupId(StrBytes::from_string(g.clone()));
            if version >= 8 {
                let requested = groups
                    .iter()
                    .map(|g| {
                        OffsetFetchRequestGroup::default()
                            .with_group_id(id(g))
                            .with_topics(None)
                    })
                    .collect();
                OffsetFetchRequest::default().with_groups(requested)
            } else {
                // Null topics (v2+): every partition the group committed. `groups` is one
                // coordinator's batch, never empty.
                OffsetFetchRequest::default()
                    .with_group_id(id(&groups[0]))
                    .with_topics(None)
            }
        };
        let (response, version) = self.send(&Node::Broker(broker), build, timeout).await?;
        let mut answers = read_offsets(response, version, &groups);
        if version >= 8 {
            for group in &groups {
                if !answers.iter().any(|(g, _)| g == group) {
                    let error = KafkaError::Protocol {
                        api: "OffsetFetch",
                        target: format!("broker {broker}"),
                        detail: format!("the answer does not mention group {group}"),
                        fix: "retry; if it persists, report it with `-vv` output".into(),
                    };
                    answers.push((group.clone(), Err(error)));
                }
            }
        }
        Ok(answers)
    }
}

fn read_offsets(
    response: OffsetFetchResponse,
    version: i16,
    groups: &[String],
) -> Vec<(String, Result<Vec<CommittedOffset>, KafkaError>)> {
    let group_error = |group: &str, code: i16| KafkaError::api("OffsetFetch", format!("of group {group}"), code, None);
    let partition_error = |group: &str, topic: &str, partition: i32, code: i16| {
        KafkaError::api(
            "OffsetFetch",
            format!("of group {group} topic {topic} partition {partition}"),
            code,
            None,
        )
    };
    let sorted = |mut offsets: Vec<CommittedOffset>| {
        offsets.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        offsets
    };
    if version >= 8 {
        return response
            .groups
            .iter()
            .map(|g| {
                let group = g.group_id.to_string();
                if g.error_code != 0 {
                    let error = group_error(&group, g.error_code);
                    return (group, Err(error));
                }
                let mut offsets = Vec::new();
                for topic in &g.topics {
                    for p in &topic.partitions {
                        if p.error_code != 0 {
                            let error = partition_error(&group, topic.name.as_str(), p.partition_index, p.error_code);
                            return (group, Err(error));
                        }
                        offsets.push(CommittedOffset {
                            topic: topic.name.to_string(),
                            partition: p.partition_index,
                            offset: p.committed_offset,
                            metadata: p.metadata.as_ref().map(ToString::to_string),
                        });
                    }
                }
                (group, Ok(sorted(offsets)))
            })
            .collect();
    }
    // Before v8 the request carried `groups[0]` alone (a batch is never empty).
    let group = groups[0].clone();
    if response.error_code != 0 {
        let error = group_error(&group, response.error_code);
        return vec![(group, Err(error))];
    }
    let mut offsets = Vec::new();
    for topic in &response.topics {
        for p in &topic.partitions {
            if p.error_code != 0 {
                let error = partition_error(&group, topic.name.as_str(), p.partition_index, p.error_code);
                return vec![(group, Err(error))];
            }
            offsets.push(CommittedOffset {
                topic: topic.name.to_string(),
                partition: p.partition_index,
                offset: p.committed_offset,
                metadata: p.metadata.as_ref().map(ToString::to_string),
            });
        }
    }
    vec![(group, Ok(sorted(offsets)))]
}
