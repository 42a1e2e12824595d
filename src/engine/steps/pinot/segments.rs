//! Waiting for Pinot tables to serve every segment: `segmentsStatus` 100% GOOD. A table whose
//! GOOD/UPDATING/BAD counts stay the same for `pinot.stall_minutes` while not all GOOD is a stall:
//! the wait fails naming the table, its counts and what to do, instead of waiting out its limit.
use std::cell::RefCell;
use std::collections::BTreeMap;

use kfscale_pinot::{Pinot, PinotError, SegmentStatusCounts, TableType, raw_table_name};

use crate::engine::context::{StepContext, StepError};
use crate::engine::wait::stall::{StallWatch, shown};
use crate::verify::{all_good, shown_counts};

/// Waits until every segment of `tables` (names with type, `kf_metrics_REALTIME`) is GOOD; returns
/// each table's counts.
pub async fn wait_all_good(
    ctx: &StepContext<'_>,
    pinot: &Pinot,
    tables: &[String],
) -> Result<BTreeMap<String, SegmentStatusCounts>, StepError> {
    let typed: Vec<(&str, TableType)> = tables
        .iter()
        .map(|name| {
            TableType::of(name).map(|kind| (name.as_str(), kind)).ok_or_else(|| {
                StepError::failed(format!(
                    "Pinot table {name} has no type suffix (_REALTIME or _OFFLINE); fix: name tables with their type in profile.pinot.manual_rebalance_tables"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let watches: RefCell<BTreeMap<&str, StallWatch<SegmentStatusCounts>>> = RefCell::new(
        typed
            .iter()
            .map(|(name, _)| (*name, StallWatch::new(ctx.settings.pinot_stall)))
            .collect(),
    );
    let what = match tables {
        [one] => format!("every segment of {one} GOOD"),
        many => format!("every segment of {} Pinot tables GOOD", many.len()),
    };
    ctx.wait_for(&what, ctx.settings.pinot_timeout, || async {
        let mut counts = BTreeMap::new();
        let mut unreadable = None;
        for (name, kind) in &typed {
            match pinot.segments_status(name, *kind).await {
                Ok(found) => {
                    counts.insert(name.to_string(), found);
                }
                // A controller restarting or failing over: no progress seen, try again.
                Err(err) if err.is_retriable() => {
                    ctx.note_retry(&what, &err.to_string());
                    unreadable = Some(err);
                }
                Err(err) => return Err(err.into()),
            }
        }
        let mut watches = watches.borrow_mut();
        for (name, watch) in watches.iter_mut() {
            let now = counts.get(*name).copied();
            if now.is_some_and(|c| all_good(&c)) {
                continue;
            }
            if let Some(flat) = watch.note(now) {
                return Err(StepError::failed(stall_message(name, now, flat, unreadable.as_ref())));
            }
        }
        if counts.len() == typed.len() && counts.values().all(all_good) {
            return Ok((Some(counts), String::new()));
        }
        let behind: Vec<String> = counts
            .iter()
            .filter(|(_, c)| !all_good(c))
            .map(|(name, c)| format!("{name} {}", shown_counts(c)))
            .collect();
        let progress = match &unreadable {
            Some(err) => format!("controller not answering: {err}"),
            None => behind.join(", "),
        };
        Ok((None, progress))
    })
    .await
}

fn stall_message(
    table: &str,
    counts: Option<SegmentStatusCounts>,
    flat: std::time::Duration,
    unreadable: Option<&PinotError>,
) -> String {
    let raw = raw_table_name(table);
    let Some(counts) = counts else {
        let reason = unreadable.map_or_else(|| "no answer".to_string(), ToString::to_string);
        return format!(
            "Pinot table {table}: segment status unreadable for {} (pinot.stall_minutes): {reason}; fix: bring the Pinot controller back (pinot-controller pods, their logs), then re-run `kfscale apply` to resume",
            shown(flat)
        );
    };
    let fix = if counts.bad > 0 {
        format!(
            "{} segment(s) have a replica in ERROR: read the pinot-server logs for them (GET /tables/{raw}/externalview shows which server), fix the cause and reset them (POST /segments/{table}/reset)",
            counts.bad
        )
    } else {
        format!(
            "the servers are not loading the table's segments: check the pinot-server pods that should hold them (Ready, disk, memory, logs) and GET /tables/{raw}/externalview against /idealstate"
        )
    };
    format!(
        "Pinot table {table} stalled: {} unchanged for {} (pinot.stall_minutes); fix: {fix}; then re-run `kfscale apply` to resume (if the servers are only slow, raise pinot.stall_minutes in kfscale.yaml)",
        shown_counts(&counts),
        shown(flat)
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_stall_names_the_table_counts_and_fix() {
        let counts = SegmentStatusCounts {
            good: 18,
            bad: 0,
            updating: 6,
            other: 0,
        };
        let message = stall_message("kf_metrics_REALTIME", Some(counts), Duration::from_secs(1800), None);
        assert!(
            message.starts_with(
                "Pinot table kf_metrics_REALTIME stalled: 18/24 GOOD, 6 UPDATING, 0 BAD unchanged for 30.0 min"
            ),
            "{message}"
        );
        assert!(message.contains("GET /tables/kf_metrics/externalview"), "{message}");
        let bad = SegmentStatusCounts { bad: 1, ..counts };
        assert!(stall_message("t_OFFLINE", Some(bad), Duration::ZERO, None).contains("reset them"));
        assert!(!all_good(&bad) && all_good(&SegmentStatusCounts::default()));
    }
}
