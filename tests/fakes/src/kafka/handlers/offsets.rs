//! ListOffsets (ReplicaManager.fetchOffsetForTimestamp: leaders only) and OffsetFetch (the group
//! coordinator's committed offsets). Consumer lag is the difference of the two.
use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions, OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse, OffsetFetchRequest, OffsetFetchResponse};

use super::{Ctx, Handler, str_bytes, topic_name};
use crate::kafka::errors::{ApiError, ApiResult};
use crate::kafka::model::Cluster;

/// ListOffsets timestamp sentinels (ListOffsetsRequest).
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

impl Handler for ListOffsetsRequest {
    const NAME: &'static str = "ListOffsets";

    fn handle(self, ctx: &mut Ctx) -> ListOffsetsResponse {
        let v = ctx.version;
        let topics = self
            .topics
            .iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut out = ListOffsetsPartitionResponse::default().with_partition_index(p.partition_index);
                        match offset_for(
                            ctx,
                            t.name.0.as_str(),
                            p.partition_index,
                            p.current_leader_epoch,
                            p.timestamp,
                        ) {
                            Err(error) => out.error_code = error.code,
                            Ok((timestamp, offset, epoch)) => {
                                out.timestamp = timestamp;
                                out.offset = offset;
                                if v >= 4 {
                                    out.leader_epoch = epoch;
                                }
                            }
                        }
                        out
                    })
                    .collect();
                ListOffsetsTopicResponse::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        ListOffsetsResponse::default().with_topics(topics)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> ListOffsetsResponse {
        let topics = self
            .topics
            .iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        ListOffsetsPartitionResponse::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(error.code)
                    })
                    .collect();
                ListOffsetsTopicResponse::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        ListOffsetsResponse::default().with_topics(topics)
    }
}

/// (timestamp, offset, leader epoch) of one partition lookup.
fn offset_for(
    ctx: &Ctx,
    topic: &str,
    partition: i32,
    current_leader_epoch: i32,
    timestamp: i64,
) -> ApiResult<(i64, i64, i32)> {
    let cluster: &Cluster = ctx.cluster;
    let p = cluster
        .partition(topic, partition)
        .ok_or_else(|| ApiError::bare(ResponseError::UnknownTopicOrPartition))?;
    if p.leader != ctx.broker {
        return Err(ApiError::bare(ResponseError::NotLeaderOrFollower));
    }
    if current_leader_epoch >= 0 && current_leader_epoch != p.leader_epoch {
        return Err(ApiError::bare(if current_leader_epoch < p.leader_epoch {
            ResponseError::FencedLeaderEpoch
        } else {
            ResponseError::UnknownLeaderEpoch
        }));
    }
    let now = cluster.now_ms;
    let end = p.log.log_end_offset(now);
    let epoch = p.leader_epoch;
    Ok(match timestamp {
        LATEST => (-1, end, epoch),
        EARLIEST | EARLIEST_LOCAL => (-1, p.log.log_start_offset, epoch),
        MAX_TIMESTAMP if end > p.log.log_start_offset => (cluster.epoch_ms(now), end - 1, epoch),
        ts if ts >= 0 => {
            let model_ms = u64::try_from(ts - cluster.epoch_ms_at_zero).unwrap_or(0);
            match p.log.offset_for_time(model_ms, now) {
                Some(offset) => (ts.max(cluster.epoch_ms_at_zero), offset, epoch),
                None => (-1, -1, -1),
            }
        }
        // No record (empty log), or tiered-storage lookups on a cluster without tiered storage.
        _ => (-1, -1, -1),
    })
}

impl Handler for OffsetFetchRequest {
    const NAME: &'static str = "OffsetFetch";

    fn handle(self, ctx: &mut Ctx) -> OffsetFetchResponse {
        let v = ctx.version;
        if v >= 8 {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    let wanted: Option<Vec<(String, Vec<i32>)>> = g.topics.as_ref().map(|ts| {
                        ts.iter()
                            .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                            .collect()
                    });
                    let group = OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
                    match fetch(ctx, g.group_id.0.as_str(), wanted.as_deref()) {
                        Err(error) => group.with_error_code(error.code),
                        Ok(topics) => group.with_topics(
                            topics
                                .into_iter()
                                .map(|(topic, partitions)| {
                                    OffsetFetchResponseTopics::default()
                                        .with_name(topic_name(topic))
                                        .with_partitions(
                                            partitions
                                                .into_iter()
                                                .map(|(partition, offset, epoch)| {
                                                    OffsetFetchResponsePartitions::default()
                                                        .with_partition_index(partition)
                                                        .with_committed_offset(offset)
                                                        .with_committed_leader_epoch(epoch)
                                                        .with_metadata(Some(str_bytes("")))
                                                })
                                                .collect(),
                                        )
                                })
                                .collect(),
                        ),
                    }
                })
                .collect();
            return OffsetFetchResponse::default().with_groups(groups);
        }
        let wanted: Option<Vec<(String, Vec<i32>)>> = self.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        });
        match fetch(ctx, self.group_id.0.as_str(), wanted.as_deref()) {
            Err(error) => self.error_response(v, &error),
            Ok(topics) => {
                let topics = topics
                    .into_iter()
                    .map(|(topic, partitions)| {
                        OffsetFetchResponseTopic::default()
                            .with_name(topic_name(topic))
                            .with_partitions(
                                partitions
                                    .into_iter()
                                    .map(|(partition, offset, epoch)| {
                                        let mut out = OffsetFetchResponsePartition::default()
                                            .with_partition_index(partition)
                                            .with_committed_offset(offset)
                                            .with_metadata(Some(str_bytes("")));
                                        if v >= 5 {
                                            out.committed_leader_epoch = epoch;
                                        }
                                        out
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                OffsetFetchResponse::default().with_topics(topics)
            }
        }
    }

    fn error_response(&self, version: i16, error: &ApiError) -> OffsetFetchResponse {
        if version >= 8 {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    OffsetFetchResponseGroup::default()
                        .with_group_id(g.group_id.clone())
                        .with_error_code(error.code)
                })
                .collect();
            return OffsetFetchResponse::default().with_groups(groups);
        }
        // OffsetFetchResponse(error, ...): a top-level error from v2, per partition before.
        let mut response = OffsetFetchResponse::default();
        if version >= 2 {
            response.error_code = error.code;
        } else {
            response.topics = self
                .topics
                .iter()
                .flatten()
                .map(|t| {
                    OffsetFetchResponseTopic::default()
                        .with_name(t.name.clone())
                        .with_partitions(
                            t.partition_indexes
                                .iter()
                                .map(|&p| {
                                    OffsetFetchResponsePartition::default()
                                        .with_partition_index(p)
                                        .with_committed_offset(-1)
                                        .with_error_code(error.code)
                                })
                                .collect(),
                        )
                })
                .collect();
        }
        response
    }
}

/// A group's committed offsets as (topic, [(partition, offset, leader epoch)]): all it committed
/// (`wanted` None) or the asked partitions, -1 where nothing is committed.
#[allow(clippy::type_complexity)]
fn fetch(
    ctx: &Ctx,
    group: &str,
    wanted: Option<&[(String, Vec<i32>)]>,
) -> ApiResult<Vec<(String, Vec<(i32, i64, i32)>)>> {
    let cluster: &Cluster = ctx.cluster;
    match cluster.coordinator(group) {
        None => return Err(ApiError::bare(ResponseError::CoordinatorNotAvailable)),
        Some(id) if id != ctx.broker => return Err(ApiError::bare(ResponseError::NotCoordinator)),
        Some(_) => {}
    }
    let commits = cluster.groups.get(group).map(|g| &g.commits);
    let lookup = |topic: &str, partition: i32| -> (i32, i64, i32) {
        match commits.and_then(|c| c.get(&(topic.to_string(), partition))) {
            Some(commit) => (
                partition,
                cluster.committed_offset(commit, topic, partition),
                commit.leader_epoch,
            ),
            None => (partition, -1, -1),
        }
    };
    Ok(match wanted {
        Some(list) => list
            .iter()
            .map(|(topic, parts)| (topic.clone(), parts.iter().map(|&p| lookup(topic, p)).collect()))
            .collect(),
        None => {
            let mut by_topic: Vec<(String, Vec<(i32, i64, i32)>)> = Vec::new();
            for (topic, partition) in commits.into_iter().flat_map(|c| c.keys()) {
                let entry = lookup(topic, *partition);
                match by_topic.last_mut() {
                    Some((t, parts)) if t == topic => parts.push(entry),
                    _ => by_topic.push((topic.clone(), vec![entry])),
                }
            }
            by_topic
        }
    })
}
