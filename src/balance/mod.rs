//! The Kafka replica balancer: a pure function from the current assignment and the target broker
//! set to a valid, balanced, minimal-movement reassignment.
//!
//! The public surface is [`balance`] with the types in [`model`]; everything else is internal.
pub mod model;

pub use model::{BalanceError, BalanceRequest, BalanceResult, Broker, Partition, PartitionChange};

/// Computes the reassignment. Deterministic: the same request gives the same result.
pub fn balance(request: &BalanceRequest) -> Result<BalanceResult, BalanceError> {
    let _ = request;
    Err(BalanceError::NotImplemented)
}
