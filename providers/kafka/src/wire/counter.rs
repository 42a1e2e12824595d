//! Requests sent, by API: what one observation costs, for tests and the operator's `-v` output.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<Mutex<BTreeMap<&'static str, u64>>>);

impl RequestCounter {
    pub fn count(&self, api: &'static str) {
        *self.lock().entry(api).or_default() += 1;
    }

    /// Requests sent so far, by Kafka's API name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.lock().clone()
    }

    pub fn total(&self) -> u64 {
        self.lock().values().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, u64>> {
        // A panic while holding this lock cannot leave the map half-updated (one insert or add).
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
