//! `pinot-segments`: `segmentsStatus` 100% GOOD for every table of the controller. BAD (a replica in
//! ERROR) is RED and names the segment and server from the external view; UPDATING only (segments
//! still loading or converging) is YELLOW. The apply's Pinot waits use the same counts.
use kfscale_pinot::{Pinot, PinotError, SegmentStatusCounts, TableType};

use super::check::{Check, capped};

pub fn all_good(counts: &SegmentStatusCounts) -> bool {
    counts.bad == 0 && counts.updating == 0 && counts.other == 0
}

/// `18/24 GOOD, 6 UPDATING, 0 BAD`.
pub fn shown_counts(counts: &SegmentStatusCounts) -> String {
    let total = counts.good + counts.bad + counts.updating + counts.other;
    let mut text = format!(
        "{}/{total} GOOD, {} UPDATING, {} BAD",
        counts.good, counts.updating, counts.bad
    );
    if counts.other > 0 {
        text.push_str(&format!(", {} in a status kfscale does not know", counts.other));
    }
    text
}

/// Every table of the controller with its type (`kf_logs_REALTIME`), in name order.
pub async fn typed_tables(pinot: &Pinot) -> Result<Vec<(String, TableType)>, PinotError> {
    let mut names = Vec::new();
    for raw in pinot.tables().await? {
        names.extend(
            pinot
                .table_configs(&raw)
                .await?
                .into_iter()
                .map(|config| (config.name, config.table_type)),
        );
    }
    names.sort();
    Ok(names)
}

pub async fn check(pinot: &Pinot, tables: &[(String, TableType)]) -> Result<Check, PinotError> {
    let (mut bad, mut updating, mut segments) = (Vec::new(), Vec::new(), 0);
    for (name, kind) in tables {
        let counts = pinot.segments_status(name, *kind).await?;
        segments += counts.good + counts.bad + counts.updating + counts.other;
        if counts.bad > 0 {
            bad.push(format!("{name}: {}", shown_counts(&counts)));
            bad.extend(in_error(pinot, name, *kind).await?);
        } else if !all_good(&counts) {
            updating.push(format!("{name}: {}", shown_counts(&counts)));
        }
    }
    if !bad.is_empty() {
        return Ok(Check::red("pinot-segments", "segments in ERROR (BAD)")
            .evidence(capped(bad.into_iter().chain(updating).collect()))
            .fix("read the pinot-server logs of the servers named, fix the cause, then reset the segments (POST /segments/<table>/reset)"));
    }
    if !updating.is_empty() {
        return Ok(Check::yellow(
            "pinot-segments",
            format!("{} table(s) still loading or converging (UPDATING)", updating.len()),
        )
        .evidence(capped(updating))
        .fix("run `kfscale verify` again in a few minutes; if the counts stay the same, check the pinot-server pods (Ready, disk, logs)"));
    }
    if tables.is_empty() {
        return Ok(Check::yellow("pinot-segments", "the controller has no tables")
            .fix("check pinot.url in kfscale.yaml: it must be this cluster's controller"));
    }
    Ok(Check::green(
        "pinot-segments",
        format!("all {segments} segments of {} tables GOOD", tables.len()),
    ))
}

/// `segment S on server I is ERROR` for each replica the external view shows in ERROR.
async fn in_error(pinot: &Pinot, table: &str, kind: TableType) -> Result<Vec<String>, PinotError> {
    let view = pinot.external_view(table).await?;
    Ok(view
        .of_type(kind)
        .into_iter()
        .flatten()
        .flat_map(|(segment, replicas)| {
            replicas
                .iter()
                .filter(|(_, state)| state.as_str() == "ERROR")
                .map(move |(server, _)| format!("  segment {segment} on {server} is ERROR"))
        })
        .collect())
}
