//! The plan's notes on the expected growth: which settings sized the partitions, which one the
//! flag replaced, and which changed nothing (a stream or topic this values file does not list, a
//! plan that adds no nodes), so a reviewer sees every input and what became of it.
use std::collections::BTreeSet;

use super::expected_growth::{ExpectedGrowth, FLAG};
use crate::profile::Profile;

/// `listed`: the topics of the values file's list; `grows`: whether the pool grows.
pub fn growth_notes(profile: &Profile, growth: &ExpectedGrowth, listed: &BTreeSet<&str>, grows: bool) -> Vec<String> {
    let settings = &growth.settings;
    let mut notes = Vec::new();
    if growth.is_empty() {
        return notes;
    }
    if !grows {
        notes.push(
            "expected growth: not applied, the pool keeps its size; partitions grow only with a scale-out (a plan of the size the pool has changes nothing)".into(),
        );
        return notes;
    }
    let mut sources = Vec::new();
    match (growth.flag, settings.expected) {
        (Some(flag), Some(expected)) => sources.push(format!(
            "{flag} for every topic without its own setting ({FLAG}; it replaces partition_growth.expected {expected} for this plan)"
        )),
        (Some(flag), None) => sources.push(format!("{flag} for every topic without its own setting ({FLAG})")),
        (None, Some(expected)) => sources.push(format!(
            "{expected} for every topic without its own setting (partition_growth.expected)"
        )),
        (None, None) => {}
    }
    sources.extend(
        settings
            .streams
            .iter()
            .map(|(stream, factor)| format!("{factor} for stream {stream}")),
    );
    sources.extend(
        settings
            .topics
            .iter()
            .map(|(topic, factor)| format!("{factor} for topic {topic}")),
    );
    notes.push(format!(
        "expected growth in volume, on top of the node ratio: {}; partitions = ceil(partitions × node ratio × expected growth)",
        sources.join("; ")
    ));
    if listed.is_empty() {
        return notes;
    }
    for stream in settings.streams.keys() {
        let topics = profile.kafka.streams.get(stream).map(Vec::as_slice).unwrap_or_default();
        if !topics.iter().any(|topic| listed.contains(topic.as_str())) {
            notes.push(format!(
                "partition_growth.streams.{stream}: none of its topics ({}) is in the values file's topic list (`{}`), so it changes nothing here",
                topics.join(", "),
                profile.kafka.topics_path
            ));
        }
    }
    for topic in settings.topics.keys().filter(|topic| !listed.contains(topic.as_str())) {
        notes.push(format!(
            "partition_growth.topics: `{topic}` is not in the values file's topic list (`{}`); kfscale grows listed topics only, so it changes nothing here",
            profile.kafka.topics_path
        ));
    }
    notes
}
