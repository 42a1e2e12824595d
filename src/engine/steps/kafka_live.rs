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
