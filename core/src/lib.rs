//! kfscale's pure core: everything that decides, nothing that touches the world.
//!
//! - [`snapshot`]: the observed world as plain data;
//! - [`plan`]: `plan(snapshot, intent, profile) -> Plan`, with every domain rule and pre-check;
//! - [`balance`]: the minimal-movement Kafka replica balancer;
//! - [`freshness`]: a Pinot REALTIME table's ingestion lag per partition, from its consumers' reports;
//! - [`values`]: the lossless values-file editor and secret detection;
//! - [`profile`]: the Kloudfuse chart knowledge as data;
//! - [`state`], [`planfile`], [`envelope`]: the formats of the files kfscale keeps.
//!
//! No I/O, no clock, no randomness, no async runtime: none of those crates is a dependency, so the
//! compiler keeps the promise that the same inputs give byte-identical plans. Reading and writing
//! files, observing systems and acting on them live in the `kfscale` crate around this one.
pub mod balance;
pub mod envelope;
pub mod freshness;
pub mod plan;
pub mod planfile;
pub mod profile;
pub mod scrubbed_json;
pub mod snapshot;
pub mod state;
pub mod values;
