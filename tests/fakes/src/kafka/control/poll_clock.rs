//! A model-clock hook for benchmarks: the model moves forward when a client polls, not with real
//! time, so a client that polls every `interval` (kfscale's reassignment polls with
//! ListPartitionReassignments every 5 s) sees the cluster exactly as it would at that rhythm, however
//! long its own work between polls takes in real time.
//!
//! On each request of the named API, before answering, the clock advances by one interval, when
//! something is in motion (a copy running, a broker due back); else it stays, so a client that
//! polls before it starts anything starts it at the same instant. The clock should be frozen
//! (`--clock-speed 0`).
use std::time::Duration;

use serde::Serialize;

use crate::kafka::shared::{Shared, lock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PollClock {
    /// The API key whose requests move the clock.
    pub api_key: i16,
    pub interval_ms: u64,
}

impl Shared {
    /// Sets (or with None removes) the poll clock.
    pub fn set_poll_clock(&self, poll: Option<PollClock>) {
        *lock(&self.poll_clock) = poll;
    }

    /// Called on every request before it is handled.
    pub fn on_request(&self, api_key: i16) {
        let Some(poll) = *lock(&self.poll_clock) else {
            return;
        };
        if poll.api_key != api_key || poll.interval_ms == 0 {
            return;
        }
        if self.with_cluster(|cluster| cluster.next_event_ms()).is_some() {
            self.clock.advance(Duration::from_millis(poll.interval_ms));
        }
    }
}
