//! One step of a no-downtime rebalance: `TableRebalancer.getNextNonStrictReplicaGroupAssignment` and
//! `getNextSingleSegmentAssignment`, ported. Each segment keeps its common instances plus enough current
//! ones to hold `minAvailableReplicas`, gains target instances (after the drops in low-disk mode), and
//! no server gains more than `batchSizePerServer` segments per step.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::cluster::Assignment;

pub fn next_assignment(
    current: &Assignment,
    target: &Assignment,
    min_available_replicas: i32,
    low_disk_mode: bool,
    batch_size_per_server: i32,
) -> Assignment {
    let mut added_so_far: HashMap<String, i32> = HashMap::new();
    let mut next = Assignment::new();
    let mut to_offload = segments_to_offload(current, target);
    let mut assignment_map: HashMap<(BTreeSet<String>, BTreeSet<String>), BTreeSet<String>> = HashMap::new();
    for (segment, current_map) in current {
        let empty = BTreeMap::new();
        let target_map = target.get(segment).unwrap_or(&empty);
        let next_map = next_single(
            current_map,
            target_map,
            min_available_replicas,
            low_disk_mode,
            &to_offload,
            &mut assignment_map,
        );
        let added: Vec<String> = next_map
            .keys()
            .filter(|i| !current_map.contains_key(*i))
            .cloned()
            .collect();
        let exhausted = batch_size_per_server != -1
            && added
                .iter()
                .any(|server| added_so_far.get(server).copied().unwrap_or(0) >= batch_size_per_server);
        if exhausted {
            next.insert(segment.clone(), current_map.clone());
        } else {
            for server in &added {
                *added_so_far.entry(server.clone()).or_default() += 1;
            }
            for instance in current_map.keys() {
                *to_offload.entry(instance.clone()).or_default() -= 1;
            }
            for instance in next_map.keys() {
                *to_offload.entry(instance.clone()).or_default() += 1;
            }
            next.insert(segment.clone(), next_map);
        }
    }
    next
}

/// Per instance: segments it holds now minus segments it holds in the target.
fn segments_to_offload(current: &Assignment, target: &Assignment) -> HashMap<String, i32> {
    let mut map = HashMap::new();
    for instance in current.values().flat_map(|m| m.keys()) {
        *map.entry(instance.clone()).or_default() += 1;
    }
    for instance in target.values().flat_map(|m| m.keys()) {
        *map.entry(instance.clone()).or_default() -= 1;
    }
    map
}

fn next_single(
    current: &BTreeMap<String, String>,
    target: &BTreeMap<String, String>,
    min_available_replicas: i32,
    low_disk_mode: bool,
    to_offload: &HashMap<String, i32>,
    assignment_map: &mut HashMap<(BTreeSet<String>, BTreeSet<String>), BTreeSet<String>>,
) -> BTreeMap<String, String> {
    let key = (
        current.keys().cloned().collect::<BTreeSet<_>>(),
        target.keys().cloned().collect::<BTreeSet<_>>(),
    );
    let mut next = BTreeMap::new();
    // Segments with the same current and target instances move the same way (mirror servers).
    if let Some(instances) = assignment_map.get(&key) {
        for instance in instances {
            let state = target
                .get(instance)
                .or_else(|| current.get(instance))
                .cloned()
                .unwrap_or_default();
            next.insert(instance.clone(), state);
        }
        return next;
    }
    for (instance, state) in target {
        if current.contains_key(instance) {
            next.insert(instance.clone(), state.clone());
        }
    }
    let keep = min_available_replicas - next.len() as i32;
    if keep > 0 {
        let candidates = sorted_by_offload(current, &next, to_offload);
        for (instance, state) in candidates.into_iter().take(keep as usize) {
            next.insert(instance, state);
        }
    }
    if !low_disk_mode || current.len() == next.len() {
        let add = target.len() as i32 - next.len() as i32;
        if add > 0 {
            let candidates = sorted_by_offload(target, &next, to_offload);
            for (instance, state) in candidates.into_iter().take(add as usize) {
                next.insert(instance, state);
            }
        }
    }
    assignment_map.insert(key, next.keys().cloned().collect());
    next
}

/// Instances of `map` not in `next`, fewest segments to offload first, then by name.
fn sorted_by_offload(
    map: &BTreeMap<String, String>,
    next: &BTreeMap<String, String>,
    to_offload: &HashMap<String, i32>,
) -> Vec<(String, String)> {
    let mut candidates: Vec<(String, String, i32)> = map
        .iter()
        .filter(|(instance, _)| !next.contains_key(*instance))
        .map(|(instance, state)| {
            (
                instance.clone(),
                state.clone(),
                to_offload.get(instance).copied().unwrap_or(0),
            )
        })
        .collect();
    candidates.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
    candidates
        .into_iter()
        .map(|(instance, state, _)| (instance, state))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(list: &[&str]) -> BTreeMap<String, String> {
        list.iter().map(|i| (i.to_string(), "ONLINE".to_string())).collect()
    }

    #[test]
    fn min_available_replicas_keeps_current_replicas_until_the_new_ones_load() {
        let current: Assignment = [("s".to_string(), replicas(&["a", "b"]))].into();
        let target: Assignment = [("s".to_string(), replicas(&["c", "d"]))].into();
        // minAvailableReplicas 1: keep one of a/b and add one of c/d (never more replicas than the target has).
        let step = next_assignment(&current, &target, 1, false, -1);
        assert_eq!(step["s"].keys().collect::<Vec<_>>(), ["a", "c"]);
        // The next step from there reaches the target.
        assert_eq!(next_assignment(&step, &target, 1, false, -1), target);
        // minAvailableReplicas 0: straight to the target.
        assert_eq!(next_assignment(&current, &target, 0, false, -1), target);
        // Low-disk mode: first drop down to the minimum, add afterwards.
        let step = next_assignment(&current, &target, 1, true, -1);
        assert_eq!(step["s"].len(), 1);
    }

    #[test]
    fn batch_size_limits_the_segments_a_server_gains_per_step() {
        let current: Assignment = (0..4).map(|i| (format!("s{i}"), replicas(&["a"]))).collect();
        let target: Assignment = (0..4).map(|i| (format!("s{i}"), replicas(&["b"]))).collect();
        let step = next_assignment(&current, &target, 0, false, 2);
        assert_eq!(step.values().filter(|m| m.contains_key("b")).count(), 2);
    }
}
