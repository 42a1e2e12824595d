//! The reassignment's copy-time bound (the core's `copy_time`) for the step's recorded moves.
use super::moves::Move;
use crate::plan::copy_time::{Busiest, ReplicaCopy, busiest};

/// The broker that bounds the copy: each move's new replicas are copied from its sender (its
/// preferred leader), weighted as the scheduler weighs them.
pub fn busiest_broker(moves: &[Move]) -> Option<Busiest> {
    busiest(moves.iter().flat_map(|planned| {
        let sender = planned.sender();
        planned.adding().into_iter().filter_map(move |receiver| {
            sender.map(|sender| ReplicaCopy {
                sender,
                receiver,
                bytes: planned.weight(),
            })
        })
    }))
}
