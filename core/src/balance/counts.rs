//! Target replica counts per (topic, broker): the count-level plan.
//!
//! Per topic `t` with `R_t` replicas on `B` brokers, balance gives every broker `f_t =
//! floor(R_t/B)` and `e_t = R_t mod B` distinct brokers one extra. Over all topics, broker `b`
//! holds `F + x_b` (`F = sum f_t`, `x_b` = extras it gets), so global balance means `x_b` is `q` or
//! `q + 1` where `sum e_t = qB + r`.
//!
//! Moves of a target `c'` from current counts `c`: the replicas above target must leave,
//! `sum_b max(0, c_tb - c'_tb)`, plus the new replicas that find no room: a new partition brings
//! at most one replica to a broker, so broker `b` absorbs at most `min(P_new, room_b)` of them and
//! each new replica beyond `sum_b min(P_new, room_b)` displaces an existing one (one move).
//! Giving topic `t`'s extra to a broker that already holds more than `f_t` of it ("preferred")
//! saves one move; giving it to a broker where it adds absorbable room saves one move while new
//! replicas would otherwise displace. Choosing the extras is a min-cost flow:
//!
//! ```text
//! source -e_t-> topic -> (topic, rack) -1-> broker -q-> sink
//!                 \-> absorb (cap: displaced) -/    broker -1-> overflow -r-> sink
//! ```
//!
//! With racks, the spread rule limits how many replicas of a topic a rack can hold (and so how
//! few, see [`super::rack_limits`]): those limits become capacities and rewarded minimums on the
//! `(topic, rack)` arcs. Cost tiers keep the priorities lexicographic: rack minimums first, then
//! global balance (a broker may take more than `q + 1` extras only at a large cost), then moves,
//! then, among equally cheap plans, choices the placement can realize without detours. The
//! absorb bonus bypasses the rack arcs, so it is only offered to topics that racks do not
//! constrain; elsewhere the flow's optimum leaves displacement out (the plan's figure includes it).
use super::cluster::{Cluster, UNPLACED};
use super::error::BalanceError;
use super::flow::{Cost, FlowBuilder};
use super::rack_limits::{RackRange, rack_ranges};
use super::racks::racks_constrain;

pub(crate) struct CountPlan {
    /// Per topic: the base count every broker gets.
    pub floor: Vec<u32>,
    /// Per topic: the brokers that get one more, ascending.
    pub extra: Vec<Vec<u32>>,
    /// Per topic: the moves this plan needs.
    pub topic_moves: Vec<u64>,
    /// Moves of this plan: the best balanced placement at count level (exact unless a
    /// rack-constrained topic also gets new partitions, see the module notes).
    pub optimum: usize,
    /// Topics whose rack limits cannot be met together with per-topic balance; their counts
    /// ignore racks (the realization then keeps racks valid at the cost of balance).
    pub rack_relaxed: Vec<usize>,
    /// Whether rack limits forced some broker above the global balance.
    pub global_excess: bool,
}

/// Replicas of one topic per broker (existing replicas only) and the topic's replica total.
pub(crate) struct TopicCounts {
    pub per_broker: Vec<u64>,
    pub total: u64,
    /// New replicas (of partitions to create).
    pub created: u64,
    pub created_partitions: u64,
}

impl TopicCounts {
    pub fn new(brokers: usize) -> Self {
        TopicCounts {
            per_broker: vec![0; brokers],
            total: 0,
            created: 0,
            created_partitions: 0,
        }
    }
}

pub(crate) fn topic_counts(cluster: &Cluster<'_>, assignment: &[u32], topic: usize, into: &mut TopicCounts) {
    into.per_broker.fill(0);
    into.total = 0;
    into.created = 0;
    into.created_partitions = 0;
    for p in cluster.topic_partitions(topic) {
        into.total += p.replication_factor as u64;
        if p.created {
            into.created += p.replication_factor as u64;
            into.created_partitions += 1;
            continue;
        }
        for &b in &assignment[p.slots()] {
            if b != UNPLACED {
                into.per_broker[b as usize] += 1;
            }
        }
    }
}

/// Moves of one topic for target counts `floor + extra`: replicas above target, plus new
/// replicas that find no room.
pub(crate) fn topic_moves(counts: &TopicCounts, floor: u64, extra: &[u32]) -> u64 {
    let mut above = 0;
    let mut absorbable = 0;
    for (b, &c) in counts.per_broker.iter().enumerate() {
        let target = floor + u64::from(extra.binary_search(&(b as u32)).is_ok());
        above += c.saturating_sub(target);
        absorbable += target.saturating_sub(c).min(counts.created_partitions);
    }
    above + counts.created.saturating_sub(absorbable)
}

/// One topic's row in the network.
struct TopicRow {
    topic: usize,
    extras: u32,
    /// Per rack group: the range of extras.
    rack_limits: Vec<RackRange>,
    /// Brokers holding more than the floor (an extra there saves a move), ascending.
    preferred: Vec<u32>,
    /// New replicas that would displace existing ones with no extras placed, if the absorb
    /// bonus applies to this topic (0 otherwise).
    displaced: u32,
    /// Brokers where an extra adds room the new partitions can fill, ascending.
    absorbing: Vec<u32>,
    /// Brokers where an extra would leave more room than the new partitions can fill, ascending.
    hard_to_fill: Vec<u32>,
    /// Rank of the topic's average partition size among the rows (0 = smallest or unknown): a
    /// move saved in a larger topic saves more bytes.
    size_rank: u32,
}

pub(crate) fn plan_counts(cluster: &Cluster<'_>, assignment: &[u32]) -> Result<CountPlan, BalanceError> {
    let brokers = cluster.broker_count();
    let groups = rack_groups(cluster);
    let mut counts = TopicCounts::new(brokers);
    let topics = cluster.topics.len();
    let mut plan = CountPlan {
        floor: Vec::with_capacity(topics),
        extra: vec![Vec::new(); topics],
        topic_moves: Vec::with_capacity(topics),
        optimum: 0,
        rack_relaxed: Vec::new(),
        global_excess: false,
    };
    let mut rows = Vec::new();
    for t in 0..topics {
        topic_counts(cluster, assignment, t, &mut counts);
        let floor = counts.total / brokers as u64;
        let extras = (counts.total % brokers as u64) as u32;
        plan.floor.push(floor as u32);
        if extras == 0 {
            continue;
        }
        let mut constrained = racks_constrain(cluster);
        let rack_limits = match rack_ranges(cluster, assignment, t, &groups, floor, extras) {
            Some(limits) => limits,
            None => {
                plan.rack_relaxed.push(t);
                constrained = false;
                let free = |size: usize| RackRange {
                    must: 0,
                    may: size as u32,
                    keep_low: 0,
                    keep_high: size as u32,
                };
                groups.iter().map(|g| free(g.len())).collect()
            }
        };
        let room = |b: u32| (floor + 1).saturating_sub(counts.per_broker[b as usize]);
        let new_partitions = counts.created_partitions;
        let preferred = (0..brokers as u32)
            .filter(|&b| counts.per_broker[b as usize] > floor)
            .collect();
        let absorbable: u64 = (0..brokers as u32)
            .map(|b| room(b).saturating_sub(1).min(new_partitions))
            .sum();
        let displaced = if constrained {
            0
        } else {
            counts.created.saturating_sub(absorbable) as u32
        };
        let absorbing = (0..brokers as u32)
            .filter(|&b| room(b) >= 1 && room(b) <= new_partitions)
            .collect();
        // Each new partition brings at most one replica to a broker; beyond that, room must be
        // filled by moves, which a cheap plan may not have.
        let hard_to_fill = (0..brokers as u32).filter(|&b| room(b) > new_partitions).collect();
        rows.push(TopicRow {
            topic: t,
            extras,
            rack_limits,
            preferred,
            displaced,
            absorbing,
            hard_to_fill,
            size_rank: 0,
        });
    }
    rank_by_size(cluster, &mut rows);
    assign_extras(cluster, &groups, &rows, &mut plan)?;
    for t in 0..topics {
        topic_counts(cluster, assignment, t, &mut counts);
        let moves = topic_moves(&counts, u64::from(plan.floor[t]), &plan.extra[t]);
        plan.topic_moves.push(moves);
    }
    plan.optimum = plan.topic_moves.iter().sum::<u64>() as usize;
    Ok(plan)
}

/// Ranks the rows by the average known size of their topic's existing partitions.
fn rank_by_size(cluster: &Cluster<'_>, rows: &mut [TopicRow]) {
    let averages: Vec<u64> = rows
        .iter()
        .map(|row| {
            let (sum, count) = cluster
                .topic_partitions(row.topic)
                .iter()
                .filter(|p| p.size_known && !p.created)
                .fold((0u128, 0u128), |(s, n), p| (s + u128::from(p.size), n + 1));
            sum.checked_div(count).map_or(0, |average| average as u64)
        })
        .collect();
    let mut distinct = averages.clone();
    distinct.sort_unstable();
    distinct.dedup();
    for (row, average) in rows.iter_mut().zip(averages) {
        row.size_rank = distinct.binary_search(&average).unwrap_or(0) as u32;
    }
}

/// Brokers of each rack group, ascending (one group of all brokers without racks).
fn rack_groups(cluster: &Cluster<'_>) -> Vec<Vec<u32>> {
    let mut groups = vec![Vec::new(); cluster.rack_groups()];
    for b in 0..cluster.broker_count() as u32 {
        groups[cluster.rack_of(b) as usize].push(b);
    }
    groups
}

/// Solves the extras network and fills `plan.extra`.
fn assign_extras(
    cluster: &Cluster<'_>,
    groups: &[Vec<u32>],
    rows: &[TopicRow],
    plan: &mut CountPlan,
) -> Result<(), BalanceError> {
    if rows.is_empty() {
        return Ok(());
    }
    let brokers = cluster.broker_count();
    let group_count = groups.len();
    let extras_total: u64 = rows.iter().map(|r| u64::from(r.extras)).sum();
    let per_broker = (extras_total / brokers as u64) as u32;
    let overflow = (extras_total % brokers as u64) as u32;
    // Cost tiers, each worth more than everything the tiers below can add up to (each tier
    // counts at most `extras_total` units, weighted): the size rank of a topic whose move is
    // not saved (bytes), realizability preferences (keeping replicas on their racks weighs more
    // than room the new partitions cannot fill; together at most five units per extra), a
    // move, a unit of global imbalance, a unit of an unmet rack minimum.
    let units = Cost::from(extras_total as u32) + 1;
    let realizability: Cost = units * rows.len() as Cost + 1;
    let rack_preference = 2 * realizability;
    let hard_to_fill_cost = realizability;
    let move_cost = 6 * units * realizability + 1;
    let imbalance_cost = units * move_cost + 1;
    let rack_reward = units * imbalance_cost + 1;

    // Nodes in topological order: source, topics, absorb pools, rows, absorbing cells,
    // brokers, overflow, sink.
    let source = 0;
    let topic_node = |i: usize| 1 + i;
    let pool_node = |i: usize| 1 + rows.len() + i;
    let row_base = 1 + 2 * rows.len();
    let row_node = |i: usize, k: usize| row_base + i * group_count + k;
    let cell_base = row_base + rows.len() * group_count;
    let mut cell_node = Vec::with_capacity(rows.len());
    let mut next_cell = cell_base;
    for row in rows {
        cell_node.push(next_cell);
        if row.displaced > 0 {
            next_cell += row.absorbing.len();
        }
    }
    let broker_base = next_cell;
    let overflow_node = broker_base + brokers;
    let sink = overflow_node + 1;
    let mut builder = FlowBuilder::new(sink + 1);
    // (row, broker, edge into the broker) of every cell.
    let mut cells = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        builder.add_edge(source, topic_node(i), row.extras, 0);
        let bonus = row.displaced > 0;
        if bonus {
            builder.add_edge(topic_node(i), pool_node(i), row.displaced, 0);
        }
        for (k, range) in row.rack_limits.iter().enumerate() {
            // Convex cost in the rack's extras: rewarded up to the minimum, preferred within the
            // "keep" range, allowed up to the maximum.
            let segments = [
                (range.must, -rack_reward - rack_preference),
                (range.keep_low - range.must, -rack_preference),
                (range.keep_high - range.keep_low, 0),
                (range.may - range.keep_high, rack_preference),
            ];
            for (capacity, cost) in segments {
                if capacity > 0 {
                    builder.add_edge(topic_node(i), row_node(i, k), capacity, cost);
                }
            }
            for &b in &groups[k] {
                let preferred = row.preferred.binary_search(&b).is_ok();
                let mut cost = if preferred {
                    0
                } else {
                    move_cost + Cost::from(row.size_rank)
                };
                if row.hard_to_fill.binary_search(&b).is_ok() {
                    cost += hard_to_fill_cost;
                }
                let broker = broker_base + b as usize;
                let absorbing = bonus.then(|| row.absorbing.binary_search(&b).ok()).flatten();
                let edge = match absorbing {
                    // The cell merges the regular route and the pool's (a move saved).
                    Some(position) => {
                        let cell = cell_node[i] + position;
                        builder.add_edge(row_node(i, k), cell, 1, cost);
                        let saving = move_cost + Cost::from(row.size_rank);
                        builder.add_edge(pool_node(i), cell, 1, cost - saving);
                        builder.add_edge(cell, broker, 1, 0)
                    }
                    None => builder.add_edge(row_node(i, k), broker, 1, cost),
                };
                cells.push((i, b, edge));
            }
        }
    }
    for b in 0..brokers {
        builder.add_edge(broker_base + b, sink, per_broker, 0);
        if overflow > 0 {
            builder.add_edge(broker_base + b, overflow_node, 1, 0);
        }
        builder.add_edge(
            broker_base + b,
            sink,
            extras_total.min(u64::from(u32::MAX)) as u32,
            imbalance_cost,
        );
    }
    if overflow > 0 {
        builder.add_edge(overflow_node, sink, overflow, 0);
    }
    let mut flow = builder.build();
    let outcome = flow.solve(source, sink);
    // Every topic's rack limits admit its extras and every broker can take any number (at a
    // penalty), so the whole demand is always routed.
    if outcome.flow != extras_total {
        return Err(BalanceError::Internal(format!(
            "extras network routed {} of {extras_total} extras",
            outcome.flow
        )));
    }

    let mut received = vec![0u32; brokers];
    for &(i, b, edge) in &cells {
        if flow.flow(edge) > 0 {
            plan.extra[rows[i].topic].push(b);
            received[b as usize] += 1;
        }
    }
    for list in &mut plan.extra {
        list.sort_unstable();
    }
    plan.global_excess = received.iter().any(|&x| x > per_broker + 1)
        || received.iter().filter(|&&x| x > per_broker).count() > overflow as usize;
    Ok(())
}
