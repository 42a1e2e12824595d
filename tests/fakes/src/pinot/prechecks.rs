//! `preChecksResult` of a dry run with `preChecks=true`: DefaultRebalancePreChecker's four checks, with
//! its names and messages, for tables without instance-assignment, replica-group, tier or peer-download
//! configs (the Kloudfuse tables).
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::cluster::{Assignment, Cluster, Table};
use super::names::TableType;
use super::params::RebalanceConfig;

/// controller.rebalance.disk.utilization.threshold default.
const DEFAULT_DISK_THRESHOLD: f64 = 0.9;
const SEGMENT_ADD_THRESHOLD: usize = 200;
const RECOMMENDED_BATCH_SIZE: i32 = 200;

pub fn pre_checks(
    cluster: &Cluster,
    table: &Table,
    config: &RebalanceConfig,
    current: &Assignment,
    target: &Assignment,
    max_segments_added: Option<usize>,
) -> Value {
    json!({
        "isMinimizeDataMovement": pass("Instance assignment not allowed, no need for minimizeDataMovement"),
        "diskUtilization": disk(cluster, table, config, current, target),
        "rebalanceConfigOptions": options(table, config, current, target, max_segments_added),
        "replicaGroupsInfo": pass(&replica_groups(table)),
    })
}

fn pass(message: &str) -> Value {
    json!({"preCheckStatus": "PASS", "message": message})
}

fn warn(message: &str) -> Value {
    json!({"preCheckStatus": "WARN", "message": message})
}

fn error(message: &str) -> Value {
    json!({"preCheckStatus": "ERROR", "message": message})
}

fn disk(
    cluster: &Cluster,
    table: &Table,
    config: &RebalanceConfig,
    current: &Assignment,
    target: &Assignment,
) -> Value {
    let threshold = if config.disk_utilization_threshold >= 0.0 {
        config.disk_utilization_threshold.min(1.0)
    } else {
        DEFAULT_DISK_THRESHOLD
    };
    let held = |assignment: &Assignment| {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (segment, replicas) in assignment {
            for instance in replicas.keys() {
                map.entry(instance.clone()).or_default().insert(segment.clone());
            }
        }
        map
    };
    let (before, after) = (held(current), held(target));
    let size = table.segment_size_bytes;
    let (mut during_unsafe, mut after_unsafe) = (Vec::new(), Vec::new());
    for (server, segments) in &after {
        let Some(instance) = cluster.instances.get(server) else {
            continue;
        };
        let existing = before.get(server).cloned().unwrap_or_default();
        let gain = segments.difference(&existing).count() as u64 * size;
        let loss = existing.difference(segments).count() as u64 * size;
        let total = instance.disk_total_bytes.max(1) as f64;
        let flag = |list: &mut Vec<String>, ratio: f64| {
            if ratio >= threshold {
                list.push(format!("{server} ({}%)", (ratio * 100.0) as i16));
            }
        };
        if gain > 0 {
            flag(&mut during_unsafe, (instance.disk_used_bytes + gain) as f64 / total);
        }
        flag(
            &mut after_unsafe,
            (instance.disk_used_bytes + gain).saturating_sub(loss) as f64 / total,
        );
    }
    let percent = (threshold * 100.0) as i16;
    let unsafe_message = |when: &str, servers: &[String]| {
        format!(
            "UNSAFE. Servers with unsafe disk utilization {when} (>={percent}%): {}",
            servers.join(", ")
        )
    };
    if !after_unsafe.is_empty() {
        return error(&unsafe_message("AFTER rebalance", &after_unsafe));
    }
    let within = format!("Within threshold (<{percent}%)");
    if during_unsafe.is_empty() {
        return pass(&within);
    }
    if config.downtime || !config.low_disk_mode {
        let hint = if config.downtime {
            ". lowDiskMode, which would delete segments before adding the new ones, has no effect while downtime is enabled"
        } else {
            ". Enable lowDiskMode to delete segments before adding the new ones"
        };
        return error(&(unsafe_message("DURING rebalance", &during_unsafe) + hint));
    }
    pass(&format!(
        "{within} AFTER rebalance. Servers that would go over it DURING the rebalance: {}. lowDiskMode avoids that \
         transient disk usage by deleting segments before adding the new ones",
        during_unsafe.join(", ")
    ))
}

fn options(
    table: &Table,
    config: &RebalanceConfig,
    current: &Assignment,
    target: &Assignment,
    max_segments_added: Option<usize>,
) -> Value {
    let mut warnings: Vec<String> = Vec::new();
    if config.best_efforts {
        warnings.push("bestEfforts is enabled, only enable it if you know what you are doing".into());
    }
    let moving: Vec<&String> = current.keys().filter(|s| current.get(*s) != target.get(*s)).collect();
    if config.downtime {
        let replicas = moving
            .iter()
            .filter_map(|s| target.get(*s))
            .map(|m| m.len())
            .min()
            .unwrap_or(usize::MAX);
        if !moving.is_empty() && replicas > 1 {
            warnings.push(format!(
                "Number of replicas ({replicas}) is greater than 1, downtime is not recommended."
            ));
        }
        if config.low_disk_mode {
            warnings.push(
                "lowDiskMode has no effect when downtime is enabled, disable downtime for segments to be deleted before \
                 the new ones are added."
                    .into(),
            );
        }
    }
    if !config.include_consuming && table.table_type == TableType::Realtime {
        warnings.push("includeConsuming is disabled for a realtime table.".into());
    }
    if config.bootstrap {
        warnings.push(
            "bootstrap is enabled which can cause a large amount of data movement, double check if this is intended"
                .into(),
        );
    }
    match max_segments_added {
        Some(max) if max > SEGMENT_ADD_THRESHOLD => {
            if config.batch_size_per_server == -1 || config.batch_size_per_server > RECOMMENDED_BATCH_SIZE {
                warnings.push(format!(
                    "Number of segments to add to a single server ({max}) is high (>{SEGMENT_ADD_THRESHOLD}). It is \
                     recommended to set batchSizePerServer to {RECOMMENDED_BATCH_SIZE} or lower to avoid excessive load \
                     on servers."
                ));
            }
        }
        Some(_) => {}
        None => warnings.push(
            "Could not assess batchSizePerServer recommendation as rebalance summary could not be calculated".into(),
        ),
    }
    if warnings.is_empty() {
        pass("All rebalance parameters look good")
    } else {
        warn(&warnings.join("\n"))
    }
}

fn replica_groups(table: &Table) -> String {
    let info = format!("Replica Groups are not enabled, replication: {}", table.replication);
    match table.table_type {
        TableType::Offline => format!("OFFLINE segments - {info}"),
        TableType::Realtime => format!("COMPLETED segments - {info}\nCONSUMING segments - {info}"),
    }
}
