//! A values file without a topic list runs on the chart's default list (Helm's release record
//! carries it). Its partitions grow like a listed topic's, and because Helm replaces a list rather
//! than merging it, the plan adds the chart's whole list to the file, every item and every key of
//! it kept, with the grown partition counts.
use serde_json::{Map, Value};

use super::PlanError;
use super::effective_values::EffectiveValues;
use super::expected_growth::ExpectedGrowth;
use super::values_scaling::{LiveFacts, MissingValue, ValueChange};
use super::values_topics::{TopicChanges, TopicGrowth, grow_topic};
use crate::profile::Profile;
use crate::values::ValuePath;

/// One item of the chart's default topic list.
pub(super) struct ChartTopic {
    pub name: String,
    pub partitions: u64,
    pub replication_factor: u64,
    /// The item as the chart has it (other keys, such as a topic config, are written back as they are).
    item: Map<String, Value>,
}

/// The chart's default list at `path`, when the chart has one the plan can read. `Err` carries why
/// an item cannot be read (the plan then leaves the partitions and says so).
pub(super) fn chart_topic_list(
    effective: &EffectiveValues,
    path: &ValuePath,
) -> Result<Option<Vec<ChartTopic>>, String> {
    let Some(Value::Array(items)) = effective.get(path) else {
        return Ok(None);
    };
    let mut topics = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            return Err(format!("item {index} of the chart's list is not a mapping"));
        };
        let name = item.get("name").and_then(Value::as_str);
        let partitions = item.get("partitions").and_then(count);
        let (Some(name), Some(partitions)) = (name, partitions) else {
            return Err(format!(
                "item {index} of the chart's list has no `name` or no `partitions` count"
            ));
        };
        topics.push(ChartTopic {
            name: name.to_string(),
            partitions,
            replication_factor: item.get("replicationFactor").and_then(count).unwrap_or(1),
            item: item.clone(),
        });
    }
    Ok(Some(topics))
}

fn count(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.parse().ok())
}

/// Grows the chart's topics, and when any grows, adds the whole list to the file as one change.
pub(super) fn plan_chart_topics(
    chart: Result<Option<Vec<ChartTopic>>, String>,
    profile: &Profile,
    (from, to): (u64, u64),
    growth: &ExpectedGrowth,
    live: &LiveFacts,
    out: &mut TopicChanges<'_>,
) -> Result<Vec<TopicGrowth>, PlanError> {
    let path = &profile.kafka.topics_path;
    let chart = match chart {
        Ok(Some(chart)) => chart,
        unread => {
            let why = match unread {
                Err(why) => format!("the file has no topic list and {why}"),
                _ => "no topic list in the file nor in the chart's recorded defaults".to_string(),
            };
            out.missing.push(MissingValue {
                subject: "kafka topics".into(),
                path: path.clone(),
                consequence: format!(
                    "{why}: partitions stay as they are; set kafka.topics_path in the profile if the list lives elsewhere"
                ),
            });
            return Ok(Vec::new());
        }
    };
    let mut topics = Vec::with_capacity(chart.len());
    let mut grown = Vec::new();
    let mut items = Vec::with_capacity(chart.len());
    for topic in chart {
        let (planned, reason) = grow_topic(
            profile,
            growth,
            live,
            (from, to),
            (topic.name.clone(), topic.partitions, topic.replication_factor),
        )?;
        let mut item = topic.item;
        if planned.partitions_after != topic.partitions {
            grown.push(format!("{} {reason}", topic.name));
            item.insert("partitions".into(), Value::from(planned.partitions_after));
        }
        items.push(flow_mapping(&item));
        topics.push(planned);
    }
    if !grown.is_empty() {
        out.changes.push(ValueChange {
            path: path.clone(),
            line: 0,
            old: format!("{} topics", items.len()),
            new: format!("{} topics", items.len()),
            rule: "partitions".into(),
            reason: format!(
                "the file has no topic list, so the chart's is written whole (Helm replaces a list, it does not merge one): {}",
                grown.join("; ")
            ),
            subject: "kafka topics".into(),
            added: true,
            list_items: items,
        });
    }
    Ok(topics)
}

/// `{name: logs, partitions: 18, replicationFactor: 1, ...}`: the topic's keys first, the rest as
/// the chart orders them; strings quoted whenever YAML would read them as anything but a string.
fn flow_mapping(item: &Map<String, Value>) -> String {
    const FIRST: [&str; 3] = ["name", "partitions", "replicationFactor"];
    let first = FIRST.iter().filter_map(|key| item.get_key_value(*key));
    let rest = item.iter().filter(|(key, _)| !FIRST.contains(&key.as_str()));
    let entries: Vec<String> = first
        .chain(rest)
        .map(|(key, value)| format!("{}: {}", flow_text(key), flow_value(value)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

fn flow_value(value: &Value) -> String {
    match value {
        Value::String(text) => flow_text(text),
        // JSON is flow YAML: numbers, booleans, null, and nested lists and maps read back as written.
        other => other.to_string(),
    }
}

/// A string plain when YAML reads it back as the same string, else double-quoted (JSON's quoting
/// is YAML's).
fn flow_text(text: &str) -> String {
    let plain_chars = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && !text.starts_with(['-', '.']);
    let typed = matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) || text.parse::<f64>().is_ok()
        || text.starts_with("0x")
        || text.starts_with("0o");
    if plain_chars && !typed {
        text.to_string()
    } else {
        Value::String(text.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_every_key_and_quote_what_yaml_would_retype() {
        let item: Map<String, Value> = serde_json::from_str(
            r#"{"replicationFactor": 2, "name": "kf_logs_topic", "partitions": 18, "config": {"retention.ms": "600000"}, "tag": "true", "id": "007", "note": "a: b"}"#,
        )
        .unwrap();
        let text = flow_mapping(&item);
        assert!(
            text.starts_with("{name: kf_logs_topic, partitions: 18, replicationFactor: 2, "),
            "{text}"
        );
        for expected in [
            r#"config: {"retention.ms":"600000"}"#,
            r#"tag: "true""#,
            r#"id: "007""#,
            r#"note: "a: b""#,
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        // It reads back, as Helm would, as the item it was made from.
        let document = crate::values::Document::parse("t.yaml", &format!("x: [{text}]\n")).unwrap();
        assert_eq!(crate::values::json::to_json(&document)["x"][0], Value::Object(item));
    }

    #[test]
    fn an_item_without_a_name_or_count_is_reported_not_guessed() {
        let defaults: Value = serde_json::json!({"kafkaTopics": [{"name": "a", "partitions": 3}, {"partitions": 3}]});
        let document = crate::values::Document::parse("v.yaml", "x: 1\n").unwrap();
        let effective = EffectiveValues::new(&defaults, &document);
        let why = chart_topic_list(&effective, &ValuePath::parse("kafkaTopics").unwrap())
            .err()
            .unwrap();
        assert!(why.contains("item 1"), "{why}");
    }
}
