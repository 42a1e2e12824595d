//! The state every listener, the control endpoint and the ticker share.
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::ModelClock;
use crate::kafka::control::faults::Faults;
use crate::kafka::control::mutations::Mutations;
use crate::kafka::control::poll_clock::PollClock;
use crate::kafka::control::requests::Requests;
use crate::kafka::model::Cluster;
use crate::kafka::wire::listeners::{self, Listeners};

pub struct Shared {
    pub cluster: Mutex<Cluster>,
    pub clock: ModelClock,
    pub faults: Mutex<Faults>,
    pub mutations: Mutex<Mutations>,
    pub listeners: Mutex<Listeners>,
    pub requests: Mutex<Requests>,
    pub poll_clock: Mutex<Option<PollClock>>,
}

impl Shared {
    /// Runs `f` on the cluster brought up to the model clock's time (which also settles what
    /// happens at once, such as a replica with nothing to copy joining the ISR). Lock order: never
    /// take the listeners lock inside `f`.
    pub fn with_cluster<T>(&self, f: impl FnOnce(&mut Cluster) -> T) -> T {
        let mut cluster = lock(&self.cluster);
        let now = self.clock.now_ms().max(cluster.now_ms);
        cluster.advance_to(now);
        f(&mut cluster)
    }

    /// Opens and closes broker listeners to match the model (after anything that may have fenced
    /// or unfenced a broker).
    pub fn sync_listeners(self: &Arc<Self>) {
        listeners::sync(self);
    }
}

/// A poisoned lock only means a panic elsewhere in a test fake; the data stays usable.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
