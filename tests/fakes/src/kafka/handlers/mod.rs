//! One handler per Kafka API: decode happened already (wire/), a handler turns a request into the
//! response Kafka would send, against the shared cluster model. Handlers set only fields that exist
//! in the negotiated version (the codec refuses others), so every handler reads `ctx.version`.
use kafka_protocol::messages::{BrokerId, TopicName};
use kafka_protocol::protocol::{Request, StrBytes};

use kafka_protocol::ResponseError;

use crate::kafka::errors::ApiError;
use crate::kafka::model::Cluster;
use crate::kafka::seed::Layout;

pub mod cluster;
pub mod configs;
pub mod elect;
pub mod groups;
pub mod log_dirs;
pub mod offsets;
pub mod reassignments;
pub mod topics;

/// What a handler knows about the request it serves.
pub struct Ctx<'a> {
    /// The broker whose listener received the request.
    pub broker: i32,
    pub version: i16,
    pub cluster: &'a mut Cluster,
}

/// A Kafka API the fake serves.
pub trait Handler: Request + Clone + Send + 'static {
    /// Kafka's name of the API (ApiKeys), used by faults and the mutation counts.
    const NAME: &'static str;

    /// For a request that changes the cluster (not validate-only): what it touches, for the
    /// mutation log. None for reads.
    fn mutation(&self, _version: i16) -> Option<serde_json::Value> {
        None
    }

    fn handle(self, ctx: &mut Ctx) -> Self::Response;

    /// The response when the request fails as a whole with `error` (Kafka's
    /// `AbstractRequest.getErrorResponse`: every entity of the request carries the error).
    fn error_response(&self, version: i16, error: &ApiError) -> Self::Response;
}

/// Controller requests (CreateTopics, CreatePartitions, Alter/ListPartitionReassignments): with
/// ZooKeeper only the controller broker takes them, the others answer NOT_CONTROLLER
/// (KafkaApis, ZK mode); KRaft brokers forward them to the quorum, so any broker takes them.
pub fn not_controller(ctx: &Ctx) -> Option<ApiError> {
    (ctx.cluster.layout == Layout::Legacy && ctx.broker != ctx.cluster.controller_id())
        .then(|| ApiError::bare(ResponseError::NotController))
}

pub fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

pub fn topic_name(s: impl Into<String>) -> TopicName {
    TopicName(str_bytes(s))
}

pub fn broker_ids(ids: &[i32]) -> Vec<BrokerId> {
    ids.iter().map(|&id| BrokerId(id)).collect()
}

pub fn ids(brokers: &[BrokerId]) -> Vec<i32> {
    brokers.iter().map(|b| b.0).collect()
}

pub fn message(error: &ApiError) -> Option<StrBytes> {
    error.message.clone().map(str_bytes)
}

/// AclOperation codes as bits (authorized operations fields), for a cluster without an authorizer:
/// every operation the resource type supports (AclEntry.supportedOperations).
pub mod acl {
    const READ: i32 = 3;
    const WRITE: i32 = 4;
    const CREATE: i32 = 5;
    const DELETE: i32 = 6;
    const ALTER: i32 = 7;
    const DESCRIBE: i32 = 8;
    const CLUSTER_ACTION: i32 = 9;
    const DESCRIBE_CONFIGS: i32 = 10;
    const ALTER_CONFIGS: i32 = 11;
    const IDEMPOTENT_WRITE: i32 = 12;

    fn bits(ops: &[i32]) -> i32 {
        ops.iter().fold(0, |acc, op| acc | (1 << op))
    }

    pub fn cluster() -> i32 {
        bits(&[
            CREATE,
            CLUSTER_ACTION,
            DESCRIBE_CONFIGS,
            ALTER_CONFIGS,
            IDEMPOTENT_WRITE,
            ALTER,
            DESCRIBE,
        ])
    }

    pub fn topic() -> i32 {
        bits(&[
            READ,
            WRITE,
            CREATE,
            DESCRIBE,
            DELETE,
            ALTER,
            DESCRIBE_CONFIGS,
            ALTER_CONFIGS,
        ])
    }

    pub fn group() -> i32 {
        bits(&[READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS])
    }

    /// The "not requested" value of an authorized-operations field.
    pub const OMITTED: i32 = i32::MIN;
}
