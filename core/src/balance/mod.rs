//! The Kafka replica balancer: a pure function from the current assignment and the target broker
//! set to a valid, balanced, minimal-movement reassignment.
//!
//! The steps, each in its own file:
//! 1. [`validate`]: check the request, index brokers, racks and topics ([`cluster`]).
//! 2. [`bounds`]: the lower bounds on moves.
//! 3. [`rack_fix`]: move replicas of partitions that break the rack rule ([`racks`]).
//! 4. [`counts`]: target replica counts per (topic, broker), exact min-cost flow ([`flow`]).
//! 5. [`placement`] and [`repair`]: which replicas move where to reach those counts.
//! 6. [`leaders`]: balance the preferred leaders per topic by reordering replicas.
//! 7. [`summary`]: measure the result against the original.
//!
//! The public surface is [`balance`] with the types in [`model`], the Kafka tool file format in
//! [`tool_json`] and the human summary in [`report`]; everything else is internal.
mod bounds;
mod cluster;
mod counts;
pub mod error;
mod flow;
mod leaders;
pub mod model;
mod placement;
mod rack_fix;
mod rack_limits;
mod racks;
mod repair;
pub mod report;
mod source;
mod summary;
pub mod tool_json;
mod validate;

pub use model::{BalanceError, BalanceRequest, BalanceResult, Broker, BrokerLoad, Partition, PartitionChange};
pub use source::{PartitionRef, PartitionSource};

/// Most partitions named in one note before it says "and N more".
const NOTE_LIST_LIMIT: usize = 10;

/// Computes the reassignment. Deterministic: the same request gives the same result.
pub fn balance(request: &BalanceRequest) -> Result<BalanceResult, BalanceError> {
    balance_partitions(request.partitions.as_slice(), &request.brokers)
}

/// [`balance`] of partitions read in place (the planner's snapshot, no copy): `partitions` in the
/// request's order, onto `brokers`.
pub fn balance_partitions<P: PartitionSource + ?Sized>(
    partitions: &P,
    brokers: &[Broker],
) -> Result<BalanceResult, BalanceError> {
    let cluster = validate::build_cluster(partitions, brokers)?;
    let bounds = bounds::lower_bounds(&cluster);
    let mut notes = Vec::new();

    let mut assigned = cluster.current.clone();
    let (rack_fixes, unfixable) = rack_fix::fix_rack_spread(&cluster, &mut assigned);
    let original_plan = counts::plan_counts(&cluster, &cluster.current)?;
    let count_optimum = original_plan.optimum;
    // Rack fixes changed the starting point: plan the counts from there.
    let plan = if rack_fixes > 0 {
        notes.push(format!(
            "{rack_fixes} partition(s) had replicas on too few racks and get a replica moved to \
             another rack (included in the moves above; the count optimum is for the current \
             racks as they are)"
        ));
        counts::plan_counts(&cluster, &assigned)?
    } else {
        original_plan
    };
    if !unfixable.is_empty() {
        notes.push(format!(
            "partitions {} cannot be spread over racks: the racks have too few brokers",
            partition_list(&cluster, &unfixable)
        ));
    }
    for &t in &plan.rack_relaxed {
        notes.push(format!(
            "topic {}: racks of unequal size make per-topic balance and the rack rule \
             incompatible; racks are kept valid where they conflict",
            cluster.topics[t].name
        ));
    }
    if plan.global_excess {
        notes.push("the rack rule forces some brokers above the balanced total over all topics".into());
    }

    let start = assigned.clone();
    let realized = placement::realize_counts(&cluster, &plan, &cluster.current, &mut assigned);
    notes.extend(realized.notes);
    let mut detours = 0;
    for (t, topic) in cluster.topics.iter().enumerate() {
        let moved = moves_between(&cluster, t, &start, &assigned);
        if moved > plan.topic_moves[t] {
            detours += 1;
            notes.push(format!(
                "topic {}: distinct-broker/rack constraints cost {} move(s) beyond the count \
                 optimum to keep the topic balanced",
                topic.name,
                moved - plan.topic_moves[t]
            ));
        }
    }
    let (unbalanced_topics, leader_totals_balanced) = leaders::balance_leaders(&cluster, &mut assigned);
    for &t in &unbalanced_topics {
        notes.push(format!(
            "topic {}: preferred leaders cannot be balanced with these replicas",
            cluster.topics[t].name
        ));
    }
    if !leader_totals_balanced {
        notes.push(
            "preferred leaders over all topics cannot be spread within one of each other by \
             reordering these replicas (topics of different replication factors): some brokers \
             lead more partitions than others"
                .into(),
        );
    }

    let facts = summary::PlanFacts {
        bounds,
        count_optimum,
        rack_fixes,
        constraint_conflicts: realized.stuck + detours + usize::from(plan.global_excess) + plan.rack_relaxed.len(),
        notes,
    };
    Ok(summary::build_result(&cluster, &assigned, facts))
}

/// Replicas of a topic that sit on a broker in `to` that did not hold them in `from`.
fn moves_between(cluster: &cluster::Cluster<'_>, topic: usize, from: &[u32], to: &[u32]) -> u64 {
    cluster
        .topic_partitions(topic)
        .iter()
        .filter(|p| !p.created)
        .map(|p| {
            let before = &from[p.slots()];
            to[p.slots()].iter().filter(|b| !before.contains(b)).count() as u64
        })
        .sum()
}

/// `topic-partition` names, the first few of them.
fn partition_list(cluster: &cluster::Cluster<'_>, partitions: &[usize]) -> String {
    let mut names: Vec<String> = partitions
        .iter()
        .take(NOTE_LIST_LIMIT)
        .map(|&p| {
            let info = &cluster.partitions[p];
            format!("{}-{}", cluster.topics[info.topic as usize].name, info.id)
        })
        .collect();
    if partitions.len() > NOTE_LIST_LIMIT {
        names.push(format!("and {} more", partitions.len() - NOTE_LIST_LIMIT));
    }
    names.join(", ")
}
