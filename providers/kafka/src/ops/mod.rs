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

use crate::KafkaError;

/// One item's outcome in a batched answer (a partition, a topic): error code 0 is done, any
/// other is the API's error for that item.
fn item_outcome(api: &'static str, subject: String, code: i16, message: Option<String>) -> Result<(), KafkaError> {
    if code == 0 {
        Ok(())
    } else {
        Err(KafkaError::api(api, subject, code, message))
    }
}
