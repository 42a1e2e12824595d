//! A thin client of the Apache Pinot controller REST API (apache/pinot `PinotTableRestletResource`,
//! `TableViews`, `PinotInstanceRestletResource`, `PinotRealtimeTableResource`): health, tables and
//! their configs, segment status, ideal state and external view, consuming segments (freshness),
//! instances and tags, and table rebalances (dry run and real, job status, cancel, the table's
//! jobs). It returns what the controller says in plain structs; no kfscale rules live here.
//!
//! Reach the controller by URL or by a Kubernetes port-forward to the controller pod ([`Target`]).
//! Every request has a timeout; every request is counted per endpoint ([`Pinot::request_counts`]).
mod client;
mod connector;
mod consuming;
mod error;
mod instances;
mod port_forward;
mod rebalance;
mod tables;

pub use client::Pinot;
pub use connector::{DEFAULT_TIMEOUT, Target};
pub use consuming::{ConsumerInfo, ConsumingSegmentsInfo, PartitionOffsets};
pub use error::PinotError;
pub use instances::{Instance, instance_type};
pub use rebalance::{RebalanceResult, RebalanceStatus, TableJob};
pub use tables::{
    DEFAULT_TENANT, SegmentStates, SegmentStatusCounts, TableConfig, TableType, TableView, raw_table_name,
};
