//! `kafka-reassignments`: no partition reassignment in flight; `kafka-throttles`: no replication
//! throttle left behind (a forgotten throttle stays for ever and slows every later recovery).
use kfscale_kafka::PartitionReassignment;

use super::check::{Check, capped};
use crate::snapshot::Throttles;

pub fn check_reassignments(moving: &[PartitionReassignment]) -> Check {
    if moving.is_empty() {
        return Check::green("kafka-reassignments", "no partition reassignment in flight");
    }
    Check::red(
        "kafka-reassignments",
        format!("{} partition reassignment(s) in flight", moving.len()),
    )
    .evidence(capped(
        moving
            .iter()
            .map(|m| {
                format!(
                    "{}-{}: replicas {:?}, adding {:?}, removing {:?}",
                    m.topic, m.partition, m.replicas, m.adding_replicas, m.removing_replicas
                )
            })
            .collect(),
    ))
    .fix("wait for them to finish (an unfinished `kfscale apply` resumes its own), or cancel them (kafka-reassign-partitions --cancel)")
}

pub fn check_throttles(throttles: &Throttles) -> Check {
    let left = throttle_lines(throttles);
    if left.is_empty() {
        return Check::green("kafka-throttles", "no replication throttle set on any broker or topic");
    }
    Check::red(
        "kafka-throttles",
        format!("{} replication throttle(s) left behind", left.len()),
    )
    .evidence(capped(left))
    .fix("remove them: kafka-configs --alter --delete-config <name> on each broker and topic named (`kafka-reassign-partitions --verify` does it once the moves are done)")
}

/// `broker 101: leader.replication.throttled.rate=1000`, one line per broker or topic.
pub fn throttle_lines(throttles: &Throttles) -> Vec<String> {
    let shown = |configs: &std::collections::BTreeMap<String, String>| {
        configs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut left: Vec<String> = throttles
        .brokers
        .iter()
        .map(|(id, configs)| format!("broker {id}: {}", shown(configs)))
        .collect();
    left.extend(
        throttles
            .topics
            .iter()
            .map(|(topic, configs)| format!("topic {topic}: {}", shown(configs))),
    );
    left
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::verify::Status;

    #[test]
    fn leftover_throttles_are_named_with_their_values() {
        let throttles = Throttles {
            brokers: BTreeMap::from([(
                101,
                BTreeMap::from([("leader.replication.throttled.rate".to_string(), "1000".to_string())]),
            )]),
            topics: BTreeMap::from([(
                "t".to_string(),
                BTreeMap::from([(
                    "follower.replication.throttled.replicas".to_string(),
                    "0:101".to_string(),
                )]),
            )]),
        };
        let check = check_throttles(&throttles);
        assert_eq!(check.status, Status::Red);
        assert_eq!(
            check.evidence,
            [
                "broker 101: leader.replication.throttled.rate=1000",
                "topic t: follower.replication.throttled.replicas=0:101"
            ]
        );
        assert_eq!(check_throttles(&Throttles::default()).status, Status::Green);
    }
}
