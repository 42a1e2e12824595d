//! Dotted key paths into a values file: `kafka-kraft.broker.replicaCount`, `kafkaTopics[3].partitions`.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValuePath(pub Vec<Segment>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid values path `{path}`: {reason} (write keys separated by dots, list items as [N], e.g. `kafkaTopics[0].partitions`)"
)]
pub struct PathSyntaxError {
    pub path: String,
    pub reason: String,
}

impl ValuePath {
    pub fn parse(text: &str) -> Result<Self, PathSyntaxError> {
        let fail = |reason: &str| PathSyntaxError {
            path: text.to_string(),
            reason: reason.to_string(),
        };
        if text.trim().is_empty() {
            return Err(fail("the path is empty"));
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() && segments.is_empty() && rest.is_empty() {
                return Err(fail("a key is empty"));
            }
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_string()));
            } else if rest.is_empty() {
                return Err(fail("a key is empty"));
            }
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(|| fail("`[` without `]`"))?;
                let index = rest[1..close]
                    .parse::<usize>()
                    .map_err(|_| fail("a list index is not a number"))?;
                segments.push(Segment::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(fail("text after `]` must be `.` or `[`"));
                }
            }
        }
        Ok(ValuePath(segments))
    }

    pub fn child_key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        ValuePath(segments)
    }

    pub fn child_index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        ValuePath(segments)
    }

    /// The last key of the path (the name a human reads it by).
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for ValuePath {
    type Err = PathSyntaxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ValuePath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ValuePath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ValuePath::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for ValuePath {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ValuePath".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A dotted key path into the values file; list items as [N]",
            "minLength": 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_indices() {
        let path = ValuePath::parse("kafkaTopics[3].partitions").unwrap();
        assert_eq!(
            path.0,
            vec![
                Segment::Key("kafkaTopics".into()),
                Segment::Index(3),
                Segment::Key("partitions".into())
            ]
        );
        assert_eq!(path.to_string(), "kafkaTopics[3].partitions");
        assert_eq!(
            ValuePath::parse("kafka-kraft.broker.replicaCount").unwrap().to_string(),
            "kafka-kraft.broker.replicaCount"
        );
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "a..b", "a[", "a[x]", "a[1]b", "."] {
            assert!(ValuePath::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
