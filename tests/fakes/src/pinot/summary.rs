//! `rebalanceSummaryResult` of a RebalanceResult: `TableRebalancer.calculateRebalanceSummary`, ported
//! (field names from RebalanceSummaryResult.java). Sizes come from the seed's segment size, as the
//! controller's TableSizeReader would report them.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::cluster::{Assignment, CONSUMING, Cluster, ONLINE, Table};
use super::names::TableType;

pub fn summary(cluster: &Cluster, table: &Table, current: &Assignment, target: &Assignment) -> Value {
    let offline = table.table_type == TableType::Offline;
    let holdings = |assignment: &Assignment| {
        let mut servers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut consuming: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut replication = 0;
        for (segment, replicas) in assignment {
            replication = replicas.len();
            let is_consuming =
                !offline && replicas.values().all(|s| s != ONLINE) && replicas.values().any(|s| s == CONSUMING);
            for instance in replicas.keys() {
                servers.entry(instance.clone()).or_default().insert(segment.clone());
                if is_consuming {
                    consuming.entry(instance.clone()).or_default().insert(segment.clone());
                }
            }
        }
        (servers, consuming, replication)
    };
    let (before, consuming_before, replication_before) = holdings(current);
    let (after, consuming_after, replication_after) = holdings(target);
    let tag = table.server_tag();

    let mut servers_added = BTreeSet::new();
    let mut servers_removed = BTreeSet::new();
    let mut servers_unchanged = BTreeSet::new();
    let mut servers_getting_new = BTreeSet::new();
    let mut change_info = serde_json::Map::new();
    let (mut not_moved, mut to_delete, mut max_added) = (0usize, 0usize, 0usize);
    let mut tag_info: BTreeMap<String, (usize, usize, usize)> = BTreeMap::from([(tag.clone(), (0, 0, 0))]);
    for (server, segments) in &after {
        let existing = before.get(server);
        let unchanged = existing.map(|e| e.intersection(segments).count()).unwrap_or(0);
        let added = segments.len() - unchanged;
        let deleted = existing.map(|e| e.len()).unwrap_or(0) - unchanged;
        let status = if existing.is_some() {
            servers_unchanged.insert(server.clone());
            "UNCHANGED"
        } else {
            servers_added.insert(server.clone());
            "ADDED"
        };
        not_moved += unchanged;
        to_delete += deleted;
        max_added = max_added.max(added);
        if added > 0 {
            servers_getting_new.insert(server.clone());
        }
        let tags = cluster.instances.get(server).map(|i| i.tags.clone());
        change_info.insert(
            server.clone(),
            change(
                status,
                segments.len(),
                existing.map(|e| e.len()).unwrap_or(0),
                added,
                deleted,
                unchanged,
                &tags,
            ),
        );
        let relevant = tags.as_ref().is_some_and(|t| t.contains(&tag));
        let key = if relevant {
            tag.clone()
        } else {
            "OUTDATED_SERVERS".to_string()
        };
        let entry = tag_info.entry(key).or_default();
        entry.0 += added;
        entry.1 += unchanged;
        entry.2 += 1;
    }
    for (server, segments) in &before {
        if !after.contains_key(server) {
            servers_removed.insert(server.clone());
            let tags = cluster.instances.get(server).map(|i| i.tags.clone());
            change_info.insert(
                server.clone(),
                change("REMOVED", 0, segments.len(), 0, segments.len(), 0, &tags),
            );
            to_delete += segments.len();
        }
    }
    let total_after = replication_after * target.len();
    let to_move = total_after - not_moved;
    let average = table.segment_size_bytes as i64;
    let consuming_summary = if offline {
        Value::Null
    } else {
        consuming_moves(&consuming_before, &consuming_after)
    };
    let mut segment_info = json!({
        "totalSegmentsToBeMoved": to_move,
        "totalSegmentsToBeDeleted": to_delete,
        "maxSegmentsAddedToASingleServer": max_added,
        "estimatedAverageSegmentSizeInBytes": average,
        "totalEstimatedDataToBeMovedInBytes": average * to_move as i64,
        "replicationFactor": change_of(replication_before, replication_after),
        "numSegmentsInSingleReplica": change_of(current.len(), target.len()),
        "numSegmentsAcrossAllReplicas": change_of(replication_before * current.len(), total_after),
    });
    if !consuming_summary.is_null() {
        segment_info["consumingSegmentToBeMovedSummary"] = consuming_summary;
    }
    json!({
        "serverInfo": {
            "numServersGettingNewSegments": servers_getting_new.len(),
            "numServers": change_of(before.len(), after.len()),
            "serversAdded": servers_added,
            "serversRemoved": servers_removed,
            "serversUnchanged": servers_unchanged,
            "serversGettingNewSegments": servers_getting_new,
            "serverSegmentChangeInfo": change_info,
        },
        "segmentInfo": segment_info,
        "tagsInfo": tag_info.into_iter().map(|(name, (download, unchanged, servers))| json!({
            "tagName": name,
            "numSegmentsToDownload": download,
            "numSegmentsUnchanged": unchanged,
            "numServerParticipants": servers,
        })).collect::<Vec<_>>(),
    })
}

fn change(
    status: &str,
    after: usize,
    before: usize,
    added: usize,
    deleted: usize,
    unchanged: usize,
    tags: &Option<Vec<String>>,
) -> Value {
    let mut value = json!({
        "serverStatus": status,
        "totalSegmentsAfterRebalance": after,
        "totalSegmentsBeforeRebalance": before,
        "segmentsAdded": added,
        "segmentsDeleted": deleted,
        "segmentsUnchanged": unchanged,
    });
    if let Some(tags) = tags {
        value["tagList"] = json!(tags);
    }
    value
}

fn change_of(before: usize, after: usize) -> Value {
    json!({"valueBeforeRebalance": before, "expectedValueAfterRebalance": after})
}

/// The consuming segments that move, with the catch-up they need on their new server. The fake's
/// streams have no offsets, so every moved consuming segment is reported with a nominal 0 offsets and
/// age 0 minutes (Pinot reports the maps it could compute; see README).
fn consuming_moves(before: &BTreeMap<String, BTreeSet<String>>, after: &BTreeMap<String, BTreeSet<String>>) -> Value {
    let mut per_server = serde_json::Map::new();
    let mut unique = BTreeSet::new();
    let mut moved = 0;
    for (server, segments) in after {
        let added: Vec<&String> = segments
            .iter()
            .filter(|s| !before.get(server).is_some_and(|b| b.contains(*s)))
            .collect();
        if added.is_empty() {
            continue;
        }
        moved += added.len();
        unique.extend(added.iter().map(|s| s.to_string()));
        per_server.insert(
            server.clone(),
            json!({"numConsumingSegmentsToBeAdded": added.len(), "totalOffsetsToCatchUpAcrossAllConsumingSegments": 0}),
        );
    }
    let top: BTreeMap<String, i64> = unique.iter().take(10).map(|s| (s.clone(), 0)).collect();
    json!({
        "numConsumingSegmentsToBeMoved": moved,
        "numServersGettingConsumingSegmentsAdded": per_server.len(),
        "consumingSegmentsToBeMovedWithMostOffsetsToCatchUp": top,
        "consumingSegmentsToBeMovedWithOldestAgeInMinutes": top,
        "serverConsumingSegmentSummary": per_server,
    })
}
