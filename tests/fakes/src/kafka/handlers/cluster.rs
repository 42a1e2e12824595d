//! Metadata and DescribeCluster (KafkaApis.handleTopicMetadataRequest / handleDescribeCluster,
//! KRaftMetadataCache.getPartitionMetadata).
use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, DescribeClusterRequest, DescribeClusterResponse, MetadataRequest, MetadataResponse,
};
use uuid::Uuid;

use super::{Ctx, Handler, acl, broker_ids, message, str_bytes, topic_name};
use crate::kafka::errors::ApiError;
use crate::kafka::model::partition::NO_LEADER;
use crate::kafka::model::{Cluster, Topic};

impl Handler for MetadataRequest {
    const NAME: &'static str = "Metadata";

    fn handle(self, ctx: &mut Ctx) -> MetadataResponse {
        let v = ctx.version;
        let cluster = &*ctx.cluster;
        let all = match &self.topics {
            None => true,
            // v0 had no null: an empty list meant every topic.
            Some(list) => v == 0 && list.is_empty(),
        };
        let include_topic_ops = v >= 8 && self.include_topic_authorized_operations;
        let mut topics = Vec::new();
        if all {
            for t in cluster.topics.values() {
                topics.push(topic_metadata(cluster, t, v, include_topic_ops));
            }
        } else {
            for wanted in self.topics.iter().flatten() {
                let by_name = wanted.name.as_ref().map(|n| n.0.to_string());
                let found = match &by_name {
                    Some(name) => cluster.topics.get(name),
                    None => cluster.topics.values().find(|t| t.id == wanted.topic_id),
                };
                topics.push(match found {
                    Some(t) => topic_metadata(cluster, t, v, include_topic_ops),
                    None => {
                        let (code, id) = match by_name {
                            Some(_) => (ResponseError::UnknownTopicOrPartition.code(), Uuid::nil()),
                            None => (ResponseError::UnknownTopicId.code(), wanted.topic_id),
                        };
                        let mut unknown = MetadataResponseTopic::default()
                            .with_error_code(code)
                            .with_name(wanted.name.clone())
                            .with_is_internal(false);
                        if v >= 10 {
                            unknown.topic_id = id;
                        }
                        unknown
                    }
                });
            }
        }
        let brokers = cluster
            .active_brokers()
            .filter(|b| b.port != 0)
            .map(|b| {
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(b.id))
                    .with_host(str_bytes(b.host.clone()))
                    .with_port(i32::from(b.port))
                    .with_rack(b.rack.clone().map(str_bytes))
            })
            .collect();
        let mut response = MetadataResponse::default()
            .with_brokers(brokers)
            .with_controller_id(BrokerId(cluster.controller_id()))
            .with_topics(topics);
        if v >= 2 {
            response.cluster_id = Some(str_bytes(cluster.cluster_id.clone()));
        }
        if (8..=10).contains(&v) && self.include_cluster_authorized_operations {
            response.cluster_authorized_operations = acl::cluster();
        }
        response
    }

    fn error_response(&self, version: i16, error: &ApiError) -> MetadataResponse {
        // MetadataRequest.getErrorResponse: every requested topic carries the error.
        let topics = self
            .topics
            .iter()
            .flatten()
            .map(|t| {
                let mut topic = MetadataResponseTopic::default()
                    .with_error_code(error.code)
                    .with_name(t.name.clone())
                    .with_is_internal(false);
                if version >= 10 {
                    topic.topic_id = t.topic_id;
                }
                topic
            })
            .collect();
        let mut response = MetadataResponse::default().with_topics(topics);
        if version >= 13 {
            response.error_code = error.code;
        }
        response
    }
}

/// One topic as the KRaft metadata cache describes it.
fn topic_metadata(cluster: &Cluster, topic: &Topic, version: i16, include_ops: bool) -> MetadataResponseTopic {
    // v0 only lists live replicas and flags the partition (errorUnavailableEndpoints).
    let filter_live = version == 0;
    let partitions = topic
        .partitions
        .iter()
        .map(|p| {
            let live = |ids: &[i32]| -> Vec<i32> {
                if filter_live {
                    ids.iter().copied().filter(|&r| cluster.is_active(r)).collect()
                } else {
                    ids.to_vec()
                }
            };
            let replicas = live(&p.replicas);
            let isr = live(&p.isr);
            let offline: Vec<i32> = p.replicas.iter().copied().filter(|&r| !cluster.is_active(r)).collect();
            let leader_known = p.leader != NO_LEADER && cluster.brokers.contains_key(&p.leader);
            let error = if !leader_known {
                ResponseError::LeaderNotAvailable.code()
            } else if replicas.len() < p.replicas.len() || isr.len() < p.isr.len() {
                ResponseError::ReplicaNotAvailable.code()
            } else {
                0
            };
            MetadataResponsePartition::default()
                .with_error_code(error)
                .with_partition_index(p.index)
                .with_leader_id(BrokerId(if leader_known { p.leader } else { NO_LEADER }))
                .with_leader_epoch(p.leader_epoch)
                .with_replica_nodes(broker_ids(&replicas))
                .with_isr_nodes(broker_ids(&isr))
                .with_offline_replicas(broker_ids(&offline))
        })
        .collect();
    let mut out = MetadataResponseTopic::default()
        .with_name(Some(topic_name(topic.name.clone())))
        .with_is_internal(topic.is_internal())
        .with_partitions(partitions);
    if version >= 10 {
        out.topic_id = topic.id;
    }
    if include_ops {
        out.topic_authorized_operations = acl::topic();
    }
    out
}

/// EndpointType of DescribeCluster: this fake only has broker endpoints.
const ENDPOINT_BROKER: i8 = 1;

impl Handler for DescribeClusterRequest {
    const NAME: &'static str = "DescribeCluster";

    fn handle(self, ctx: &mut Ctx) -> DescribeClusterResponse {
        let v = ctx.version;
        let cluster = &*ctx.cluster;
        if v >= 1 && self.endpoint_type != ENDPOINT_BROKER {
            let error = ApiError::new(
                ResponseError::UnsupportedEndpointType,
                "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
            );
            return self.error_response(v, &error);
        }
        let with_fenced = v >= 2 && self.include_fenced_brokers;
        let brokers = cluster
            .brokers
            .values()
            .filter(|b| b.port != 0 && (with_fenced || !b.fenced))
            .map(|b| {
                let mut broker = DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(b.id))
                    .with_host(str_bytes(b.host.clone()))
                    .with_port(i32::from(b.port))
                    .with_rack(b.rack.clone().map(str_bytes));
                if v >= 2 {
                    broker.is_fenced = b.fenced;
                }
                broker
            })
            .collect();
        DescribeClusterResponse::default()
            .with_cluster_id(str_bytes(cluster.cluster_id.clone()))
            .with_controller_id(BrokerId(cluster.controller_id()))
            .with_brokers(brokers)
            .with_cluster_authorized_operations(if self.include_cluster_authorized_operations {
                acl::cluster()
            } else {
                acl::OMITTED
            })
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> DescribeClusterResponse {
        DescribeClusterResponse::default()
            .with_error_code(error.code)
            .with_error_message(message(error))
    }
}
