//! kfscale's Kafka admin client on the `kafka-protocol` crate's codecs, with its own connection
//! layer: ApiVersions negotiation per connection, routing (controller, partition leaders, group
//! coordinators, a broker's own configs and log dirs), retries with capped exponential backoff on
//! transient errors, and a pluggable [`Connector`]: direct TCP with an optional address map, or a
//! Kubernetes port-forward per broker pod. No kfscale rules in here: typed requests in, typed
//! answers out, every request counted per API.
//!
//! ```no_run
//! # async fn example() -> Result<(), kfscale_kafka::KafkaError> {
//! use kfscale_kafka::{AdminOptions, BrokerAddress, KafkaAdmin};
//! let admin = KafkaAdmin::new(AdminOptions::direct(vec![BrokerAddress::new("127.0.0.1", 9092)]))?;
//! let metadata = admin.metadata().await?;
//! let sizes = admin.describe_log_dirs(metadata.brokers[0].id).await?;
//! println!("{:?}", admin.request_counts()); // {"ApiVersions": 1, "DescribeLogDirs": 1, "Metadata": 1}
//! # Ok(()) }
//! ```
mod client;
mod connector;
mod error;
mod ops;
mod retry;
mod types;
mod wire;

pub use client::{AdminOptions, KafkaAdmin};
pub use connector::{
    BoxStream, BrokerAddress, ConnectError, ConnectFuture, Connector, Dial, DirectTcp, PortForward, pod_for,
};
pub use error::{KafkaError, error_name};
pub use retry::{KAFKA_RETRY, RetryPolicy};
pub use types::*;
pub use wire::versions::spoken as spoken_apis;
