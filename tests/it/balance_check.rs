//! An independent checker of balancer results, shared by the balance_* tests. It re-derives
//! everything from the request and the result's changes with deliberately plain code, sharing
//! nothing with the balancer's internals.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use kfscale::balance::{BalanceRequest, BalanceResult};

pub type Key = (String, i32);

/// The assignment after applying `result.changes` to the request.
pub fn final_assignment(request: &BalanceRequest, result: &BalanceResult) -> BTreeMap<Key, Vec<i32>> {
    let mut assignment: BTreeMap<Key, Vec<i32>> = request
        .partitions
        .iter()
        .map(|p| ((p.topic.clone(), p.partition), p.replicas.clone()))
        .collect();
    for change in &result.changes {
        let key = (change.topic.clone(), change.partition);
        let slot = assignment.get_mut(&key).expect("change for an unknown partition");
        assert_eq!(*slot, change.old_replicas, "old_replicas of {key:?}");
        *slot = change.new_replicas.clone();
    }
    assignment
}

fn rack_map(request: &BalanceRequest) -> BTreeMap<i32, String> {
    request
        .brokers
        .iter()
        .filter_map(|b| b.rack.clone().map(|r| (b.id, r)))
        .collect()
}

fn rack_count(request: &BalanceRequest) -> usize {
    rack_map(request).values().collect::<BTreeSet<_>>().len()
}

/// The rack rule: with K >= 2 racks, at most ceil(RF/K) replicas of a partition per rack.
pub fn rack_valid(request: &BalanceRequest, replicas: &[i32]) -> bool {
    let racks = rack_map(request);
    let k = rack_count(request);
    if k < 2 {
        return true;
    }
    let cap = replicas.len().div_ceil(k);
    let mut per_rack: BTreeMap<&String, usize> = BTreeMap::new();
    for b in replicas {
        *per_rack.entry(&racks[b]).or_default() += 1;
    }
    per_rack.values().all(|&n| n <= cap)
}

/// Whether some rack-valid placement of RF replicas exists at all.
pub fn racks_allow(request: &BalanceRequest, rf: usize) -> bool {
    let k = rack_count(request);
    if k < 2 {
        return true;
    }
    let cap = rf.div_ceil(k);
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for r in rack_map(request).into_values() {
        *sizes.entry(r).or_default() += 1;
    }
    sizes.values().map(|&n| n.min(cap)).sum::<usize>() >= rf
}

/// Structural checks that must hold for every result; returns the problems found.
pub fn structural_problems(request: &BalanceRequest, result: &BalanceResult) -> Vec<String> {
    let mut problems = Vec::new();
    let brokers: BTreeSet<i32> = request.brokers.iter().map(|b| b.id).collect();
    let original: BTreeMap<Key, &kfscale::balance::Partition> = request
        .partitions
        .iter()
        .map(|p| ((p.topic.clone(), p.partition), p))
        .collect();
    let keys: Vec<Key> = result.changes.iter().map(|c| (c.topic.clone(), c.partition)).collect();
    if keys.windows(2).any(|w| w[0] >= w[1]) {
        problems.push("changes not strictly sorted by (topic, partition)".into());
    }
    let assignment = final_assignment(request, result);
    let (mut moved_total, mut bytes_total) = (0usize, 0u64);
    let mut sizes_known = true;
    for change in &result.changes {
        let p = original[&(change.topic.clone(), change.partition)];
        if change.old_replicas == change.new_replicas {
            problems.push(format!("{}-{} listed without a change", change.topic, change.partition));
        }
        let moved = if p.replicas.is_empty() {
            0
        } else {
            change.new_replicas.iter().filter(|b| !p.replicas.contains(b)).count()
        };
        if moved != change.replicas_moved {
            problems.push(format!("{}-{} replicas_moved wrong", change.topic, change.partition));
        }
        moved_total += moved;
        let bytes = p.size_bytes.map(|s| s * moved as u64);
        if bytes != change.bytes_moved {
            problems.push(format!("{}-{} bytes_moved wrong", change.topic, change.partition));
        }
        bytes_total += bytes.unwrap_or(0);
    }
    for p in &request.partitions {
        if !p.replicas.is_empty() && p.size_bytes.is_none() {
            sizes_known = false;
        }
    }
    if moved_total != result.replicas_moved {
        problems.push(format!("replicas_moved {} != sum {moved_total}", result.replicas_moved));
    }
    if bytes_total != result.bytes_moved {
        problems.push("bytes_moved != sum of changes".into());
    }
    if sizes_known != result.sizes_known {
        problems.push("sizes_known wrong".into());
    }
    for ((topic, partition), replicas) in &assignment {
        let p = original[&(topic.clone(), *partition)];
        if replicas.len() != p.replication_factor {
            problems.push(format!("{topic}-{partition}: replication factor changed"));
        }
        if replicas.iter().collect::<BTreeSet<_>>().len() != replicas.len() {
            problems.push(format!("{topic}-{partition}: duplicate broker {replicas:?}"));
        }
        if let Some(b) = replicas.iter().find(|b| !brokers.contains(b)) {
            problems.push(format!("{topic}-{partition}: unknown broker {b}"));
        }
        // Where the racks allow a valid placement, every partition ends valid (invalid ones
        // are fixed).
        if racks_allow(request, p.replication_factor) && !rack_valid(request, replicas) {
            problems.push(format!("{topic}-{partition}: not rack-valid {replicas:?}"));
        }
    }
    // Per-broker loads before and after.
    let load = |get: &dyn Fn(&Key) -> Vec<i32>| {
        let mut loads: BTreeMap<i32, (usize, usize, u64)> = brokers.iter().map(|&b| (b, (0, 0, 0))).collect();
        for p in &request.partitions {
            let replicas = get(&(p.topic.clone(), p.partition));
            for (i, b) in replicas.iter().enumerate() {
                let entry = loads.get_mut(b).expect("known broker");
                entry.0 += 1;
                entry.1 += usize::from(i == 0);
                entry.2 += p.size_bytes.unwrap_or(0);
            }
        }
        loads
    };
    let before = load(&|k: &Key| original[k].replicas.clone());
    let after = load(&|k: &Key| assignment[k].clone());
    for (b, l) in &result.before {
        if before.get(b) != Some(&(l.replicas, l.leaders, l.bytes)) {
            problems.push(format!("before load of broker {b} wrong"));
        }
    }
    for (b, l) in &result.after {
        if after.get(b) != Some(&(l.replicas, l.leaders, l.bytes)) {
            problems.push(format!("after load of broker {b} wrong"));
        }
    }
    if result.before.len() != brokers.len() || result.after.len() != brokers.len() {
        problems.push("loads do not list every broker".into());
    }
    problems
}

fn spread_ok(counts: &BTreeMap<i32, usize>) -> bool {
    let min = counts.values().min().copied().unwrap_or(0);
    let max = counts.values().max().copied().unwrap_or(0);
    max - min <= 1
}

fn zeroed(request: &BalanceRequest) -> BTreeMap<i32, usize> {
    request.brokers.iter().map(|b| (b.id, 0)).collect()
}

/// Replicas per broker within one of each other, per topic and over all topics.
pub fn replicas_balanced(request: &BalanceRequest, assignment: &BTreeMap<Key, Vec<i32>>) -> bool {
    let mut per_topic: BTreeMap<&str, BTreeMap<i32, usize>> = BTreeMap::new();
    let mut total = zeroed(request);
    for ((topic, _), replicas) in assignment {
        let counts = per_topic.entry(topic).or_insert_with(|| zeroed(request));
        for b in replicas {
            *counts.get_mut(b).expect("known") += 1;
            *total.get_mut(b).expect("known") += 1;
        }
    }
    per_topic.values().all(spread_ok) && spread_ok(&total)
}

/// Preferred leaders per broker within one of each other, per topic.
pub fn leaders_balanced(request: &BalanceRequest, assignment: &BTreeMap<Key, Vec<i32>>) -> bool {
    let mut per_topic: BTreeMap<&str, BTreeMap<i32, usize>> = BTreeMap::new();
    for ((topic, _), replicas) in assignment {
        let counts = per_topic.entry(topic).or_insert_with(|| zeroed(request));
        *counts.get_mut(&replicas[0]).expect("known") += 1;
    }
    per_topic.values().all(spread_ok)
}

/// Preferred leaders per broker over all topics within one of each other: what the preferred
/// leader election after the moves turns into each broker's produce load.
pub fn leader_totals_balanced(request: &BalanceRequest, assignment: &BTreeMap<Key, Vec<i32>>) -> bool {
    let mut total = zeroed(request);
    for replicas in assignment.values() {
        *total.get_mut(&replicas[0]).expect("known") += 1;
    }
    spread_ok(&total)
}

/// The count-level optimum by exhaustive search over which brokers get each topic's extras,
/// minimizing (rack-limit violations are excluded, then global imbalance, then moves: replicas
/// above target plus new replicas that find no room). `None` when the search space exceeds
/// `limit`.
pub fn brute_force_count_optimum(request: &BalanceRequest, limit: u64) -> Option<BruteForce> {
    let brokers: Vec<i32> = request
        .brokers
        .iter()
        .map(|b| b.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = brokers.len();
    let index: BTreeMap<i32, usize> = brokers.iter().enumerate().map(|(i, &b)| (b, i)).collect();
    let racks = rack_map(request);
    let k = rack_count(request);
    let rack_names: Vec<String> = racks.values().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let rack_of: Vec<usize> = brokers
        .iter()
        .map(|b| {
            racks
                .get(b)
                .map_or(0, |r| rack_names.iter().position(|x| x == r).unwrap_or(0))
        })
        .collect();
    let groups = k.max(1);
    let group_size: Vec<usize> = (0..groups)
        .map(|g| rack_of.iter().filter(|&&r| r == g).count())
        .collect();

    struct TopicData {
        counts: Vec<usize>,
        floor: usize,
        extras: usize,
        new_partitions: usize,
        new_replicas: usize,
        /// Allowed rack totals per group, or None when unconstrained.
        rack_range: Option<Vec<(usize, usize)>>,
    }
    type Gathered = (Vec<usize>, usize, Vec<usize>, usize, usize);
    let mut topics: BTreeMap<&str, Gathered> = BTreeMap::new();
    for p in &request.partitions {
        let entry = topics
            .entry(&p.topic)
            .or_insert_with(|| (vec![0; n], 0, Vec::new(), 0, 0));
        for b in &p.replicas {
            entry.0[index[b]] += 1;
        }
        entry.1 += p.replication_factor;
        entry.2.push(p.replication_factor);
        if p.replicas.is_empty() {
            entry.3 += 1;
            entry.4 += p.replication_factor;
        }
    }
    let mut data = Vec::new();
    for (counts, total, rfs, new_partitions, new_replicas) in topics.into_values() {
        let floor = total / n;
        let extras = total % n;
        let rack_range = (k >= 2).then(|| {
            // Per partition: at most min(cap, rack size) on a rack, and at least what the other
            // racks cannot hold.
            (0..groups)
                .map(|g| {
                    let mut range = (0, 0);
                    for &rf in &rfs {
                        let most = |h: usize| rf.div_ceil(k).min(group_size[h]);
                        let others: usize = (0..groups).filter(|&h| h != g).map(most).sum();
                        range.0 += rf.saturating_sub(others);
                        range.1 += most(g);
                    }
                    range
                })
                .collect::<Vec<_>>()
        });
        data.push(TopicData {
            counts,
            floor,
            extras,
            new_partitions,
            new_replicas,
            rack_range,
        });
    }
    // Topics whose rack ranges admit no balanced choice are unconstrained.
    let feasible = |t: &TopicData, chosen: &[usize]| -> bool {
        let Some(ranges) = &t.rack_range else {
            return true;
        };
        (0..groups).all(|g| {
            let extra = chosen.iter().filter(|&&b| rack_of[b] == g).count();
            let total = group_size[g] * t.floor + extra;
            ranges[g].0 <= total && total <= ranges[g].1
        })
    };
    let subsets = |size: usize| -> Vec<Vec<usize>> {
        let mut all = Vec::new();
        for mask in 0u64..(1u64 << n) {
            if mask.count_ones() as usize == size {
                all.push((0..n).filter(|&i| mask & (1 << i) != 0).collect());
            }
        }
        all
    };
    if n > 16 {
        return None;
    }
    let mut options: Vec<Vec<Vec<usize>>> = Vec::new();
    let mut space = 1u64;
    let mut model_exact = true;
    for t in &data {
        let all = subsets(t.extras);
        let valid: Vec<Vec<usize>> = all.iter().filter(|s| feasible(t, s)).cloned().collect();
        if t.rack_range.is_some() && !valid.is_empty() && t.new_replicas > 0 && t.extras > 0 {
            model_exact = false;
        }
        let chosen = if valid.is_empty() { all } else { valid };
        space = space.saturating_mul(chosen.len() as u64);
        options.push(chosen);
    }
    if space > limit {
        return None;
    }
    let extras_total: usize = data.iter().map(|t| t.extras).sum();
    let moves: Vec<Vec<usize>> = data
        .iter()
        .zip(&options)
        .map(|(topic, choices)| {
            choices
                .iter()
                .map(|choice| {
                    let target = |b: usize| topic.floor + usize::from(choice.contains(&b));
                    let above: usize = (0..n).map(|b| topic.counts[b].saturating_sub(target(b))).sum();
                    // A new partition brings at most one replica to a broker: new replicas
                    // beyond the room they can fill displace existing ones.
                    let absorbable: usize = (0..n)
                        .map(|b| target(b).saturating_sub(topic.counts[b]).min(topic.new_partitions))
                        .sum();
                    above + topic.new_replicas.saturating_sub(absorbable)
                })
                .collect()
        })
        .collect();
    let mut search = Search {
        options: &options,
        moves: &moves,
        q: extras_total / n,
        r: extras_total % n,
        x: vec![0; n],
        best: None,
    };
    search.run(0, 0);
    search.best.map(|(_, optimum)| BruteForce { optimum, model_exact })
}

pub struct BruteForce {
    pub optimum: usize,
    /// False when a rack-constrained topic also gets new partitions: the balancer's flow then
    /// leaves displacement out of its choice, so its plan may be above this optimum.
    pub model_exact: bool,
}

struct Search<'a> {
    options: &'a [Vec<Vec<usize>>],
    moves: &'a [Vec<usize>],
    q: usize,
    r: usize,
    /// Extras per broker so far.
    x: Vec<usize>,
    /// Best (global imbalance, moves).
    best: Option<(usize, usize)>,
}

impl Search<'_> {
    fn run(&mut self, topic: usize, moves: usize) {
        if topic == self.options.len() {
            let above: usize = self.x.iter().map(|&v| v.saturating_sub(self.q)).sum();
            let over = self.x.iter().filter(|&&v| v > self.q).count();
            let candidate = (above - over.min(self.r), moves);
            if self.best.is_none_or(|b| candidate < b) {
                self.best = Some(candidate);
            }
            return;
        }
        for (i, choice) in self.options[topic].iter().enumerate() {
            for &b in choice {
                self.x[b] += 1;
            }
            self.run(topic + 1, moves + self.moves[topic][i]);
            for &b in choice {
                self.x[b] -= 1;
            }
        }
    }
}

/// For a balanced result without racks: the count-level cost of its final counts (replicas above
/// target plus displaced new replicas) and whether any exchange of extras that keeps the balance
/// would lower it. Returns (cost, improving exchange found). An exact optimum has none; this
/// checks the flow on clusters too large for exhaustive search.
pub fn count_cost_and_local_improvement(
    request: &BalanceRequest,
    assignment: &BTreeMap<Key, Vec<i32>>,
) -> (usize, bool) {
    let brokers: Vec<i32> = request
        .brokers
        .iter()
        .map(|b| b.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = brokers.len();
    let index: BTreeMap<i32, usize> = brokers.iter().enumerate().map(|(i, &b)| (b, i)).collect();
    struct Topic {
        before: Vec<usize>,
        extra: Vec<bool>,
        floor: usize,
        new_partitions: usize,
        new_replicas: usize,
    }
    let mut topics: BTreeMap<&str, Topic> = BTreeMap::new();
    let mut after: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for p in &request.partitions {
        let topic = topics.entry(&p.topic).or_insert_with(|| Topic {
            before: vec![0; n],
            extra: vec![false; n],
            floor: 0,
            new_partitions: 0,
            new_replicas: 0,
        });
        for b in &p.replicas {
            topic.before[index[b]] += 1;
        }
        if p.replicas.is_empty() {
            topic.new_partitions += 1;
            topic.new_replicas += p.replication_factor;
        }
        let counts = after.entry(&p.topic).or_insert_with(|| vec![0; n]);
        for b in &assignment[&(p.topic.clone(), p.partition)] {
            counts[index[b]] += 1;
        }
    }
    for (name, topic) in topics.iter_mut() {
        let counts = &after[name];
        topic.floor = counts.iter().copied().min().unwrap_or(0);
        topic.extra = counts.iter().map(|&c| c > topic.floor).collect();
    }
    let cost = |t: &Topic, extra: &[bool]| -> usize {
        let target = |b: usize| t.floor + usize::from(extra[b]);
        let above: usize = (0..n).map(|b| t.before[b].saturating_sub(target(b))).sum();
        let absorbable: usize = (0..n)
            .map(|b| target(b).saturating_sub(t.before[b]).min(t.new_partitions))
            .sum();
        above + t.new_replicas.saturating_sub(absorbable)
    };
    let total: usize = topics.values().map(|t| cost(t, &t.extra)).sum();
    let extras_of = |b: usize| topics.values().filter(|t| t.extra[b]).count();
    let x: Vec<usize> = (0..n).map(extras_of).collect();
    let q = x.iter().copied().min().unwrap_or(0);
    // delta[t][a][b]: cost change of moving topic t's extra from a to b.
    let list: Vec<&Topic> = topics.values().collect();
    let mut delta = vec![vec![vec![0i64; n]; n]; list.len()];
    for (i, t) in list.iter().enumerate() {
        let base = cost(t, &t.extra) as i64;
        for a in (0..n).filter(|&a| t.extra[a]) {
            for b in (0..n).filter(|&b| !t.extra[b]) {
                let mut changed = t.extra.clone();
                changed[a] = false;
                changed[b] = true;
                delta[i][a][b] = cost(t, &changed) as i64 - base;
            }
        }
    }
    for (i, t) in list.iter().enumerate() {
        for a in (0..n).filter(|&a| t.extra[a]) {
            for b in (0..n).filter(|&b| !t.extra[b]) {
                // Alone: keeps the balance if a has one extra more than b.
                if x[a] > q && x[b] == q && delta[i][a][b] < 0 {
                    return (total, true);
                }
                // Paired with another topic moving an extra from b to a.
                for (j, u) in list.iter().enumerate() {
                    if j != i && u.extra[b] && !u.extra[a] && delta[i][a][b] + delta[j][b][a] < 0 {
                        return (total, true);
                    }
                }
            }
        }
    }
    (total, false)
}
