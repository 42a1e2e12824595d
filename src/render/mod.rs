//! Plans for people (Terraform-like text) and for programs (JSON).
pub mod human;
mod kafka_table;
pub mod markdown;
pub mod style;

pub use human::render_plan;
pub use markdown::render_markdown;
pub use style::Style;

/// The preferred leader election after the moves, in one line: the partitions the reassignment
/// changes (moved or reordered) get their first replica as leader at once, not whenever Kafka's
/// automatic leader rebalance runs (the apply also elects any partition it then finds led by
/// another replica, which the plan cannot know). None when nothing changes.
pub fn election_line(result: &crate::balance::BalanceResult) -> Option<String> {
    let partitions = result.changes.iter().filter(|c| !c.old_replicas.is_empty()).count();
    (partitions > 0).then(|| {
        format!(
            "preferred leader election: {partitions} partition(s) moved or reordered get their first replica as leader once the moves finish (ElectLeaders, kafka.reassignment.election_batch partitions a request)"
        )
    })
}
