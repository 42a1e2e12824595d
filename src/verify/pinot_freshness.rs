//! `pinot-freshness`: recent data visible (runbook validation item 8). For every REALTIME table,
//! `GET /tables/{t}/consumingSegmentsInfo` gives each server's consumer of each CONSUMING segment;
//! `kfscale_core::freshness` turns them into a lag per stream partition (its worst replica).
//!
//! RED: a partition lags more than `validate.max_freshness_lag_seconds`, or a consumer is
//! NOT_CONSUMING, or a table has no CONSUMING segment at all (nothing ingests: paused, or every
//! partition stopped), or the controller cannot say. YELLOW: a partition's lag is not fully reported
//! (NOT_CALCULATED, a Pinot before 0.12, no server reports its segment) or servers did not answer
//! the controller; no REALTIME table. The evidence names each table, partition, segment and server
//! with its lag.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kfscale_core::freshness::{self, ConsumerReading, Freshness, PartitionLag, SegmentConsumers};
use kfscale_pinot::{ConsumingSegmentsInfo, Pinot, TableType};

use super::check::{Check, capped};

const NAME: &str = "pinot-freshness";

pub async fn check(pinot: &Pinot, tables: &[(String, TableType)], limit: Duration) -> Check {
    let limit_ms = limit.as_millis() as u64;
    let realtime: Vec<&str> = tables
        .iter()
        .filter(|(_, kind)| *kind == TableType::Realtime)
        .map(|(name, _)| name.as_str())
        .collect();
    if realtime.is_empty() {
        return Check::yellow(NAME, "the controller has no REALTIME table: nothing ingests")
            .fix("check pinot.url in kfscale.yaml: it must be this cluster's controller");
    }
    let (mut red, mut yellow) = (Vec::new(), Vec::new());
    let (mut partitions, mut late) = (0, 0);
    let mut worst: Option<(u64, String)> = None;
    for table in &realtime {
        let info = match pinot.consuming_segments_info(table).await {
            Ok(info) => info,
            Err(err) => {
                red.push(format!("{table}: cannot read consumingSegmentsInfo: {err}"));
                continue;
            }
        };
        let parts = freshness::partitions(&readings(&info), now_ms());
        if parts.is_empty() {
            red.push(format!(
                "{table}: no CONSUMING segment: the table ingests nothing (consumption paused, or stopped on every partition)"
            ));
        }
        partitions += parts.len();
        for part in &parts {
            match part.freshness(limit_ms) {
                Freshness::Stale => {
                    late += 1;
                    red.push(format!("{table} {}", part.shown()));
                }
                Freshness::Unknown => yellow.push(format!("{table} {} (lag not fully reported)", part.shown())),
                Freshness::Fresh => {}
            }
            if let Some(ms) = floor_ms(part)
                && worst.as_ref().is_none_or(|(seen, _)| ms > *seen)
            {
                worst = Some((ms, format!("{table} partition {}", part.partition)));
            }
        }
        let silent = info.servers_failing_to_respond.unwrap_or(0) + info.servers_unparsable.unwrap_or(0);
        if silent > 0 {
            yellow.push(format!(
                "{table}: {} server(s) did not answer the controller, {} answered unparsably: their consumers are not counted",
                info.servers_failing_to_respond.unwrap_or(0),
                info.servers_unparsable.unwrap_or(0)
            ));
        }
    }
    let limit_text = freshness::seconds(limit_ms);
    let worst_text = worst.map_or_else(String::new, |(ms, at)| {
        format!("; worst {at}: {}", freshness::seconds(ms))
    });
    let overview = format!(
        "{partitions} partitions of {} REALTIME tables, limit {limit_text} (validate.max_freshness_lag_seconds){worst_text}",
        realtime.len()
    );
    if !red.is_empty() {
        let summary = if late > 0 {
            format!("{late} partition(s) behind their stream: recent data not visible; {overview}")
        } else {
            format!("recent data not visible; {overview}")
        };
        return Check::red(NAME, summary)
            .evidence(capped(red.into_iter().chain(yellow).collect()))
            .fix("read the logs of the pinot-server pods named (consumer errors, memory, disk) and the Kafka consumer lag; a NOT_CONSUMING consumer: reset its segment (POST /segments/<table>/reset); a table with no CONSUMING segment: GET /tables/<table>/pauseStatus, and POST /tables/<table>/resumeConsumption if it was paused");
    }
    if !yellow.is_empty() {
        return Check::yellow(NAME, format!("freshness not fully known; {overview}"))
            .evidence(capped(yellow))
            .fix("run `kfscale verify` again; if the servers stay silent or the lags stay unreported (a Pinot before 0.12, a stream plugin without lags), check the tables' recent data in the Kloudfuse UI");
    }
    Check::green(NAME, format!("recent data visible: {overview}"))
}

/// The known part of a partition's worst lag (for the summary's "worst").
fn floor_ms(part: &PartitionLag) -> Option<u64> {
    match part.worst()? {
        freshness::ReplicaLag::Known(ms) | freshness::ReplicaLag::AtLeast(ms) => Some(ms),
        freshness::ReplicaLag::NotConsuming => None,
    }
}

/// The controller's answer as core readings: one per consumer and partition it names (a consumer
/// naming none: one reading with no partition, keyed by the segment's).
fn readings(info: &ConsumingSegmentsInfo) -> Vec<SegmentConsumers> {
    info.segments
        .iter()
        .map(|(segment, consumers)| {
            let readings = consumers
                .iter()
                .flat_map(|consumer| {
                    let reading = |offsets: Option<&kfscale_pinot::PartitionOffsets>| ConsumerReading {
                        server: consumer.server.clone(),
                        consuming: consumer.is_consuming(),
                        last_consumed_ms: consumer.last_consumed_ms,
                        records_lag: offsets.and_then(|o| o.records_lag),
                        availability_lag_ms: offsets.and_then(|o| o.availability_lag_ms),
                    };
                    if consumer.partitions.is_empty() {
                        vec![(None, reading(None))]
                    } else {
                        consumer
                            .partitions
                            .iter()
                            .map(|(partition, offsets)| (Some(partition.clone()), reading(Some(offsets))))
                            .collect()
                    }
                })
                .collect();
            SegmentConsumers {
                segment: segment.clone(),
                readings,
            }
        })
        .collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
