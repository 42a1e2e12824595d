//! The expected growth in volume that Kafka partitions are sized for, beside the node ratio. The
//! runbook grows partitions "based on the increased volume as well as expected increase in the
//! volume", per stream (logs, metrics, traces, events): the settings (kfscale.yaml
//! `partition_growth:`, `--expected-growth F`), which one a topic gets, and the checks of the
//! names they use. The arithmetic is `partition_rule.rs`'s.
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// More than this in one scale-out is refused: a factor of 50 is far more often "50%" typed as a
/// factor than a real expectation, and it would create 50 times the partitions for good (Kafka
/// cannot remove partitions).
pub const MAX_EXPECTED_GROWTH: f64 = 10.0;

/// How many times today's volume to size partitions for, on top of the node ratio: 1 = no more
/// than the nodes bring, 1.5 = 50% more. Always finite, at least 1 (partitions never decrease) and
/// at most [`MAX_EXPECTED_GROWTH`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct GrowthFactor(f64);

impl GrowthFactor {
    /// The factor, or why it is refused (the caller names the key or flag).
    pub fn new(factor: f64) -> Result<GrowthFactor, String> {
        if !factor.is_finite() {
            return Err(format!(
                "{factor} is not a number; write a factor such as 1.5 (50% more volume)"
            ));
        }
        if factor < 1.0 {
            return Err(format!(
                "{factor} is below 1: it would shrink the partitions, and partitions never decrease; write 1 for no growth beyond the node ratio, 1.5 for 50% more volume"
            ));
        }
        if factor > MAX_EXPECTED_GROWTH {
            return Err(format!(
                "{factor} is more than {MAX_EXPECTED_GROWTH} times today's volume (a percentage written as a factor? 1.5 means 50% more); write a factor of at most {MAX_EXPECTED_GROWTH}"
            ));
        }
        Ok(GrowthFactor(factor))
    }

    /// `--expected-growth F` as typed: a factor; a percentage is refused with the factor it means.
    pub fn parse(text: &str) -> Result<GrowthFactor, String> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            let meant = percent
                .trim()
                .trim_start_matches('+')
                .parse::<f64>()
                .map(|p| format!("; for {p}% more volume write {}", 1.0 + p / 100.0))
                .unwrap_or_default();
            return Err(format!("`{text}` is a percentage, not a factor{meant}"));
        }
        let factor = text
            .parse::<f64>()
            .map_err(|_| format!("`{text}` is not a number; write a factor such as 1.5 (50% more volume)"))?;
        GrowthFactor::new(factor)
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for GrowthFactor {
    type Error = String;

    fn try_from(factor: f64) -> Result<Self, Self::Error> {
        GrowthFactor::new(factor)
    }
}

impl From<GrowthFactor> for f64 {
    fn from(factor: GrowthFactor) -> f64 {
        factor.0
    }
}

impl fmt::Display for GrowthFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl JsonSchema for GrowthFactor {
    fn schema_name() -> Cow<'static, str> {
        "GrowthFactor".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Times today's volume, on top of the node ratio: 1 = none, 1.5 = 50% more.",
            "type": "number",
            "minimum": 1.0,
            "maximum": MAX_EXPECTED_GROWTH,
        })
    }
}

/// kfscale.yaml's `partition_growth:` section. The most specific setting wins: a topic's, else
/// its stream's, else `expected` (which `--expected-growth` replaces), else none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrowthSettings {
    /// The expected growth of every topic without a setting of its own; `--expected-growth`
    /// replaces it for one plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<GrowthFactor>,
    /// Stream -> its expected growth. The streams and their topics are the profile's
    /// (`kafka.streams`: logs, metrics, traces, events in the built-in profiles).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub streams: BTreeMap<String, GrowthFactor>,
    /// Topic -> its expected growth; wins over its stream's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, GrowthFactor>,
}

impl GrowthSettings {
    pub fn is_empty(&self) -> bool {
        self.expected.is_none() && self.streams.is_empty() && self.topics.is_empty()
    }

    /// Each key whose value differs between `self` (what a plan was made with) and `now`, as
    /// `partition_growth.streams.logs: 1.5 in the plan, 2 now`; empty when they agree.
    pub fn differences(&self, now: &GrowthSettings) -> Vec<String> {
        let mut differences = Vec::new();
        let mut compare = |key: String, then: Option<GrowthFactor>, now: Option<GrowthFactor>| {
            if then != now {
                let show = |factor: Option<GrowthFactor>| factor.map_or("not set".to_string(), |f| f.to_string());
                differences.push(format!("{key}: {} in the plan, {} now", show(then), show(now)));
            }
        };
        compare(expected_key(), self.expected, now.expected);
        for (kind, then_map, now_map) in [
            ("streams", &self.streams, &now.streams),
            ("topics", &self.topics, &now.topics),
        ] {
            let names: BTreeSet<&String> = then_map.keys().chain(now_map.keys()).collect();
            for name in names {
                compare(
                    map_key(kind, name),
                    then_map.get(name).copied(),
                    now_map.get(name).copied(),
                );
            }
        }
        differences
    }
}

/// What sizes a plan's partitions beside the node count; the plan carries it, so that
/// `apply PLANFILE` refuses a plan whose kfscale.yaml setting changed since.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedGrowth {
    /// `--expected-growth F`: replaces `partition_growth.expected` for this plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<GrowthFactor>,
    /// kfscale.yaml's `partition_growth:` when the plan was made.
    #[serde(default, skip_serializing_if = "GrowthSettings::is_empty")]
    pub settings: GrowthSettings,
}

/// The expected growth one topic was sized for, and the setting it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliedGrowth {
    pub factor: GrowthFactor,
    /// `--expected-growth`, or the kfscale.yaml key: `partition_growth.topics.<topic>`,
    /// `partition_growth.streams.<stream>`, `partition_growth.expected`.
    pub set_by: String,
}

/// A setting names a stream or topic that is not there. Each entry names its key; the caller
/// names the file (`kfscale.yaml` when it has no path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}; fix: {fix}", .unknown.join("; "))]
pub struct UnknownNames {
    pub unknown: Vec<String>,
    pub fix: String,
}

impl ExpectedGrowth {
    pub fn is_empty(&self) -> bool {
        self.flag.is_none() && self.settings.is_empty()
    }

    /// The growth a topic of `stream` gets: its own setting, else its stream's, else the flag,
    /// else `partition_growth.expected`; None: the node ratio alone.
    pub fn for_topic(&self, topic: &str, stream: Option<&str>) -> Option<AppliedGrowth> {
        let settings = &self.settings;
        let applied = |factor: GrowthFactor, set_by: String| AppliedGrowth { factor, set_by };
        if let Some(factor) = settings.topics.get(topic) {
            return Some(applied(*factor, map_key("topics", topic)));
        }
        if let Some((stream, factor)) = stream.and_then(|s| settings.streams.get_key_value(s)) {
            return Some(applied(*factor, map_key("streams", stream)));
        }
        if let Some(factor) = self.flag {
            return Some(applied(factor, FLAG.into()));
        }
        settings.expected.map(|factor| applied(factor, expected_key()))
    }

    /// Refuses a stream the profile does not have, and a topic that is neither in the values
    /// file's topic list, nor in Kafka, nor in one of the profile's streams (a typo grows
    /// nothing, and silently so). `streams`: the profile's stream -> topics.
    pub fn check_names(
        &self,
        streams: &BTreeMap<String, Vec<String>>,
        known_topic: &dyn Fn(&str) -> bool,
    ) -> Result<(), UnknownNames> {
        let settings = &self.settings;
        let in_a_stream = |topic: &str| streams.values().flatten().any(|t| t == topic);
        let mut unknown: Vec<String> = settings
            .streams
            .keys()
            .filter(|stream| !streams.contains_key(*stream))
            .map(|stream| format!("`{}` names no stream of the profile", map_key("streams", stream)))
            .collect();
        let bad_streams = !unknown.is_empty();
        unknown.extend(
            settings
                .topics
                .keys()
                .filter(|topic| !known_topic(topic) && !in_a_stream(topic))
                .map(|topic| {
                    format!(
                        "`{}` names a topic that is not in the values file's topic list, in Kafka or in a stream of the profile",
                        map_key("topics", topic)
                    )
                }),
        );
        if unknown.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = streams.keys().map(String::as_str).collect();
        let fix = match bad_streams {
            true => format!(
                "use a stream the profile has ({}), or add yours with its topics under the profile's `kafka.streams`; correct or remove any topic named",
                names.join(", ")
            ),
            false => "correct the topic name (as Kafka spells it), or remove the entry".into(),
        };
        Err(UnknownNames { unknown, fix })
    }
}

/// The flag's name in reasons and notes.
pub const FLAG: &str = "--expected-growth";

fn expected_key() -> String {
    "partition_growth.expected".into()
}

/// `partition_growth.topics.kf_logs_topic`; a name with a dot is quoted so the key stays readable.
fn map_key(kind: &str, name: &str) -> String {
    match name.contains(['.', ' ', '"']) {
        true => format!("partition_growth.{kind}[{name:?}]"),
        false => format!("partition_growth.{kind}.{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(value: f64) -> GrowthFactor {
        GrowthFactor::new(value).unwrap()
    }

    fn streams() -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([
            ("logs".to_string(), vec!["kf_logs_topic".to_string()]),
            ("metrics".to_string(), vec!["kf_metrics_topic".to_string()]),
        ])
    }

    #[test]
    fn a_factor_is_finite_at_least_one_and_at_most_the_cap() {
        assert_eq!(GrowthFactor::parse("1.5"), Ok(factor(1.5)));
        assert_eq!(GrowthFactor::parse(" 1 "), Ok(factor(1.0)));
        assert_eq!(GrowthFactor::parse("10"), Ok(factor(10.0)));
        for (text, words) in [
            ("0.5", "partitions never decrease"),
            ("0", "below 1"),
            ("-2", "below 1"),
            ("NaN", "not a number"),
            ("inf", "not a number"),
            ("abc", "not a number"),
            ("50", "a percentage written as a factor"),
            ("50%", "for 50% more volume write 1.5"),
            ("+20%", "for 20% more volume write 1.2"),
        ] {
            let err = GrowthFactor::parse(text).unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
        }
        let err = serde_json::from_str::<GrowthFactor>("0.9").unwrap_err().to_string();
        assert!(err.contains("partitions never decrease"), "{err}");
    }

    #[test]
    fn the_most_specific_setting_wins() {
        let growth = ExpectedGrowth {
            flag: Some(factor(1.2)),
            settings: GrowthSettings {
                expected: Some(factor(1.1)),
                streams: BTreeMap::from([("logs".into(), factor(2.0))]),
                topics: BTreeMap::from([("kf_logs_metric_topic".into(), factor(3.0))]),
            },
        };
        let set = |topic, stream| {
            growth
                .for_topic(topic, stream)
                .map(|applied| (applied.factor.get(), applied.set_by))
        };
        assert_eq!(
            set("kf_logs_metric_topic", Some("logs")),
            Some((3.0, "partition_growth.topics.kf_logs_metric_topic".into()))
        );
        assert_eq!(
            set("kf_logs_topic", Some("logs")),
            Some((2.0, "partition_growth.streams.logs".into()))
        );
        assert_eq!(
            set("kf_metrics_topic", Some("metrics")),
            Some((1.2, "--expected-growth".into()))
        );
        let without_flag = ExpectedGrowth {
            flag: None,
            ..growth.clone()
        };
        assert_eq!(
            without_flag.for_topic("mine", None).map(|a| a.set_by),
            Some("partition_growth.expected".into())
        );
        assert_eq!(ExpectedGrowth::default().for_topic("kf_logs_topic", Some("logs")), None);
    }

    #[test]
    fn unknown_streams_and_topics_are_named_with_the_fix() {
        let growth = ExpectedGrowth {
            flag: None,
            settings: GrowthSettings {
                expected: None,
                streams: BTreeMap::from([("log".into(), factor(2.0)), ("metrics".into(), factor(1.5))]),
                topics: BTreeMap::from([
                    ("kf_logs_topik".into(), factor(2.0)),
                    ("kf_logs_topic".into(), factor(2.0)),
                    ("customer_topic".into(), factor(2.0)),
                    ("my.dotted".into(), factor(2.0)),
                ]),
            },
        };
        let err = growth
            .check_names(&streams(), &|topic| topic == "customer_topic")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`partition_growth.streams.log` names no stream"), "{err}");
        assert!(err.contains("`partition_growth.topics.kf_logs_topik`"), "{err}");
        assert!(err.contains(r#"`partition_growth.topics["my.dotted"]`"#), "{err}");
        assert!(
            !err.contains("customer_topic") && !err.contains("topics.kf_logs_topic`"),
            "{err}"
        );
        assert!(
            err.contains("fix: use a stream the profile has (logs, metrics)"),
            "{err}"
        );
        let fine = ExpectedGrowth {
            flag: Some(factor(1.5)),
            settings: GrowthSettings::default(),
        };
        assert_eq!(fine.check_names(&streams(), &|_| false), Ok(()));
    }

    #[test]
    fn differences_name_each_key_that_changed() {
        let then = GrowthSettings {
            expected: Some(factor(1.2)),
            streams: BTreeMap::from([("logs".into(), factor(1.5))]),
            topics: BTreeMap::new(),
        };
        assert!(then.differences(&then.clone()).is_empty());
        let now = GrowthSettings {
            expected: None,
            streams: BTreeMap::from([("logs".into(), factor(2.0))]),
            topics: BTreeMap::from([("t".into(), factor(3.0))]),
        };
        assert_eq!(
            then.differences(&now),
            [
                "partition_growth.expected: 1.2 in the plan, not set now",
                "partition_growth.streams.logs: 1.5 in the plan, 2 now",
                "partition_growth.topics.t: not set in the plan, 3 now",
            ]
        );
    }
}
