//! What the Kafka steps read from the live cluster: its admin client and the assignment now.
use std::collections::BTreeMap;

use kfscale_kafka::KafkaAdmin;

use crate::engine::context::{StepContext, StepError};

/// (topic, partition) -> replicas, preferred leader first.
pub type Assignment = BTreeMap<(String, i32), Vec<i32>>;

pub fn admin<'a>(ctx: &StepContext<'a>) -> Result<&'a KafkaAdmin, StepError> {
    ctx.systems.kafka.as_ref().ok_or_else(|| {
        StepError::failed(
            "the plan has Kafka work but no Kafka client was connected; fix: check the `kafka:` section of kfscale.yaml",
        )
    })
}

/// Partitions per topic and the replicas of every partition of the non-internal topics.
pub struct LiveTopics {
    pub partitions: BTreeMap<String, usize>,
    pub assignment: Assignment,
    pub racks: BTreeMap<i32, String>,
}

pub async fn live_topics(ctx: &StepContext<'_>) -> Result<LiveTopics, StepError> {
    let metadata = admin(ctx)?.metadata().await?;
    let internal = &ctx.plan.profile.kafka.internal_topics;
    let mut partitions = BTreeMap::new();
    let mut assignment = Assignment::new();
    for topic in metadata
        .topics
        .iter()
        .filter(|t| !t.internal && !internal.contains(&t.name))
    {
        partitions.insert(topic.name.clone(), topic.partitions.len());
        for partition in &topic.partitions {
            assignment.insert((topic.name.clone(), partition.partition), partition.replicas.clone());
        }
    }
    let racks = metadata
        .brokers
        .iter()
        .filter_map(|b| b.rack.clone().map(|rack| (b.id, rack)))
        .collect();
    Ok(LiveTopics {
        partitions,
        assignment,
        racks,
    })
}

/// Each partition's size now (DescribeLogDirs on every broker holding a replica): its preferred
/// leader's log, what a new replica copies, or the largest replica's when that one is missing.
/// The live moves are not the plan's, so the plan's sizes cover only some of them.
pub async fn live_sizes(
    ctx: &StepContext<'_>,
    assignment: &Assignment,
) -> Result<BTreeMap<(String, i32), u64>, StepError> {
    let brokers: Vec<i32> = assignment
        .values()
        .flatten()
        .copied()
        .collect::<std::collections::BTreeSet<i32>>()
        .into_iter()
        .collect();
    let log_dirs = admin(ctx)?.describe_log_dirs_of(&brokers).await?;
    let mut on_broker: BTreeMap<(i32, &str, i32), u64> = BTreeMap::new();
    for (broker, dirs) in &log_dirs {
        for replica in dirs.iter().flat_map(|d| &d.replicas).filter(|r| !r.is_future) {
            on_broker.insert((*broker, replica.topic.as_str(), replica.partition), replica.size_bytes);
        }
    }
    Ok(assignment
        .iter()
        .filter_map(|((topic, partition), replicas)| {
            let on = |broker: &i32| on_broker.get(&(*broker, topic.as_str(), *partition)).copied();
            let size = replicas
                .first()
                .and_then(on)
                .or_else(|| replicas.iter().filter_map(on).max())?;
            Some(((topic.clone(), *partition), size))
        })
        .collect())
}
