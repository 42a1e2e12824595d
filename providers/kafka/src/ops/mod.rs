//! The admin operations, one file per family. Each is a method of [`crate::KafkaAdmin`].
mod cluster;
mod configs;
mod elect;
mod entities;
mod groups;
mod log_dirs;
mod offsets;
mod partitions;
mod reassignments;
