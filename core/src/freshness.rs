//! Ingestion freshness of a Pinot REALTIME table ("recent data visible", runbook validation item
//! 8): how long a row takes from the stream to a query, per stream partition, from what each
//! server's consumer reports in the controller's `GET /tables/{t}/consumingSegmentsInfo`.
//!
//! One consumer (a server's replica of a CONSUMING segment) is `max(availability, stall)`:
//! - availability: `availabilityLagMsMap`, the server's wall clock when it indexed its last row minus
//!   that row's ingestion time in the stream (KafkaStreamMetadataProvider.getCurrentPartitionLagState).
//!   It is frozen at the last row, so a stalled consumer keeps a small one; hence:
//! - stall: `now - lastConsumedTimestamp` while the consumer is behind (`recordsLagMap` > 0): rows
//!   wait in the stream and none was indexed since then. Caught up (`recordsLag` 0): nothing waits, 0.
//!
//! Sources (apache/pinot 210c2951e720): `lastConsumedTimestamp` is RealtimeSegmentDataManager's
//! `_lastConsumedTimestampMs`, the server's `System.currentTimeMillis()` at each indexed batch, -1
//! before the first; `NOT_CONSUMING` is its `getConsumerState()` while the manager is in ERROR;
//! `availabilityLagMs` is `NOT_CALCULATED` unless both times are positive.
//!
//! What a server does not say is unknown, never fresh: `NOT_CALCULATED` lags (a stream plugin that
//! cannot tell), a controller before Pinot 0.12 (no `partitionOffsetInfo`), a consumer behind that
//! has not indexed a row yet (`lastConsumedTimestamp` -1). A known part still counts: it is a floor.
//! A consumer in `NOT_CONSUMING` (its segment in ERROR) makes no row visible at all.
//!
//! A partition is as stale as its worst replica: the broker may route a query to any of them (Pinot's
//! RealtimeConsumerMonitor also takes the max over replicas for its lag gauges).
use std::collections::BTreeMap;

/// What one server's consumer reports for one stream partition (None: not said, or NOT_CALCULATED).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerReading {
    pub server: String,
    /// `consumerState` is not `NOT_CONSUMING`.
    pub consuming: bool,
    /// Epoch ms of the server's last indexed row; None before the first (-1).
    pub last_consumed_ms: Option<u64>,
    pub records_lag: Option<u64>,
    pub availability_lag_ms: Option<u64>,
}

/// How far behind one consumer is, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaLag {
    /// Both parts known.
    Known(u64),
    /// At least this much; a part of it is unknown (see the module comment).
    AtLeast(u64),
    /// `NOT_CONSUMING`: the consumer stopped (its segment is in ERROR).
    NotConsuming,
}

impl ReplicaLag {
    /// Ordering for "worst": not consuming, then the larger floor; at the same floor an unknown
    /// part is worse than none.
    fn severity(self) -> (u8, u64, u8) {
        match self {
            ReplicaLag::NotConsuming => (1, 0, 0),
            ReplicaLag::AtLeast(ms) => (0, ms, 1),
            ReplicaLag::Known(ms) => (0, ms, 0),
        }
    }

    /// `12.5 s`, `at least 12.5 s (not all reported)`, `NOT_CONSUMING`.
    pub fn shown(self) -> String {
        match self {
            ReplicaLag::Known(ms) => seconds(ms),
            ReplicaLag::AtLeast(ms) => format!("at least {} (not all reported)", seconds(ms)),
            ReplicaLag::NotConsuming => "NOT_CONSUMING".into(),
        }
    }
}

/// Milliseconds as `12.5 s`.
pub fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// One consumer's lag at `now_ms` (the caller's wall clock; a server clock ahead of it counts 0).
pub fn replica_lag(reading: &ConsumerReading, now_ms: u64) -> ReplicaLag {
    if !reading.consuming {
        return ReplicaLag::NotConsuming;
    }
    let stall = match reading.records_lag {
        Some(0) => Some(0),
        Some(_) => reading.last_consumed_ms.map(|at| now_ms.saturating_sub(at)),
        None => None,
    };
    match (reading.availability_lag_ms, stall) {
        (Some(availability), Some(stall)) => ReplicaLag::Known(availability.max(stall)),
        (availability, stall) => ReplicaLag::AtLeast(availability.unwrap_or(0).max(stall.unwrap_or(0))),
    }
}

/// One stream partition of a table: its consuming segment and each replica's lag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub partition: String,
    pub segment: String,
    /// Server -> lag; empty: no server that answered reports a consumer for the segment.
    pub replicas: BTreeMap<String, ReplicaLag>,
}

/// Where a partition stands against the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Freshness {
    Fresh,
    /// Under the limit as far as reported, but a part is unknown (or nobody reports the partition).
    Unknown,
    /// Over the limit, or not consuming.
    Stale,
}

impl PartitionLag {
    /// The worst replica; None when no replica reports.
    pub fn worst(&self) -> Option<ReplicaLag> {
        self.replicas.values().copied().max_by_key(|lag| lag.severity())
    }

    pub fn freshness(&self, limit_ms: u64) -> Freshness {
        match self.worst() {
            None => Freshness::Unknown,
            Some(ReplicaLag::NotConsuming) => Freshness::Stale,
            Some(ReplicaLag::Known(ms) | ReplicaLag::AtLeast(ms)) if ms > limit_ms => Freshness::Stale,
            Some(ReplicaLag::AtLeast(_)) => Freshness::Unknown,
            Some(ReplicaLag::Known(_)) => Freshness::Fresh,
        }
    }

    /// `partition 3 (segment S): Server_a 900.0 s, Server_b NOT_CONSUMING`.
    pub fn shown(&self) -> String {
        let replicas = if self.replicas.is_empty() {
            "no server reports a consumer".to_string()
        } else {
            self.replicas
                .iter()
                .map(|(server, lag)| format!("{server} {}", lag.shown()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("partition {} (segment {}): {replicas}", self.partition, self.segment)
    }
}

/// One CONSUMING segment and what its consumers report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentConsumers {
    pub segment: String,
    /// One per consumer and stream partition: the partition it names (None: it names none) and its
    /// reading. Empty: no server that answered reports a consumer for the segment.
    pub readings: Vec<(Option<String>, ConsumerReading)>,
}

/// The partitions of a table's consuming segments; a reading that names no partition is keyed by
/// the LLC segment name's `__P__`, else by the segment name. Sorted by partition number.
pub fn partitions(segments: &[SegmentConsumers], now_ms: u64) -> Vec<PartitionLag> {
    let mut out: BTreeMap<(u64, String), PartitionLag> = BTreeMap::new();
    for SegmentConsumers { segment, readings } in segments {
        let fallback = llc_partition(segment).unwrap_or_else(|| segment.clone());
        if readings.is_empty() {
            slot(&mut out, &fallback, segment);
        }
        for (partition, reading) in readings {
            let replicas = slot(&mut out, partition.as_deref().unwrap_or(&fallback), segment);
            let lag = replica_lag(reading, now_ms);
            // Two segments of one partition both consuming on a server (a commit in progress):
            // the worse one counts.
            let worse = match replicas.get(&reading.server) {
                Some(seen) if seen.severity() >= lag.severity() => *seen,
                _ => lag,
            };
            replicas.insert(reading.server.clone(), worse);
        }
    }
    out.into_values().collect()
}

/// The replicas of `partition`, made on first sight (with the segment that named it first).
fn slot<'a>(
    out: &'a mut BTreeMap<(u64, String), PartitionLag>,
    partition: &str,
    segment: &str,
) -> &'a mut BTreeMap<String, ReplicaLag> {
    let key = (partition.parse::<u64>().unwrap_or(u64::MAX), partition.to_string());
    &mut out
        .entry(key)
        .or_insert_with(|| PartitionLag {
            partition: partition.to_string(),
            segment: segment.to_string(),
            replicas: BTreeMap::new(),
        })
        .replicas
}

/// The partition of an LLC segment name `table__P__seq__time`.
fn llc_partition(segment: &str) -> Option<String> {
    let parts: Vec<&str> = segment.split("__").collect();
    (parts.len() == 4 && parts[1].parse::<u64>().is_ok()).then(|| parts[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    fn reading(last_ago_ms: Option<u64>, records: Option<u64>, availability: Option<u64>) -> ConsumerReading {
        ConsumerReading {
            server: "Server_a_8098".into(),
            consuming: true,
            last_consumed_ms: last_ago_ms.map(|ago| NOW - ago),
            records_lag: records,
            availability_lag_ms: availability,
        }
    }

    #[test]
    fn a_consumer_is_as_late_as_its_availability_lag_or_its_stall_while_behind() {
        // Caught up: the last row's age does not matter (an idle stream), availability counts.
        assert_eq!(
            replica_lag(&reading(Some(600_000), Some(0), Some(800)), NOW),
            ReplicaLag::Known(800)
        );
        // Behind: no row for 10 minutes while rows wait -> 600 s, above a small availability lag.
        assert_eq!(
            replica_lag(&reading(Some(600_000), Some(42), Some(800)), NOW),
            ReplicaLag::Known(600_000)
        );
        // Behind but consuming now: the availability lag (old rows being indexed) is the lag.
        assert_eq!(
            replica_lag(&reading(Some(50), Some(90_000), Some(120_000)), NOW),
            ReplicaLag::Known(120_000)
        );
        // A server clock ahead of ours: no negative lag.
        let mut ahead = reading(None, Some(5), Some(0));
        ahead.last_consumed_ms = Some(NOW + 3_000);
        assert_eq!(replica_lag(&ahead, NOW), ReplicaLag::Known(0));
    }

    #[test]
    fn what_a_server_does_not_report_is_unknown_never_fresh() {
        // NOT_CALCULATED availability (or a controller before 0.12): only a floor.
        assert_eq!(
            replica_lag(&reading(Some(1_000), Some(0), None), NOW),
            ReplicaLag::AtLeast(0)
        );
        // Records lag unknown: the stall cannot be told from an idle stream.
        assert_eq!(
            replica_lag(&reading(Some(900_000), None, Some(2_000)), NOW),
            ReplicaLag::AtLeast(2_000)
        );
        // Behind, and no row indexed yet (-1): how long it waits is unknown.
        assert_eq!(
            replica_lag(&reading(None, Some(10), Some(5)), NOW),
            ReplicaLag::AtLeast(5)
        );
        let mut stopped = reading(Some(0), Some(0), Some(0));
        stopped.consuming = false;
        assert_eq!(replica_lag(&stopped, NOW), ReplicaLag::NotConsuming);
    }

    fn partition(replicas: &[(&str, ReplicaLag)]) -> PartitionLag {
        PartitionLag {
            partition: "3".into(),
            segment: "t__3__7__x".into(),
            replicas: replicas.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        }
    }

    #[test]
    fn a_partition_is_as_stale_as_its_worst_replica() {
        let limit = 300_000;
        let fresh = partition(&[("a", ReplicaLag::Known(1_000)), ("b", ReplicaLag::Known(2_000))]);
        assert_eq!(fresh.freshness(limit), Freshness::Fresh);
        assert_eq!(fresh.worst(), Some(ReplicaLag::Known(2_000)));
        let one_late = partition(&[("a", ReplicaLag::Known(1_000)), ("b", ReplicaLag::Known(300_001))]);
        assert_eq!(one_late.freshness(limit), Freshness::Stale);
        assert_eq!(
            partition(&[("a", ReplicaLag::Known(300_000))]).freshness(limit),
            Freshness::Fresh,
            "the limit itself is allowed"
        );
        let floor_over = partition(&[("a", ReplicaLag::AtLeast(400_000))]);
        assert_eq!(
            floor_over.freshness(limit),
            Freshness::Stale,
            "a floor over the limit is enough"
        );
        let unknown = partition(&[("a", ReplicaLag::Known(1_000)), ("b", ReplicaLag::AtLeast(1_000))]);
        assert_eq!(unknown.freshness(limit), Freshness::Unknown);
        assert_eq!(unknown.worst(), Some(ReplicaLag::AtLeast(1_000)));
        let stopped = partition(&[("a", ReplicaLag::Known(0)), ("b", ReplicaLag::NotConsuming)]);
        assert_eq!(stopped.freshness(limit), Freshness::Stale);
        assert_eq!(partition(&[]).freshness(limit), Freshness::Unknown, "nobody reports it");
        assert_eq!(
            stopped.shown(),
            "partition 3 (segment t__3__7__x): a 0.0 s, b NOT_CONSUMING"
        );
    }

    fn segment(name: &str, readings: Vec<(Option<String>, ConsumerReading)>) -> SegmentConsumers {
        SegmentConsumers {
            segment: name.into(),
            readings,
        }
    }

    #[test]
    fn partitions_are_grouped_from_segments_and_sorted_by_number() {
        let with = |partition: Option<&str>, server: &str, ago: u64| {
            let mut r = reading(Some(ago), Some(if ago > 1_000 { 9 } else { 0 }), Some(0));
            r.server = server.into();
            (partition.map(str::to_string), r)
        };
        let segments = vec![
            segment("t__10__1__x", vec![with(Some("10"), "a", 0), with(Some("10"), "b", 0)]),
            segment("t__2__4__x", vec![with(Some("2"), "a", 700_000)]),
            // Before 0.12 without partitionToOffsetMap: the LLC name gives the partition.
            segment("t__2__5__x", vec![with(None, "b", 0)]),
            segment("t__7__1__x", vec![]),
        ];
        let parts = partitions(&segments, NOW);
        assert_eq!(
            parts.iter().map(|p| p.partition.as_str()).collect::<Vec<_>>(),
            ["2", "7", "10"]
        );
        assert_eq!(parts[0].replicas["a"], ReplicaLag::Known(700_000));
        assert_eq!(parts[0].replicas["b"], ReplicaLag::Known(0));
        assert!(parts[1].replicas.is_empty(), "a segment nobody reports");
        assert_eq!(parts[1].freshness(1), Freshness::Unknown);
        assert_eq!(parts[2].replicas.len(), 2);
    }
}
