//! Everything that can be wrong with a balancing request. Each message says what is wrong, where
//! (the partition as `topic-partition`, the broker id, the line and column in the file) and what to
//! do about it; the CLI only prefixes the file or flag name.
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BalanceError {
    // --- the Kafka tool JSON file -------------------------------------------------------------
    #[error(
        "line {line} column {column}: {message}; expected Kafka's reassignment format \
         {{\"version\":1,\"partitions\":[{{\"topic\":\"t\",\"partition\":0,\"replicas\":[1,2]}}]}}"
    )]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unsupported \"version\": {0}; only version 1 of Kafka's reassignment format exists, set \"version\": 1")]
    UnsupportedVersion(i64),
    #[error(
        "no \"partitions\" list; this looks like a topics-to-move file (\"topics\"), give the current \
         assignment instead (the \"Current partition replica assignment\" printed by \
         kafka-reassign-partitions --generate)"
    )]
    TopicsFileGiven,
    #[error("no \"partitions\" list; give the current assignment as {{\"version\":1,\"partitions\":[...]}}")]
    MissingPartitions,
    #[error(
        "partition {topic}-{partition} has no replicas, so it is a partition to create, but its \
         replication factor is unknown; add \"replication_factor\": N to it"
    )]
    MissingReplicationFactor { topic: String, partition: i32 },

    // --- the broker list and racks ------------------------------------------------------------
    #[error("the broker list is empty; give the target brokers, e.g. --brokers 1,2,3")]
    NoBrokers,
    #[error("broker {0} appears twice in the broker list; list each broker once")]
    DuplicateBroker(i32),
    #[error("broker id {0} in the broker list is negative; Kafka broker ids are >= 0")]
    NegativeBrokerId(i32),
    #[error("rack entry \"{0}\" is not of the form id=rack (e.g. --racks 1=us-east-1a,2=us-east-1b)")]
    RackSyntax(String),
    #[error("rack given for broker {0}, which is not in the broker list; add it to the brokers or drop its rack")]
    RackForUnknownBroker(i32),
    #[error("broker {0} is given a rack twice; give each broker one rack")]
    DuplicateRack(i32),
    #[error(
        "brokers {with_rack:?} have a rack but brokers {without_rack:?} have none; Kafka refuses \
         rack-aware placement then: give every broker a rack or none"
    )]
    PartialRacks {
        with_rack: Vec<i32>,
        without_rack: Vec<i32>,
    },

    // --- partitions ---------------------------------------------------------------------------
    #[error("a partition (number {partition}) has an empty topic name; fix the assignment")]
    EmptyTopicName { partition: i32 },
    #[error("partition {topic}-{partition} has a negative partition number; partitions count from 0")]
    NegativePartition { topic: String, partition: i32 },
    #[error("partition {topic}-{partition} appears twice in the assignment; list each partition once")]
    DuplicatePartition { topic: String, partition: i32 },
    #[error("partition {topic}-{partition} has replication factor 0; every partition needs at least one replica")]
    ZeroReplicationFactor { topic: String, partition: i32 },
    #[error(
        "partition {topic}-{partition}: replication factor {replication_factor} does not match its \
         {replicas} replicas; make them agree"
    )]
    ReplicationFactorMismatch {
        topic: String,
        partition: i32,
        replication_factor: usize,
        replicas: usize,
    },
    #[error(
        "partition {topic}-{partition} has replication factor {replication_factor} but only {brokers} \
         brokers are given; a partition needs that many distinct brokers: add brokers or lower the \
         replication factor first"
    )]
    ReplicationFactorTooHigh {
        topic: String,
        partition: i32,
        replication_factor: usize,
        brokers: usize,
    },
    #[error("partition {topic}-{partition} lists broker {broker} twice in its replicas; fix the assignment")]
    DuplicateReplica { topic: String, partition: i32, broker: i32 },
    #[error(
        "partition {topic}-{partition} is on broker {broker}, which is not in the target broker set; \
         add broker {broker} to the broker list (moving replicas off a broker being removed is not \
         supported)"
    )]
    UnknownBroker { topic: String, partition: i32, broker: i32 },

    // --- the balancer itself ------------------------------------------------------------------
    /// A broken internal invariant: a bug in kfscale, never a problem with the input.
    #[error("internal error in the Kafka balancer ({0}); please report this with the input")]
    Internal(String),
}
