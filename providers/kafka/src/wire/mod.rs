//! The wire: connections, versions, request counts.
pub mod connection;
pub mod counter;
pub mod versions;
