//! The consumers of CONSUMING segments, for `GET /tables/{t}/consumingSegmentsInfo`
//! (PinotRealtimeTableResource.getConsumingSegmentsInfo, ConsumingSegmentInfoReader).
//!
//! The controller asks every server of the table's ideal state for its consumers
//! (`GET /tables/{t}/consumingSegmentsInfo` on the server, TablesResource); each server that answers
//! lists the consuming segments it has loaded: here, the external view's CONSUMING replicas of that
//! server. A server that does not answer (not live, or set so) counts in `serversFailingToRespond`,
//! one whose answer does not parse in `serversUnparsableRespond`; a segment CONSUMING in the ideal
//! state that no answering server reports gets an empty list.
//!
//! By default every consumer is fresh: it indexed a row at the current model time, is caught up
//! (`recordsLag` 0) and rows become visible 0 ms after they reach the stream. Tests set a partition's
//! consumers otherwise ([`ConsumerSetting`]: stalled for N seconds, behind by N records, an
//! availability lag, `NOT_CONSUMING`) and a server's answer ([`ServerAnswer`]).
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cluster::{CONSUMING, Cluster};
use super::names::{TableType, llc_partition, raw_name, type_of};
use super::state::PinotError;

/// How one stream partition's consumers of a REALTIME table behave (every replica alike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsumerSetting {
    /// With type, `kf_logs_REALTIME` (a raw name is taken as REALTIME).
    pub table: String,
    pub partition: u32,
    /// The consumer last indexed a row this many seconds ago and has not since (a stalled
    /// consumer: `lastConsumedTimestamp` stays put); absent: it consumes now.
    #[serde(default)]
    pub stalled_seconds: Option<f64>,
    /// Messages behind the stream's latest offset (`recordsLagMap`); absent: 0 (caught up), or 100
    /// a second of a stall.
    #[serde(default)]
    pub records_lag: Option<u64>,
    /// `availabilityLagMsMap`; absent: 0. `NOT_CALCULATED` is written when `not_calculated` is set.
    #[serde(default)]
    pub availability_lag_ms: Option<u64>,
    /// The lags are `NOT_CALCULATED` (a stream plugin that cannot tell).
    #[serde(default)]
    pub not_calculated: bool,
    /// `CONSUMING` (default) or `NOT_CONSUMING`.
    #[serde(default)]
    pub consumer_state: Option<String>,
}

/// How a server answers the controller's consumingSegmentsInfo request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerAnswer {
    Ok,
    /// No answer (an error or a timeout): `serversFailingToRespond`.
    None,
    /// An answer that does not parse: `serversUnparsableRespond`.
    Unparsable,
}

/// What tests set, kept until reset.
#[derive(Debug, Default)]
pub struct Consumers {
    /// (table with type, partition) -> the setting and the wall-clock ms its stall started at.
    partitions: BTreeMap<(String, u32), (ConsumerSetting, Option<u64>)>,
    servers: BTreeMap<String, ServerAnswer>,
}

impl Consumers {
    /// Records a partition's setting; a stall is anchored at `wall_ms - stalled_seconds`.
    pub fn set(&mut self, mut setting: ConsumerSetting, cluster: &Cluster, wall_ms: u64) -> Result<(), String> {
        if type_of(&setting.table).is_none() {
            setting.table = TableType::Realtime.with_type(&setting.table);
        }
        let table = cluster
            .tables
            .get(&setting.table)
            .ok_or_else(|| format!("no table {}", setting.table))?;
        if table.table_type != TableType::Realtime {
            return Err(format!("{} is not a REALTIME table", setting.table));
        }
        if !table.ideal.keys().any(|s| llc_partition(s) == Some(setting.partition)) {
            return Err(format!("{} has no partition {}", setting.table, setting.partition));
        }
        let stalled_at = match setting.stalled_seconds {
            Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                Some(wall_ms.saturating_sub((seconds * 1000.0) as u64))
            }
            Some(seconds) => return Err(format!("stalledSeconds {seconds}: give 0 or more")),
            None => None,
        };
        self.partitions
            .insert((setting.table.clone(), setting.partition), (setting, stalled_at));
        Ok(())
    }

    pub fn set_server(&mut self, server: String, answer: ServerAnswer) {
        if answer == ServerAnswer::Ok {
            self.servers.remove(&server);
        } else {
            self.servers.insert(server, answer);
        }
    }

    pub fn reset(&mut self) {
        *self = Consumers::default();
    }

    /// The controller's `ConsumingSegmentsInfoMap` for `asked` (a raw name or one with type).
    pub fn info(&self, cluster: &Cluster, asked: &str, wall_ms: u64) -> Result<Value, PinotError> {
        let failed = |reason: String| {
            PinotError::new(
                500,
                format!("Failed to get consuming segments info for table {asked}. {reason}"),
            )
        };
        if type_of(asked) == Some(TableType::Offline) {
            return Err(failed(format!(
                "Cannot get consuming segments info for OFFLINE table: {asked}"
            )));
        }
        let name = TableType::Realtime.with_type(raw_name(asked));
        let table = cluster
            .tables
            .get(&name)
            .ok_or_else(|| failed(format!("Ideal state does not exist for table: {name}")))?;
        let servers: BTreeSet<&String> = table.ideal.values().flat_map(|replicas| replicas.keys()).collect();
        let (mut failing, mut unparsable) = (0, 0);
        let mut answering = BTreeSet::new();
        for server in servers {
            match self.servers.get(server.as_str()).copied() {
                _ if !cluster.live(server) => failing += 1,
                Some(ServerAnswer::None) => failing += 1,
                Some(ServerAnswer::Unparsable) => unparsable += 1,
                Some(ServerAnswer::Ok) | None => {
                    answering.insert(server.as_str());
                }
            }
        }
        let mut segments: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (segment, replicas) in &table.external {
            for (server, state) in replicas {
                if state == CONSUMING && answering.contains(server.as_str()) {
                    let consumer = self.consumer(&name, segment, server, wall_ms);
                    segments.entry(segment).or_default().push(consumer);
                }
            }
        }
        for (segment, replicas) in &table.ideal {
            if replicas.values().any(|state| state == CONSUMING) {
                segments.entry(segment).or_default();
            }
        }
        Ok(json!({
            "_segmentToConsumingInfoMap": segments,
            "serversFailingToRespond": failing,
            "serversUnparsableRespond": unparsable,
        }))
    }

    /// One `ConsumingSegmentInfo`, as the server's TablesResource builds it.
    fn consumer(&self, table: &str, segment: &str, server: &str, wall_ms: u64) -> Value {
        let partition = llc_partition(segment).unwrap_or(0);
        let setting = self.partitions.get(&(table.to_string(), partition));
        let last_consumed = setting.and_then(|(_, at)| *at).unwrap_or(wall_ms);
        // A stalled consumer falls behind a stream that keeps receiving (100 rows a second here).
        let records_lag = setting
            .and_then(|(s, _)| s.records_lag)
            .unwrap_or((wall_ms - last_consumed.min(wall_ms)) / 10);
        let availability = setting.and_then(|(s, _)| s.availability_lag_ms).unwrap_or(0);
        let not_calculated = setting.is_some_and(|(s, _)| s.not_calculated);
        let state = setting
            .and_then(|(s, _)| s.consumer_state.clone())
            .unwrap_or_else(|| "CONSUMING".to_string());
        // Offsets grow with the rows consumed: one a millisecond since the epoch is good enough.
        let current = last_consumed;
        let key = partition.to_string();
        let lag_text = |n: u64| {
            if not_calculated {
                "NOT_CALCULATED".to_string()
            } else {
                n.to_string()
            }
        };
        json!({
            "serverName": server,
            "consumerState": state,
            "lastConsumedTimestamp": last_consumed,
            "partitionToOffsetMap": {&key: current.to_string()},
            "partitionOffsetInfo": {
                "currentOffsetsMap": {&key: current.to_string()},
                "latestUpstreamOffsetMap": {&key: (current + records_lag).to_string()},
                "recordsLagMap": {&key: lag_text(records_lag)},
                "availabilityLagMsMap": {&key: lag_text(availability)},
            },
        })
    }
}
