//! Target replica counts per (topic, broker): the count-level plan.
//!
//! Per topic `t` with `R_t` replicas on `B` brokers, balance gives every broker `f_t =
//! floor(R_t/B)` and `e_t = R_t mod B` distinct brokers one extra. Over all topics, broker `b`
//! holds `F + x_b` (`F = sum f_t`, `x_b` = extras it gets), so global balance means `x_b` is `q` or
//! `q + 1` where `sum e_t = qB + r`. A placement's moves are the replicas that must leave brokers
//! above target: `sum_b max(0, c_tb - target_tb)`. Giving topic `t`'s extra to a broker that
//! already holds more than `f_t` of it ("preferred") saves one move; anywhere else it saves
//! nothing. Choosing the extras is therefore a min-cost flow with 0/1 costs:
//!
//! ```text
//! source -e_t-> topic -> (topic, rack) -1-> broker -q-> sink
//!                                           broker -1-> overflow -r-> sink
//! ```
//!
//! With racks, Kafka's spread rule limits how many replicas of a topic a rack can hold (and so
//! how few): those limits become capacities (and rewarded lower bounds) on the `(topic, rack)`
//! arcs. Penalty tiers keep the priorities lexicographic: rack limits first, then global balance
//! (a broker may take more than `q + 1` extras only at a large cost), then moves.
use super::cluster::{Cluster, UNPLACED};
use super::error::BalanceError;
use super::flow::FlowBuilder;
use super::racks::{rack_cap, racks_constrain};

pub(crate) struct CountPlan {
    /// Per topic: the base count every broker gets.
    pub floor: Vec<u32>,
    /// Per topic: the brokers that get one more, ascending.
    pub extra: Vec<Vec<u32>>,
    /// Moves of the best balanced placement at count level.
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
    pub created: u64,
}

pub(crate) fn topic_counts(cluster: &Cluster<'_>, assignment: &[u32], topic: usize, into: &mut TopicCounts) {
    into.per_broker.fill(0);
    into.total = 0;
    into.created = 0;
    for p in cluster.topic_partitions(topic) {
        into.total += p.replication_factor as u64;
        if p.created {
            into.created += p.replication_factor as u64;
            continue;
        }
        for &b in &assignment[p.slots()] {
            if b != UNPLACED {
                into.per_broker[b as usize] += 1;
            }
        }
    }
}

impl TopicCounts {
    pub fn new(brokers: usize) -> Self {
        TopicCounts {
            per_broker: vec![0; brokers],
            total: 0,
            created: 0,
        }
    }
}

/// One topic's row in the network: its extras and which brokers would keep one for free.
struct TopicRow {
    topic: usize,
    extras: u32,
    /// Per rack group: (must, may) extras.
    rack_limits: Vec<(u32, u32)>,
    /// Brokers holding more than the floor (an extra there saves a move), ascending.
    preferred: Vec<u32>,
}

pub(crate) fn plan_counts(cluster: &Cluster<'_>, assignment: &[u32]) -> Result<CountPlan, BalanceError> {
    let brokers = cluster.broker_count();
    let groups = rack_groups(cluster);
    let mut counts = TopicCounts::new(brokers);
    let mut plan = CountPlan {
        floor: Vec::with_capacity(cluster.topics.len()),
        extra: vec![Vec::new(); cluster.topics.len()],
        optimum: 0,
        rack_relaxed: Vec::new(),
        global_excess: false,
    };
    let mut rows = Vec::new();
    let mut base_moves = 0u64;
    for t in 0..cluster.topics.len() {
        topic_counts(cluster, assignment, t, &mut counts);
        let floor = counts.total / brokers as u64;
        let extras = (counts.total % brokers as u64) as u32;
        plan.floor.push(floor as u32);
        base_moves += counts.per_broker.iter().map(|&c| c.saturating_sub(floor)).sum::<u64>();
        if extras == 0 {
            continue;
        }
        let rack_limits = match rack_limits(cluster, t, &groups, floor, extras) {
            Some(limits) => limits,
            None => {
                plan.rack_relaxed.push(t);
                groups.iter().map(|g| (0, g.len() as u32)).collect()
            }
        };
        let preferred = (0..brokers as u32)
            .filter(|&b| counts.per_broker[b as usize] > floor)
            .collect();
        rows.push(TopicRow {
            topic: t,
            extras,
            rack_limits,
            preferred,
        });
    }
    let saved = assign_extras(cluster, &groups, &rows, &mut plan)?;
    plan.optimum = (base_moves - saved) as usize;
    Ok(plan)
}

/// Brokers of each rack group, ascending (one group of all brokers without racks).
fn rack_groups(cluster: &Cluster<'_>) -> Vec<Vec<u32>> {
    let mut groups = vec![Vec::new(); cluster.rack_groups()];
    for b in 0..cluster.broker_count() as u32 {
        groups[cluster.rack_of(b) as usize].push(b);
    }
    groups
}

/// How many of a topic's extras each rack must and may take so that the rack's total stays
/// within what the spread rule allows; `None` if per-topic balance and the rule are incompatible.
fn rack_limits(
    cluster: &Cluster<'_>,
    topic: usize,
    groups: &[Vec<u32>],
    floor: u64,
    extras: u32,
) -> Option<Vec<(u32, u32)>> {
    if !racks_constrain(cluster) {
        return Some(vec![(0, cluster.broker_count() as u32)]);
    }
    // Most replicas of the topic each rack can hold: per partition min(rack cap, rack size).
    let mut most = vec![0u64; groups.len()];
    let mut total = 0u64;
    for p in cluster.topic_partitions(topic) {
        let cap = rack_cap(cluster, p.replication_factor) as u64;
        total += p.replication_factor as u64;
        for (k, group) in groups.iter().enumerate() {
            most[k] += cap.min(group.len() as u64);
        }
    }
    let most_sum: u64 = most.iter().sum();
    let mut limits = Vec::with_capacity(groups.len());
    let (mut must_sum, mut may_sum) = (0u64, 0u64);
    for (k, group) in groups.iter().enumerate() {
        let size = group.len() as u64;
        let base = size * floor;
        let least = total.saturating_sub(most_sum - most[k]);
        let must = least.saturating_sub(base);
        let may = most[k].checked_sub(base)?.min(size);
        if must > may {
            return None;
        }
        must_sum += must;
        may_sum += may;
        limits.push((must as u32, may as u32));
    }
    (must_sum <= u64::from(extras) && u64::from(extras) <= may_sum).then_some(limits)
}

/// Solves the extras network; fills `plan.extra` and returns the moves the extras save.
fn assign_extras(
    cluster: &Cluster<'_>,
    groups: &[Vec<u32>],
    rows: &[TopicRow],
    plan: &mut CountPlan,
) -> Result<u64, BalanceError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let brokers = cluster.broker_count();
    let group_count = groups.len();
    let extras_total: u64 = rows.iter().map(|r| u64::from(r.extras)).sum();
    let per_broker = (extras_total / brokers as u64) as u32;
    let overflow = (extras_total % brokers as u64) as u32;
    // Penalty tiers: a move costs 1 and at most `extras_total` moves are at stake, so one unit
    // of global imbalance must cost more than all moves, and one unmet rack minimum more than
    // all imbalance.
    let imbalance_cost = extras_total as i64 + 1;
    let rack_reward = imbalance_cost.saturating_mul(imbalance_cost);

    let source = 0;
    let topic_node = |i: usize| 1 + i;
    let row_base = 1 + rows.len();
    let row_node = |i: usize, k: usize| row_base + i * group_count + k;
    let broker_base = row_base + rows.len() * group_count;
    let overflow_node = broker_base + brokers;
    let sink = overflow_node + 1;
    let mut builder = FlowBuilder::new(sink + 1);
    let mut cells = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        builder.add_edge(source, topic_node(i), row.extras, 0);
        for (k, &(must, may)) in row.rack_limits.iter().enumerate() {
            if must > 0 {
                builder.add_edge(topic_node(i), row_node(i, k), must, -rack_reward);
            }
            if may > must {
                builder.add_edge(topic_node(i), row_node(i, k), may - must, 0);
            }
            for &b in &groups[k] {
                let preferred = row.preferred.binary_search(&b).is_ok();
                let edge = builder.add_edge(
                    row_node(i, k),
                    broker_base + b as usize,
                    1,
                    if preferred { 0 } else { 1 },
                );
                cells.push((i, b, preferred, edge));
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

    let mut saved = 0;
    let mut received = vec![0u32; brokers];
    for &(i, b, preferred, edge) in &cells {
        if flow.flow(edge) > 0 {
            plan.extra[rows[i].topic].push(b);
            received[b as usize] += 1;
            if preferred {
                saved += 1;
            }
        }
    }
    for list in &mut plan.extra {
        list.sort_unstable();
    }
    plan.global_excess = received.iter().any(|&x| x > per_broker + 1)
        || received.iter().filter(|&&x| x > per_broker).count() > overflow as usize;
    Ok(saved)
}
