//! Leader elections on request (ElectLeaders, KIP-183/KIP-460) as the KRaft controller runs them:
//! ReplicationControlManager.electLeaders / electLeader, with PartitionChangeBuilder doing the
//! election itself (partition.rs, `Election::Preferred`).
use kafka_protocol::ResponseError;

use super::Cluster;
use super::partition::{Election, NO_LEADER, PartitionChange};
use crate::kafka::errors::{ApiError, ApiResult};

/// ElectionType: 0 PREFERRED, 1 UNCLEAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    Preferred,
    Unclean,
}

impl ElectionType {
    /// `ElectionType.valueOf(byte)`: anything else is an invalid request.
    pub fn from_code(code: i8) -> Option<ElectionType> {
        match code {
            0 => Some(ElectionType::Preferred),
            1 => Some(ElectionType::Unclean),
            _ => None,
        }
    }
}

/// One partition's result, as the response lists it.
pub type ElectionResult = (String, i32, ApiResult<()>);

impl Cluster {
    /// Elects leaders for the given partitions, or for every partition (`None`): then, as Kafka
    /// does, the partitions that already have the wanted leader are left out of the results.
    pub fn elect_leaders(
        &mut self,
        election: ElectionType,
        wanted: Option<&[(String, Vec<i32>)]>,
    ) -> Vec<ElectionResult> {
        match wanted {
            Some(wanted) => wanted
                .iter()
                .flat_map(|(topic, partitions)| partitions.iter().map(move |p| (topic.clone(), *p)))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|(topic, p)| {
                    let result = self.elect_leader(&topic, p, election);
                    (topic, p, result)
                })
                .collect(),
            None => {
                let all: Vec<(String, i32)> = self
                    .topics
                    .values()
                    .flat_map(|t| t.partitions.iter().map(move |p| (t.name.clone(), p.index)))
                    .collect();
                all.into_iter()
                    .map(|(topic, p)| {
                        let result = self.elect_leader(&topic, p, election);
                        (topic, p, result)
                    })
                    .filter(|(_, _, r)| !matches!(r, Err(e) if e.code == ResponseError::ElectionNotNeeded.code()))
                    .collect()
            }
        }
    }

    /// `electLeader`: ELECTION_NOT_NEEDED when the preferred replica leads already (preferred) or
    /// the partition has a leader (unclean); PREFERRED_LEADER_NOT_AVAILABLE (or
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE) when the election would change nothing.
    fn elect_leader(&mut self, topic: &str, partition: i32, election: ElectionType) -> ApiResult<()> {
        if !self.topics.contains_key(topic) {
            return Err(ApiError::new(
                ResponseError::UnknownTopicOrPartition,
                format!("No such topic as {topic}"),
            ));
        }
        let Some(part) = self.partition(topic, partition) else {
            return Err(ApiError::new(
                ResponseError::UnknownTopicOrPartition,
                format!("No such partition as {topic}-{partition}"),
            ));
        };
        let not_needed = match election {
            ElectionType::Preferred => part.replicas.first() == Some(&part.leader),
            ElectionType::Unclean => part.leader != NO_LEADER,
        };
        if not_needed {
            return Err(ApiError::new(
                ResponseError::ElectionNotNeeded,
                "Leader election not needed for topic partition.",
            ));
        }
        let snapshot = part.clone();
        let change = PartitionChange::new(&snapshot).election(match election {
            ElectionType::Preferred => Election::Preferred,
            ElectionType::Unclean => Election::Unclean,
        });
        let brokers = self.brokers.clone();
        let active = |r: i32| brokers.get(&r).is_some_and(|b| !b.fenced);
        let Some(part) = self.partition_mut(topic, partition) else {
            return Ok(());
        };
        let outcome = change.apply(active, part);
        if !outcome.changed {
            return Err(match election {
                ElectionType::Preferred => ApiError::new(
                    ResponseError::PreferredLeaderNotAvailable,
                    "The preferred leader was not available.",
                ),
                ElectionType::Unclean => ApiError::new(
                    ResponseError::EligibleLeadersNotAvailable,
                    "Eligible topic partition leaders are not available.",
                ),
            });
        }
        let leader = part.leader;
        self.record(format!("{topic}-{partition}: {election:?} election, leader {leader}"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::seed::{Layout, Seed};

    fn cluster() -> Cluster {
        let mut seed = Seed::with_brokers(Layout::Legacy, 3);
        seed.topics = serde_json::from_value(serde_json::json!([
            {"name": "t", "partitions": [{"replicas": [0, 1]}, {"replicas": [1, 2]}, {"replicas": [2, 0]}]}
        ]))
        .unwrap();
        Cluster::from_seed(&seed, 0, 0).unwrap()
    }

    fn code(result: &ApiResult<()>) -> i16 {
        result.as_ref().err().map_or(0, |e| e.code)
    }

    #[test]
    fn a_preferred_election_moves_leadership_to_the_first_replica_once() {
        let mut c = cluster();
        c.partition_mut("t", 0).unwrap().leader = 1;
        let wanted = vec![("t".to_string(), vec![0])];
        let first = c.elect_leaders(ElectionType::Preferred, Some(&wanted));
        assert_eq!(code(&first[0].2), 0);
        assert_eq!(c.partition("t", 0).unwrap().leader, 0);
        let again = c.elect_leaders(ElectionType::Preferred, Some(&wanted));
        assert_eq!(code(&again[0].2), ResponseError::ElectionNotNeeded.code());
    }

    #[test]
    fn a_preferred_replica_out_of_the_isr_is_not_available() {
        let mut c = cluster();
        let p = c.partition_mut("t", 1).unwrap();
        p.leader = 2;
        p.isr = vec![2];
        let results = c.elect_leaders(ElectionType::Preferred, Some(&[("t".to_string(), vec![1])]));
        assert_eq!(code(&results[0].2), ResponseError::PreferredLeaderNotAvailable.code());
        assert_eq!(c.partition("t", 1).unwrap().leader, 2);
    }

    #[test]
    fn unknown_topics_and_partitions_are_named() {
        let mut c = cluster();
        let results = c.elect_leaders(
            ElectionType::Preferred,
            Some(&[("t".to_string(), vec![9]), ("nope".to_string(), vec![0])]),
        );
        assert!(
            results
                .iter()
                .all(|r| code(&r.2) == ResponseError::UnknownTopicOrPartition.code())
        );
    }

    #[test]
    fn electing_everything_lists_only_the_partitions_that_needed_it() {
        let mut c = cluster();
        c.partition_mut("t", 2).unwrap().leader = 0;
        let results = c.elect_leaders(ElectionType::Preferred, None);
        assert_eq!(results.len(), 1);
        assert_eq!((results[0].0.as_str(), results[0].1, code(&results[0].2)), ("t", 2, 0));
        assert_eq!(c.partition("t", 2).unwrap().leader, 2);
    }
}
