//! `kafka-leaders`: partitions led per broker, over the topics the balancer spreads (neither
//! Kafka's internal topics nor the profile's). Leaders take the produce load: a broker that leads
//! nothing serves no producer, however many replicas it holds. After an apply that elected the
//! preferred leaders, the counts are within one of each other.
use std::collections::BTreeMap;

use kfscale_kafka::ClusterMetadata;

use super::check::{Check, capped};

const NAME: &str = "kafka-leaders";

/// Partitions led and preferred (first replica) per broker, every broker of the cluster counted.
#[derive(Debug, Default, PartialEq)]
pub struct Leaders {
    pub led: BTreeMap<i32, usize>,
    pub preferred: BTreeMap<i32, usize>,
    /// Partitions led by another replica than their first.
    pub not_preferred: usize,
    /// Partitions without a leader.
    pub leaderless: Vec<String>,
}

pub fn leaders(metadata: &ClusterMetadata, internal_topics: &[String]) -> Leaders {
    let zeroed: BTreeMap<i32, usize> = metadata
        .brokers
        .iter()
        .filter(|b| !b.fenced)
        .map(|b| (b.id, 0))
        .collect();
    let mut leaders = Leaders {
        led: zeroed.clone(),
        preferred: zeroed,
        ..Leaders::default()
    };
    for topic in metadata
        .topics
        .iter()
        .filter(|t| !t.internal && !internal_topics.contains(&t.name))
    {
        for partition in &topic.partitions {
            let first = partition.replicas.first().copied();
            if let Some(first) = first {
                *leaders.preferred.entry(first).or_default() += 1;
            }
            match partition.leader {
                Some(leader) => {
                    *leaders.led.entry(leader).or_default() += 1;
                    if Some(leader) != first {
                        leaders.not_preferred += 1;
                    }
                }
                None => leaders
                    .leaderless
                    .push(format!("{}-{}", topic.name, partition.partition)),
            }
        }
    }
    leaders
}

fn spread(counts: &BTreeMap<i32, usize>) -> usize {
    counts.values().max().copied().unwrap_or(0) - counts.values().min().copied().unwrap_or(0)
}

/// GREEN when the leader counts are within one of each other. Uneven: RED after an apply that
/// elected the preferred leaders, when their election would even them (the apply's promise);
/// YELLOW otherwise (kfscale did not move these leaders, or the replicas' order itself is uneven,
/// which the plan's notes name).
pub fn check(leaders: &Leaders, elected_by_apply: bool) -> Check {
    let evidence = || {
        capped(
            leaders
                .led
                .iter()
                .map(|(broker, led)| {
                    format!(
                        "broker {broker}: leads {led} (preferred leader of {})",
                        leaders.preferred.get(broker).copied().unwrap_or(0)
                    )
                })
                .collect(),
        )
    };
    if !leaders.leaderless.is_empty() {
        return Check::red(
            NAME,
            format!("{} partition(s) have no leader", leaders.leaderless.len()),
        )
        .evidence(capped(leaders.leaderless.clone()))
        .fix("bring back the brokers holding their replicas (kubectl get pods of the Kafka StatefulSet)");
    }
    let led_spread = spread(&leaders.led);
    let partitions: usize = leaders.led.values().sum();
    let summary = format!(
        "{partitions} partition(s) led over {} broker(s), {} to {} each; {} not led by their preferred replica",
        leaders.led.len(),
        leaders.led.values().min().copied().unwrap_or(0),
        leaders.led.values().max().copied().unwrap_or(0),
        leaders.not_preferred
    );
    if led_spread <= 1 {
        return Check::green(NAME, summary).evidence(evidence());
    }
    let election_evens_them = spread(&leaders.preferred) <= 1;
    let check = if election_evens_them && elected_by_apply {
        Check::red(NAME, format!("{summary}: uneven after the apply's election"))
    } else {
        Check::yellow(NAME, format!("{summary}: uneven"))
    };
    check.evidence(evidence()).fix(if election_evens_them {
        "run a preferred leader election: kafka-leader-election --election-type PREFERRED --all-topic-partitions (after a broker restart Kafka's automatic rebalance does it within leader.imbalance.check.interval.seconds, when enabled)"
    } else {
        "the replicas' order itself is uneven: a reassignment that reorders the replicas (`kfscale balance` writes one; no data moves) and then an election even it"
    })
}

#[cfg(test)]
mod tests {
    use kfscale_kafka::{BrokerInfo, PartitionMetadata, TopicMetadata};

    use super::*;
    use crate::verify::Status;

    fn partition(partition: i32, leader: Option<i32>, replicas: &[i32]) -> PartitionMetadata {
        PartitionMetadata {
            partition,
            leader,
            leader_epoch: 0,
            replicas: replicas.to_vec(),
            isr: replicas.to_vec(),
            offline: Vec::new(),
            error: None,
        }
    }

    fn cluster(brokers: &[i32], topics: Vec<TopicMetadata>) -> ClusterMetadata {
        ClusterMetadata {
            cluster_id: None,
            controller_id: None,
            brokers: brokers
                .iter()
                .map(|&id| BrokerInfo {
                    id,
                    host: "h".into(),
                    port: 9092,
                    rack: None,
                    fenced: false,
                })
                .collect(),
            topics,
        }
    }

    fn topic(name: &str, internal: bool, partitions: Vec<PartitionMetadata>) -> TopicMetadata {
        TopicMetadata {
            name: name.into(),
            internal,
            partitions,
        }
    }

    /// Three brokers; broker 3 (new) holds replicas but leads nothing until the election.
    fn grown(leader_of_p2: i32) -> ClusterMetadata {
        cluster(
            &[1, 2, 3],
            vec![
                topic(
                    "logs",
                    false,
                    vec![
                        partition(0, Some(1), &[1, 2]),
                        partition(1, Some(2), &[2, 3]),
                        partition(2, Some(leader_of_p2), &[3, 1]),
                        partition(3, Some(1), &[1, 3]),
                    ],
                ),
                topic("__consumer_offsets", true, vec![partition(0, Some(1), &[1])]),
                topic("kf_internal", false, vec![partition(0, Some(1), &[1])]),
            ],
        )
    }

    #[test]
    fn leaders_are_counted_per_broker_over_the_balanced_topics() {
        let counted = leaders(&grown(1), &["kf_internal".to_string()]);
        assert_eq!(counted.led, BTreeMap::from([(1, 3), (2, 1), (3, 0)]));
        assert_eq!(counted.preferred, BTreeMap::from([(1, 2), (2, 1), (3, 1)]));
        assert_eq!(counted.not_preferred, 1);
    }

    #[test]
    fn uneven_leaders_an_election_would_even_are_red_after_the_apply_elected() {
        let counted = leaders(&grown(1), &["kf_internal".to_string()]);
        let after_apply = check(&counted, true);
        assert_eq!(after_apply.status, Status::Red, "{after_apply:?}");
        assert!(
            after_apply
                .evidence
                .contains(&"broker 3: leads 0 (preferred leader of 1)".to_string())
        );
        assert!(after_apply.fix.contains("kafka-leader-election"));
        assert_eq!(check(&counted, false).status, Status::Yellow);
    }

    #[test]
    fn even_leaders_are_green() {
        let counted = leaders(&grown(3), &["kf_internal".to_string()]);
        let even = check(&counted, true);
        assert_eq!(even.status, Status::Green, "{even:?}");
        assert!(
            even.summary
                .contains("4 partition(s) led over 3 broker(s), 1 to 2 each")
        );
    }

    #[test]
    fn an_uneven_replica_order_is_yellow_even_after_an_apply() {
        let counted = leaders(
            &cluster(
                &[1, 2, 3],
                vec![topic(
                    "t",
                    false,
                    vec![
                        partition(0, Some(1), &[1, 2]),
                        partition(1, Some(1), &[1, 3]),
                        partition(2, Some(1), &[1, 2]),
                    ],
                )],
            ),
            &[],
        );
        let uneven = check(&counted, true);
        assert_eq!(uneven.status, Status::Yellow);
        assert!(uneven.fix.contains("reorders the replicas"));
    }

    #[test]
    fn a_partition_without_a_leader_is_red() {
        let counted = leaders(
            &cluster(&[1], vec![topic("t", false, vec![partition(0, None, &[1])])]),
            &[],
        );
        let check = check(&counted, false);
        assert_eq!(check.status, Status::Red);
        assert_eq!(check.evidence, ["t-0"]);
    }
}
