//! `GET /tables/{table}/consumingSegmentsInfo`: what each server's consumer of each CONSUMING segment
//! reports (PinotRealtimeTableResource.getConsumingSegmentsInfo). The controller asks every server of
//! the table's ideal state (`GET /tables/{t}/consumingSegmentsInfo` on the server) and merges the answers.
//!
//! JSON names from apache/pinot (commit 210c2951e720b72cbcb87224ff5e46237e098acd),
//! pinot-controller/src/main/java/org/apache/pinot/controller/util/ConsumingSegmentInfoReader.java:
//! - `ConsumingSegmentsInfoMap`: `_segmentToConsumingInfoMap` (a public field without `@JsonProperty`:
//!   Jackson writes the Java name, underscore included; the creator's `segmentToConsumingInfoMap` is
//!   only read; the controller UI's Models.ts reads `_segmentToConsumingInfoMap` too),
//!   `serversFailingToRespond`, `serversUnparsableRespond` (both added in release 1.2.0, #12523:
//!   absent from older controllers).
//! - `ConsumingSegmentInfo`: `serverName`, `consumerState` (`CONSUMING` / `NOT_CONSUMING`,
//!   CommonConstants.ConsumerState), `lastConsumedTimestamp` (epoch ms when the server last indexed a
//!   row; -1 before the first), `partitionToOffsetMap` (deprecated), `partitionOffsetInfo` (release
//!   0.12.0, #9515 / #9621).
//! - `PartitionOffsetInfo`: `currentOffsetsMap`, `latestUpstreamOffsetMap`, `recordsLagMap`,
//!   `availabilityLagMsMap`, each partition id -> a string; lags are `NOT_CALCULATED`
//!   (PartitionLagState) when the stream plugin cannot tell.
//!
//! Everything beyond the segment map is optional here, unknown fields are ignored, and numbers are
//! accepted as strings or numbers, so any controller from 0.7 on parses.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::client::{Call, Pinot, get};
use crate::error::PinotError;
use crate::tables::{TableType, raw_table_name};

/// The controller's merged answer for one REALTIME table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumingSegmentsInfo {
    /// Consuming segment -> one entry per server that reported a consumer for it. An empty list:
    /// the ideal state has the segment CONSUMING but no server that answered reports a consumer.
    pub segments: BTreeMap<String, Vec<ConsumerInfo>>,
    /// Servers that did not answer (error or timeout); None: a controller before Pinot 1.2 does not say.
    pub servers_failing_to_respond: Option<u32>,
    /// Servers whose answer could not be parsed; None as above.
    pub servers_unparsable: Option<u32>,
}

/// One server's consumer of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    pub server: String,
    /// `CONSUMING` or `NOT_CONSUMING` (empty when the server did not say).
    pub consumer_state: String,
    /// Epoch milliseconds at which the server last indexed a row; None before the first row.
    pub last_consumed_ms: Option<u64>,
    /// Stream partition id (as Pinot writes it, `"3"`) -> offsets and lags.
    pub partitions: BTreeMap<String, PartitionOffsets>,
}

/// What a consumer reports for one stream partition; None where the server did not say or the
/// stream plugin answered `NOT_CALCULATED`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionOffsets {
    pub current_offset: Option<String>,
    pub latest_upstream_offset: Option<String>,
    /// Messages behind the stream's latest offset.
    pub records_lag: Option<u64>,
    /// Milliseconds between the last row's ingestion into the stream and its indexing by the server.
    pub availability_lag_ms: Option<u64>,
}

impl ConsumerInfo {
    pub fn is_consuming(&self) -> bool {
        self.consumer_state.is_empty() || self.consumer_state.eq_ignore_ascii_case("CONSUMING")
    }
}

#[derive(Deserialize)]
struct RawInfoMap {
    #[serde(default, rename = "_segmentToConsumingInfoMap", alias = "segmentToConsumingInfoMap")]
    segments: Option<BTreeMap<String, Option<Vec<RawConsumer>>>>,
    #[serde(default, rename = "serversFailingToRespond")]
    failing: Option<Value>,
    #[serde(default, rename = "serversUnparsableRespond")]
    unparsable: Option<Value>,
}

#[derive(Deserialize)]
struct RawConsumer {
    #[serde(default, rename = "serverName")]
    server: Option<String>,
    #[serde(default, rename = "consumerState")]
    state: Option<String>,
    #[serde(default, rename = "lastConsumedTimestamp")]
    last_consumed: Option<Value>,
    #[serde(default, rename = "partitionToOffsetMap")]
    partition_to_offset: Option<BTreeMap<String, Value>>,
    #[serde(default, rename = "partitionOffsetInfo")]
    offsets: Option<RawOffsets>,
}

#[derive(Deserialize, Default)]
struct RawOffsets {
    #[serde(default, rename = "currentOffsetsMap")]
    current: Option<BTreeMap<String, Value>>,
    #[serde(default, rename = "latestUpstreamOffsetMap")]
    latest: Option<BTreeMap<String, Value>>,
    #[serde(default, rename = "recordsLagMap")]
    records_lag: Option<BTreeMap<String, Value>>,
    #[serde(default, rename = "availabilityLagMsMap")]
    availability_lag: Option<BTreeMap<String, Value>>,
}

/// A JSON string or number as text; null and other shapes are None.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A lag: a non-negative count; `NOT_CALCULATED` and garbage are None. A negative availability lag
/// (the stream's clock ahead of the server's) counts as 0.
fn lag(value: &Value) -> Option<u64> {
    let parsed: i64 = text(value)?.trim().parse().ok()?;
    Some(parsed.max(0) as u64)
}

fn count(value: &Option<Value>) -> Option<u32> {
    value.as_ref().and_then(lag).map(|n| n.min(u32::MAX as u64) as u32)
}

impl RawConsumer {
    fn into_info(self) -> ConsumerInfo {
        let offsets = self.offsets.unwrap_or_default();
        let mut partitions: BTreeMap<String, PartitionOffsets> = BTreeMap::new();
        // Before 0.12 only the (now deprecated) partitionToOffsetMap names the partitions.
        for (partition, value) in self.partition_to_offset.iter().flatten() {
            partitions.entry(partition.clone()).or_default().current_offset = text(value);
        }
        for (partition, value) in offsets.current.iter().flatten() {
            partitions.entry(partition.clone()).or_default().current_offset = text(value);
        }
        for (partition, value) in offsets.latest.iter().flatten() {
            partitions.entry(partition.clone()).or_default().latest_upstream_offset = text(value);
        }
        for (partition, value) in offsets.records_lag.iter().flatten() {
            partitions.entry(partition.clone()).or_default().records_lag = lag(value);
        }
        for (partition, value) in offsets.availability_lag.iter().flatten() {
            partitions.entry(partition.clone()).or_default().availability_lag_ms = lag(value);
        }
        ConsumerInfo {
            server: self.server.unwrap_or_default(),
            consumer_state: self.state.unwrap_or_default(),
            // -1 (no row yet) and 0 both mean "never consumed".
            last_consumed_ms: self.last_consumed.as_ref().and_then(lag).filter(|ms| *ms > 0),
            partitions,
        }
    }
}

fn parse(raw: RawInfoMap) -> ConsumingSegmentsInfo {
    ConsumingSegmentsInfo {
        segments: raw
            .segments
            .unwrap_or_default()
            .into_iter()
            .map(|(segment, consumers)| {
                (
                    segment,
                    consumers
                        .unwrap_or_default()
                        .into_iter()
                        .map(RawConsumer::into_info)
                        .collect(),
                )
            })
            .collect(),
        servers_failing_to_respond: count(&raw.failing),
        servers_unparsable: count(&raw.unparsable),
    }
}

impl Pinot {
    /// `GET /tables/{table}/consumingSegmentsInfo` for the REALTIME table (a raw name or one with
    /// `_REALTIME`). Pinot answers 500 for an OFFLINE table and for a table without an ideal state.
    pub async fn consuming_segments_info(&self, table: &str) -> Result<ConsumingSegmentsInfo, PinotError> {
        let name = TableType::Realtime.with_type(raw_table_name(table));
        let call = Call {
            endpoint: get("/tables/{table}/consumingSegmentsInfo"),
            segments: &["tables", &name, "consumingSegmentsInfo"],
            query: &[],
        };
        let raw: RawInfoMap = self.json(&call).await?;
        Ok(parse(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ConsumingSegmentsInfo {
        parse(serde_json::from_str(text).unwrap())
    }

    /// The shape a Pinot 1.2+ controller writes (ConsumingSegmentInfoReader), with an unknown field.
    #[test]
    fn reads_every_field_of_a_current_controller() {
        let info = parsed(
            r#"{"serversFailingToRespond": 1, "serversUnparsableRespond": 0, "somethingNew": true,
                "_segmentToConsumingInfoMap": {
                  "kf_logs__3__7__20250101T0007Z": [{
                    "serverName": "Server_a_8098", "consumerState": "CONSUMING",
                    "lastConsumedTimestamp": 1733472000000, "partitionToOffsetMap": {"3": "120"},
                    "partitionOffsetInfo": {"currentOffsetsMap": {"3": "120"}, "latestUpstreamOffsetMap": {"3": "150"},
                      "recordsLagMap": {"3": "30"}, "availabilityLagMsMap": {"3": "NOT_CALCULATED"}, "extra": {}},
                    "newField": 1}],
                  "kf_logs__4__7__20250101T0007Z": []}}"#,
        );
        assert_eq!(
            (info.servers_failing_to_respond, info.servers_unparsable),
            (Some(1), Some(0))
        );
        let consumer = &info.segments["kf_logs__3__7__20250101T0007Z"][0];
        assert_eq!(consumer.server, "Server_a_8098");
        assert!(consumer.is_consuming());
        assert_eq!(consumer.last_consumed_ms, Some(1_733_472_000_000));
        assert_eq!(
            consumer.partitions["3"],
            PartitionOffsets {
                current_offset: Some("120".into()),
                latest_upstream_offset: Some("150".into()),
                records_lag: Some(30),
                availability_lag_ms: None,
            }
        );
        assert!(info.segments["kf_logs__4__7__20250101T0007Z"].is_empty());
    }

    /// A controller before 0.12 (no partitionOffsetInfo) and before 1.2 (no server counts), a
    /// consumer that has not indexed a row yet (-1), and numbers written as numbers.
    #[test]
    fn older_controllers_and_missing_fields_parse() {
        let info = parsed(
            r#"{"_segmentToConsumingInfoMap": {"t__0__1__x": [
                 {"serverName": "s", "consumerState": "NOT_CONSUMING", "lastConsumedTimestamp": -1,
                  "partitionToOffsetMap": {"0": 5}},
                 {"serverName": "s2", "partitionOffsetInfo": {"recordsLagMap": {"0": 7}, "availabilityLagMsMap": {"0": "-20"}}}]}}"#,
        );
        assert_eq!(info.servers_failing_to_respond, None);
        let consumers = &info.segments["t__0__1__x"];
        assert!(!consumers[0].is_consuming());
        assert_eq!(consumers[0].last_consumed_ms, None);
        assert_eq!(consumers[0].partitions["0"].current_offset.as_deref(), Some("5"));
        assert!(consumers[1].is_consuming(), "no state said: not counted as stopped");
        assert_eq!(consumers[1].partitions["0"].records_lag, Some(7));
        assert_eq!(consumers[1].partitions["0"].availability_lag_ms, Some(0), "clock skew");
        assert_eq!(parsed("{}"), ConsumingSegmentsInfo::default());
    }
}
