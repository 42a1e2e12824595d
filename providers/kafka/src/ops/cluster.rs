//! The cluster and its topics: DescribeCluster and Metadata.
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{DescribeClusterRequest, MetadataResponse};

use crate::client::{KafkaAdmin, Node};
use crate::error::{KafkaError, error_name};
use crate::retry::retried;
use crate::types::{BrokerInfo, ClusterDescription, ClusterMetadata, PartitionMetadata, TopicMetadata};

impl KafkaAdmin {
    /// DescribeCluster (any broker): cluster id, controller, every registered broker (fenced ones
    /// too, from v2).
    pub async fn describe_cluster(&self) -> Result<ClusterDescription, KafkaError> {
        self.call(
            Node::Any,
            |version| {
                let mut request = DescribeClusterRequest::default();
                if version >= 2 {
                    request.include_fenced_brokers = true;
                }
                request
            },
            |response, _| {
                if response.error_code != 0 {
                    return Err(KafkaError::api(
                        "DescribeCluster",
                        "of the cluster",
                        response.error_code,
                        response.error_message.map(|m| m.to_string()),
                    ));
                }
                let mut brokers: Vec<BrokerInfo> = response
                    .brokers
                    .iter()
                    .map(|b| BrokerInfo {
                        id: b.broker_id.0,
                        host: b.host.to_string(),
                        port: u16::try_from(b.port).unwrap_or(0),
                        rack: b.rack.as_ref().map(ToString::to_string),
                        fenced: b.is_fenced,
                    })
                    .collect();
                brokers.sort_by_key(|b| b.id);
                Ok(ClusterDescription {
                    cluster_id: Some(response.cluster_id.to_string()),
                    controller_id: Some(response.controller_id.0).filter(|&id| id >= 0),
                    brokers,
                })
            },
        )
        .await
    }

    /// Metadata of every topic in one request: brokers, controller, partitions with leader,
    /// replicas and ISR. Retries while a topic reports a transient error (a topic being created).
    pub async fn metadata(&self) -> Result<ClusterMetadata, KafkaError> {
        let mut attempts = self.attempts();
        loop {
            let (response, _) = self.metadata_with_retries(None).await?;
            match read_metadata(&response) {
                Ok(metadata) => return Ok(metadata),
                Err(error) => attempts.failed(error).await?,
            }
        }
    }
}

fn read_metadata(response: &MetadataResponse) -> Result<ClusterMetadata, KafkaError> {
    let mut brokers: Vec<BrokerInfo> = response
        .brokers
        .iter()
        .map(|b| BrokerInfo {
            id: b.node_id.0,
            host: b.host.to_string(),
            port: u16::try_from(b.port).unwrap_or(0),
            rack: b.rack.as_ref().map(ToString::to_string),
            fenced: false,
        })
        .collect();
    brokers.sort_by_key(|b| b.id);
    let mut topics = Vec::new();
    for topic in &response.topics {
        let name = topic.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default();
        if topic.error_code != 0 {
            let error = KafkaError::api("Metadata", format!("topic {name}"), topic.error_code, None);
            // A topic that is being created or lost its leaders comes back on the next attempt;
            // anything else is an answer about this topic worth reporting.
            if retried(&error) || topic.partitions.is_empty() {
                return Err(error);
            }
        }
        let mut partitions: Vec<PartitionMetadata> = topic
            .partitions
            .iter()
            .map(|p| PartitionMetadata {
                partition: p.partition_index,
                leader: Some(p.leader_id.0).filter(|&id| id >= 0),
                leader_epoch: p.leader_epoch,
                replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                offline: p.offline_replicas.iter().map(|b| b.0).collect(),
                error: ResponseError::try_from_code(p.error_code).map(|_| error_name(p.error_code)),
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);
        topics.push(TopicMetadata {
            name,
            internal: topic.is_internal,
            partitions,
        });
    }
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ClusterMetadata {
        cluster_id: response.cluster_id.as_ref().map(ToString::to_string),
        controller_id: Some(response.controller_id.0).filter(|&id| id >= 0),
        brokers,
        topics,
    })
}
