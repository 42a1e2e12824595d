//! Every request the fake received, by API (ApiVersions included, mutations or not): what a
//! benchmark reports as kfscale's cost to a cluster (`GET /_control/requests`).
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Requests {
    counts: BTreeMap<&'static str, u64>,
}

impl Requests {
    pub fn count(&mut self, api: &'static str) {
        *self.counts.entry(api).or_default() += 1;
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.iter().map(|(api, n)| (api.to_string(), *n)).collect()
    }
}
