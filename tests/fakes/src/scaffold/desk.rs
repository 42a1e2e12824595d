//! The front desk of an HTTP fake: what it received (mutating requests counted by API method whatever
//! their outcome, so a test can prove a resumed apply never repeated one; every request served, oldest
//! first) and the faults waiting for the next requests.
use std::collections::BTreeMap;
use std::time::Duration;

use super::faults::{Effects, FaultList, RequestFault};

#[derive(Debug)]
pub struct Desk<F, R> {
    pub faults: FaultList<F>,
    pub mutations: BTreeMap<String, u64>,
    pub requests: Vec<R>,
}

impl<F, R> Default for Desk<F, R> {
    fn default() -> Self {
        Desk {
            faults: FaultList::default(),
            mutations: BTreeMap::new(),
            requests: Vec::new(),
        }
    }
}

impl<F: RequestFault, R> Desk<F, R> {
    /// A request to the method `id` arrived: counted when it mutates; what the faults do to it.
    pub fn receive(&mut self, id: &str, mutation: bool) -> Effects {
        if mutation {
            *self.mutations.entry(id.to_string()).or_default() += 1;
        }
        self.faults.on_request(id, mutation)
    }

    pub fn served(&mut self, record: R) {
        self.requests.push(record);
    }
}

/// Waits out an injected latency (client timeouts are real-time, so this is real time too).
pub async fn delay(effects: &Effects) {
    if effects.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(effects.delay_ms)).await;
    }
}
