//! DescribeLogDirs (KafkaApis.handleDescribeLogDirsRequest, ReplicaManager.describeLogDirs): the
//! receiving broker's one log directory with the size of every replica it hosts. A replica still
//! catching up reports the bytes copied so far, which is how a reassignment's progress shows.
use std::collections::BTreeMap;

use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};

use super::{Ctx, Handler, str_bytes, topic_name};
use crate::kafka::errors::ApiError;

impl Handler for DescribeLogDirsRequest {
    const NAME: &'static str = "DescribeLogDirs";

    fn handle(self, ctx: &mut Ctx) -> DescribeLogDirsResponse {
        let cluster = &*ctx.cluster;
        let broker = ctx.broker;
        let now = cluster.now_ms;
        let wanted: Option<BTreeMap<String, Vec<i32>>> = self.topics.as_ref().map(|list| {
            list.iter()
                .map(|t| (t.topic.0.to_string(), t.partitions.clone()))
                .collect()
        });
        let mut used: i64 = 0;
        let mut topics = Vec::new();
        for topic in cluster.topics.values() {
            let mut partitions = Vec::new();
            for p in &topic.partitions {
                let Some(bytes) = p.bytes_on(broker) else { continue };
                let bytes = bytes.floor() as i64;
                used += bytes;
                let listed = match &wanted {
                    None => true,
                    Some(w) => w.get(&topic.name).is_some_and(|parts| parts.contains(&p.index)),
                };
                if !listed {
                    continue;
                }
                // Followers in sync lag by nothing; a copying one by the share it has not copied.
                let end = p.log.log_end_offset(now);
                let lag = if p.isr.contains(&broker) || p.size_bytes == 0 {
                    0
                } else {
                    let share = bytes as f64 / p.size_bytes as f64;
                    end - (end as f64 * share).floor() as i64
                };
                partitions.push(
                    DescribeLogDirsPartition::default()
                        .with_partition_index(p.index)
                        .with_partition_size(bytes)
                        .with_offset_lag(lag)
                        .with_is_future_key(false),
                );
            }
            if !partitions.is_empty() {
                topics.push(
                    DescribeLogDirsTopic::default()
                        .with_name(topic_name(topic.name.clone()))
                        .with_partitions(partitions),
                );
            }
        }
        let disk = cluster
            .brokers
            .get(&broker)
            .map_or(cluster.settings.disk_bytes, |b| b.disk_bytes);
        let result = DescribeLogDirsResult::default()
            .with_log_dir(str_bytes(cluster.settings.log_dir.clone()))
            .with_topics(topics)
            .with_total_bytes(disk)
            .with_usable_bytes((disk - used).max(0));
        DescribeLogDirsResponse::default().with_results(vec![result])
    }

    fn error_response(&self, version: i16, error: &ApiError) -> DescribeLogDirsResponse {
        let mut response = DescribeLogDirsResponse::default();
        if version >= 3 {
            response.error_code = error.code;
        }
        response
    }
}
