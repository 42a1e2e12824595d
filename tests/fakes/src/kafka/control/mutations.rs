//! The count of mutating requests the fake received, by API, and a log of each one, so a test can
//! prove that a resumed apply never sent a mutation twice. A request counts when it arrives, whether
//! or not a fault then stopped it; the log says whether it was processed. Validate-only requests
//! change nothing and are not counted.
use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct MutationEntry {
    pub seq: u64,
    pub api: &'static str,
    pub broker: i32,
    pub model_ms: u64,
    /// The fake ran the request against the cluster (false: a fault answered or dropped it first).
    pub processed: bool,
    /// The id of the fault that hit it, if any.
    pub fault: Option<u64>,
    /// What it asked for (topics, partitions and targets, config resources).
    pub request: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct Mutations {
    counts: BTreeMap<&'static str, u64>,
    log: Vec<MutationEntry>,
}

impl Mutations {
    pub fn record(&mut self, mut entry: MutationEntry) {
        *self.counts.entry(entry.api).or_default() += 1;
        entry.seq = self.log.len() as u64 + 1;
        self.log.push(entry);
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.iter().map(|(api, n)| (api.to_string(), *n)).collect()
    }

    pub fn log(&self) -> &[MutationEntry] {
        &self.log
    }
}
