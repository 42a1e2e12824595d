//! DescribeLogDirs: the size of every replica a broker hosts (what moving it copies).
use std::collections::BTreeMap;

use kafka_protocol::messages::DescribeLogDirsRequest;

use crate::client::{KafkaAdmin, Node};
use crate::error::{KafkaError, error_name};
use crate::types::{LogDir, ReplicaLog};

impl KafkaAdmin {
    /// The log directories of `broker` with every replica on them (one request to that broker).
    pub async fn describe_log_dirs(&self, broker: i32) -> Result<Vec<LogDir>, KafkaError> {
        self.call(
            Node::Broker(broker),
            // Null topics: every replica the broker has.
            |_| DescribeLogDirsRequest::default().with_topics(None),
            |response, version| {
                if version >= 3 && response.error_code != 0 {
                    return Err(KafkaError::api(
                        "DescribeLogDirs",
                        format!("of broker {broker}"),
                        response.error_code,
                        None,
                    ));
                }
                let mut dirs: Vec<LogDir> = response
                    .results
                    .iter()
                    .map(|dir| {
                        let mut replicas: Vec<ReplicaLog> = dir
                            .topics
                            .iter()
                            .flat_map(|topic| {
                                topic.partitions.iter().map(|p| ReplicaLog {
                                    topic: topic.name.to_string(),
                                    partition: p.partition_index,
                                    size_bytes: u64::try_from(p.partition_size).unwrap_or(0),
                                    offset_lag: p.offset_lag,
                                    is_future: p.is_future_key,
                                })
                            })
                            .collect();
                        replicas.sort_by(|a, b| {
                            (&a.topic, a.partition, a.is_future).cmp(&(&b.topic, b.partition, b.is_future))
                        });
                        LogDir {
                            path: dir.log_dir.to_string(),
                            error: (dir.error_code != 0).then(|| error_name(dir.error_code)),
                            total_bytes: (version >= 4).then(|| u64::try_from(dir.total_bytes).ok()).flatten(),
                            usable_bytes: (version >= 4).then(|| u64::try_from(dir.usable_bytes).ok()).flatten(),
                            replicas,
                        }
                    })
                    .collect();
                dirs.sort_by(|a, b| a.path.cmp(&b.path));
                Ok(dirs)
            },
        )
        .await
    }

    /// DescribeLogDirs of several brokers at once (one request each).
    pub async fn describe_log_dirs_of(&self, brokers: &[i32]) -> Result<BTreeMap<i32, Vec<LogDir>>, KafkaError> {
        self.fan_out(brokers.to_vec(), |admin, broker| async move {
            admin.describe_log_dirs(broker).await
        })
        .await
        .into_iter()
        .map(|(broker, dirs)| dirs.map(|dirs| (broker, dirs)))
        .collect()
    }
}
