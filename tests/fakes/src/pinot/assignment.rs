//! The target assignment of a rebalance, for tables without instance-assignment or replica-group
//! configs (the Kloudfuse tables):
//! - instance partitions: every server carrying the table's tag, sorted, rotated by the table name's
//!   hash (`InstancePartitionsUtils.computeDefaultInstancePartitionsForTag`);
//! - REALTIME: each segment goes where its stream partition's consuming segment goes,
//!   `instances[(partition * replication + replica) % n]` (`RealtimeSegmentAssignment.assignConsumingSegment`,
//!   also used for COMPLETED segments when there are no COMPLETED instance partitions);
//! - OFFLINE: Pinot uses Helix's AutoRebalanceStrategy; the fake approximates it with a balanced,
//!   minimum-movement assignment (keep replicas while their server is under its fair share, place the
//!   rest on the least loaded servers in rotated order).
use std::collections::BTreeMap;

use super::cluster::{Assignment, CONSUMING, Cluster, OFFLINE, ONLINE, Table};
use super::names::{TableType, llc_partition, raw_name, rotate_for_table};
use super::params::RebalanceConfig;

pub struct Target {
    pub assignment: Assignment,
    /// The instance partitions the target was computed with (replica group 0, partition 0).
    pub instances: Vec<String>,
    pub instances_unchanged: bool,
}

impl Target {
    /// `instanceAssignment` of a `RebalanceResult`: `{CONSUMING|OFFLINE: InstancePartitions}`.
    pub fn instance_assignment(&self, table: &Table) -> serde_json::Value {
        let kind = partitions_type(table.table_type);
        serde_json::json!({
            kind: {
                "instancePartitionsName": format!("{}_{kind}", raw_name(&table.name)),
                "partitionToInstancesMap": {"0_0": self.instances},
            }
        })
    }
}

pub fn partitions_type(table_type: TableType) -> &'static str {
    match table_type {
        TableType::Realtime => "CONSUMING",
        TableType::Offline => "OFFLINE",
    }
}

/// The default instance partitions of a table from the servers' tags now.
pub fn default_instances(cluster: &Cluster, table: &Table) -> Result<Vec<String>, String> {
    let tag = table.server_tag();
    let mut servers = cluster.servers_with_tag(&tag);
    if servers.is_empty() {
        return Err(format!("No instance found with tag: {tag} for table: {}", table.name));
    }
    if (servers.len() as u32) < table.replication {
        return Err(format!(
            "Number of instances: {} with tag: {tag} < table replication: {} for table: {}",
            servers.len(),
            table.replication,
            table.name
        ));
    }
    servers.sort();
    Ok(rotate_for_table(&servers, &table.name))
}

/// The target assignment; `Err` carries the Java exception text the controller would report.
pub fn target(cluster: &Cluster, table: &Table, config: &RebalanceConfig) -> Result<Target, String> {
    let fresh = if config.reassign_instances || table.instance_partitions.is_empty() {
        default_instances(cluster, table).map_err(|e| format!("java.lang.IllegalStateException: {e}"))?
    } else {
        table.instance_partitions.clone()
    };
    let instances_unchanged = fresh == table.instance_partitions;
    let assignment = match table.table_type {
        TableType::Realtime => realtime(&table.ideal, &fresh, table.replication, config.include_consuming),
        TableType::Offline => offline(&table.ideal, &fresh, table.replication, config.bootstrap),
    };
    Ok(Target {
        assignment,
        instances: fresh,
        instances_unchanged,
    })
}

/// Where a stream partition's segments live: `replication` consecutive slots of the instance list.
fn partition_instances(instances: &[String], partition: u32, replication: u32) -> Vec<String> {
    let n = instances.len();
    (0..replication as usize)
        .map(|replica| instances[(partition as usize * replication as usize + replica) % n].clone())
        .collect()
}

pub fn realtime(current: &Assignment, instances: &[String], replication: u32, include_consuming: bool) -> Assignment {
    let mut target = Assignment::new();
    for (segment, replicas) in current {
        let consuming = replicas.values().all(|s| s != ONLINE) && replicas.values().any(|s| s == CONSUMING);
        let offline = replicas.values().all(|s| s == OFFLINE);
        if offline || (consuming && !include_consuming) {
            target.insert(segment.clone(), replicas.clone());
            continue;
        }
        let state = if consuming { CONSUMING } else { ONLINE };
        let partition = llc_partition(segment).unwrap_or(0);
        let placed = partition_instances(instances, partition, replication);
        target.insert(
            segment.clone(),
            placed.into_iter().map(|i| (i, state.to_string())).collect(),
        );
    }
    target
}

pub fn offline(current: &Assignment, instances: &[String], replication: u32, bootstrap: bool) -> Assignment {
    let total = current.len() * replication as usize;
    let n = instances.len().max(1);
    let cap = total.div_ceil(n);
    let mut load: BTreeMap<&str, usize> = instances.iter().map(|i| (i.as_str(), 0)).collect();
    let mut target = Assignment::new();
    // Keep what may stay (never in bootstrap mode, which reassigns as if the table were empty).
    for (segment, replicas) in current {
        let mut kept = BTreeMap::new();
        if !bootstrap {
            for instance in replicas.keys() {
                if let Some(count) = load.get_mut(instance.as_str())
                    && *count < cap
                    && kept.len() < replication as usize
                {
                    *count += 1;
                    kept.insert(instance.clone(), ONLINE.to_string());
                }
            }
        }
        target.insert(segment.clone(), kept);
    }
    for replicas in target.values_mut() {
        while replicas.len() < replication as usize {
            let Some(least) = instances
                .iter()
                .filter(|i| !replicas.contains_key(*i))
                .min_by_key(|i| load[i.as_str()])
                .cloned()
            else {
                break;
            };
            *load.get_mut(least.as_str()).expect("instances are load keys") += 1;
            replicas.insert(least, ONLINE.to_string());
        }
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn realtime_sprays_partitions_and_replicas_over_the_instances() {
        let mut current = Assignment::new();
        for p in 0..3 {
            current.insert(
                format!("t__{p}__0__20250101T0000Z"),
                [("a".to_string(), ONLINE.to_string())].into(),
            );
            current.insert(
                format!("t__{p}__1__20250101T0100Z"),
                [("a".to_string(), CONSUMING.to_string())].into(),
            );
        }
        let instances = names(&["i0", "i1", "i2", "i3"]);
        let target = realtime(&current, &instances, 2, true);
        assert_eq!(
            target["t__0__0__20250101T0000Z"].keys().collect::<Vec<_>>(),
            ["i0", "i1"]
        );
        assert_eq!(
            target["t__1__1__20250101T0100Z"].keys().collect::<Vec<_>>(),
            ["i2", "i3"]
        );
        assert_eq!(target["t__2__1__20250101T0100Z"]["i0"], CONSUMING);
        let kept = realtime(&current, &instances, 2, false);
        assert_eq!(
            kept["t__2__1__20250101T0100Z"], current["t__2__1__20250101T0100Z"],
            "consuming stays"
        );
    }

    #[test]
    fn offline_balances_and_keeps_what_it_can() {
        let mut current = Assignment::new();
        for s in 0..6 {
            current.insert(format!("seg{s}"), [("a".to_string(), ONLINE.to_string())].into());
        }
        let target = offline(&current, &names(&["a", "b", "c"]), 1, false);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for replicas in target.values() {
            for i in replicas.keys() {
                *counts.entry(i.clone()).or_default() += 1;
            }
        }
        assert_eq!(counts.values().copied().collect::<Vec<_>>(), vec![2, 2, 2]);
        assert_eq!(
            target.values().filter(|r| r.contains_key("a")).count(),
            2,
            "a keeps its fair share"
        );
    }
}
