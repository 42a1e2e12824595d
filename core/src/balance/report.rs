//! The human summary of a [`BalanceResult`]: what moves, against which bound, and the per-broker
//! load before and after.
use crate::values::quantity::human_bytes;
use std::fmt::Write;

use super::model::BalanceResult;

pub fn render_summary(result: &BalanceResult) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_summary(result, &mut out);
    out
}

fn write_summary(result: &BalanceResult, out: &mut String) -> std::fmt::Result {
    let brokers = result.after.len();
    let replicas: usize = result.after.values().map(|l| l.replicas).sum();
    let partitions: usize = result.after.values().map(|l| l.leaders).sum();
    writeln!(
        out,
        "kafka-balance: {partitions} partitions, {replicas} replicas on {brokers} brokers{}",
        if result.rack_aware { " (rack-aware)" } else { "" }
    )?;
    writeln!(
        out,
        "replicas moved:   {} (lower bound {}: per topic {}, over all topics {})",
        result.replicas_moved, result.lower_bound, result.per_topic_bound, result.global_bound
    )?;
    if result.count_optimum != result.lower_bound {
        writeln!(
            out,
            "count optimum:    {} (the fewest moves any balanced placement needs here)",
            result.count_optimum
        )?;
    }
    if result.sizes_known {
        writeln!(out, "bytes moved:      {}", human_bytes(result.bytes_moved))?;
    } else if result.bytes_moved > 0 {
        writeln!(
            out,
            "bytes moved:      at least {} (some partitions have no size_bytes)",
            human_bytes(result.bytes_moved)
        )?;
    }
    writeln!(
        out,
        "leaders changed:  {} partition(s); {} only reorder replicas (no data copied)",
        result.leaders_changed, result.reorder_only
    )?;
    if result.created > 0 {
        writeln!(out, "created:          {} new partition(s) placed", result.created)?;
    }
    if !result.replicas_balanced || !result.leaders_balanced {
        writeln!(
            out,
            "balanced:         replicas {}, leaders {} (see notes)",
            yes_no(result.replicas_balanced),
            yes_no(result.leaders_balanced)
        )?;
    }
    writeln!(out)?;
    let show_bytes = result.before.values().any(|l| l.bytes > 0);
    write!(out, "{:>8}  {:>18}  {:>16}", "broker", "replicas", "leaders")?;
    if show_bytes {
        write!(out, "  {:>22}", "size")?;
    }
    writeln!(out)?;
    for (id, after) in &result.after {
        let before = result.before.get(id).copied().unwrap_or_default();
        write!(
            out,
            "{id:>8}  {:>18}  {:>16}",
            format!("{} -> {}", before.replicas, after.replicas),
            format!("{} -> {}", before.leaders, after.leaders)
        )?;
        if show_bytes {
            write!(
                out,
                "  {:>22}",
                format!("{} -> {}", human_bytes(before.bytes), human_bytes(after.bytes))
            )?;
        }
        writeln!(out)?;
    }
    if !result.notes.is_empty() {
        writeln!(out, "\nnotes:")?;
        for note in &result.notes {
            writeln!(out, "  - {note}")?;
        }
    }
    Ok(())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "NO" }
}
