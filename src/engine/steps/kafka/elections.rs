//! The record of the preferred leader elections (pure): which partitions to elect, each
//! ElectLeaders request as sent, its outcome once answered, and what is left to send. A partition
//! is done once Kafka elected its preferred replica or answered ELECTION_NOT_NEEDED (it led
//! already); every other outcome leaves it to send again.
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::moves::Key;

/// Kafka's answer when the preferred replica leads already.
pub const ELECTION_NOT_NEEDED: &str = "ELECTION_NOT_NEEDED";

/// One ElectLeaders request: recorded before it is sent, its outcome added once answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Election {
    pub partitions: Vec<Key>,
    /// None from the moment it is recorded until its answer arrives: an apply stopped in between
    /// leaves it None, and the next one reads the leaders instead ([`Election::read_back`]).
    pub outcome: Option<ElectionOutcome>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ElectionOutcome {
    /// Partitions whose preferred replica Kafka made leader.
    pub elected: Vec<Key>,
    /// Partitions whose preferred replica led already (ELECTION_NOT_NEEDED, or, read back, led
    /// by it now).
    pub not_needed: Vec<Key>,
    /// Partitions not done, each with why (Kafka's error, or what reading the leaders showed).
    pub failed: Vec<Failure>,
    /// True when the answer never arrived and the outcome was read from the leaders.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_back: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub partition: Key,
    pub error: String,
    /// Whether another try may succeed (Kafka's own classification of the error).
    pub retriable: bool,
}

/// What Kafka answered for one partition: None for success, else the error's code name (if any),
/// its text and whether it is retriable.
pub struct Answer {
    pub partition: Key,
    pub error: Option<(Option<String>, String, bool)>,
}

impl Election {
    pub fn sent(partitions: Vec<Key>) -> Election {
        Election {
            partitions,
            outcome: None,
        }
    }

    /// The outcome of Kafka's per-partition answers; a partition the answer left out is failed
    /// (retriable: the next request names it again).
    pub fn answered(&mut self, answers: Vec<Answer>) {
        let mut outcome = ElectionOutcome::default();
        let mut seen = BTreeSet::new();
        for answer in answers {
            seen.insert(answer.partition.clone());
            match answer.error {
                None => outcome.elected.push(answer.partition),
                Some((Some(code), _, _)) if code == ELECTION_NOT_NEEDED => outcome.not_needed.push(answer.partition),
                Some((_, error, retriable)) => outcome.failed.push(Failure {
                    partition: answer.partition,
                    error,
                    retriable,
                }),
            }
        }
        for missing in self.partitions.iter().filter(|p| !seen.contains(*p)) {
            outcome.failed.push(Failure {
                partition: missing.clone(),
                error: "the answer did not name it".into(),
                retriable: true,
            });
        }
        self.outcome = Some(outcome);
    }

    /// A whole request refused (nothing was elected): every partition failed with `error`.
    pub fn refused(&mut self, error: &str, retriable: bool) {
        self.outcome = Some(ElectionOutcome {
            failed: self
                .partitions
                .iter()
                .map(|p| Failure {
                    partition: p.clone(),
                    error: error.to_string(),
                    retriable,
                })
                .collect(),
            ..ElectionOutcome::default()
        });
    }

    /// The outcome of a request whose answer never arrived, from the leaders now (partition ->
    /// (leader, replicas)): a partition its preferred replica leads is done (the election ran, or
    /// was not needed); any other is sent again, which is safe: an election is idempotent.
    pub fn read_back(&mut self, live: &BTreeMap<Key, (Option<i32>, Vec<i32>)>) {
        let mut outcome = ElectionOutcome {
            read_back: true,
            ..ElectionOutcome::default()
        };
        for partition in &self.partitions {
            match live.get(partition) {
                Some((Some(leader), replicas)) if replicas.first() == Some(leader) => {
                    outcome.not_needed.push(partition.clone())
                }
                Some((leader, replicas)) => outcome.failed.push(Failure {
                    partition: partition.clone(),
                    error: format!(
                        "the answer was lost and broker {} leads, not its preferred replica {}",
                        leader.map_or("none".to_string(), |l| l.to_string()),
                        replicas.first().map_or("none".to_string(), |r| r.to_string())
                    ),
                    retriable: true,
                }),
                None => outcome.failed.push(Failure {
                    partition: partition.clone(),
                    error: "the answer was lost and the partition is not in the metadata".into(),
                    retriable: true,
                }),
            }
        }
        self.outcome = Some(outcome);
    }
}

/// Partitions of `targets` no election has finished, in their order.
pub fn pending(targets: &[Key], elections: &[Election]) -> Vec<Key> {
    let done: BTreeSet<&Key> = elections
        .iter()
        .filter_map(|e| e.outcome.as_ref())
        .flat_map(|o| o.elected.iter().chain(&o.not_needed))
        .collect();
    targets.iter().filter(|p| !done.contains(p)).cloned().collect()
}

/// The latest failure of each partition still pending (the error that matters now).
pub fn failures<'a>(pending: &[Key], elections: &'a [Election]) -> Vec<&'a Failure> {
    let mut latest: BTreeMap<&Key, &Failure> = BTreeMap::new();
    for failure in elections
        .iter()
        .filter_map(|e| e.outcome.as_ref())
        .flat_map(|o| &o.failed)
    {
        latest.insert(&failure.partition, failure);
    }
    pending.iter().filter_map(|p| latest.get(p).copied()).collect()
}

/// Totals over every request: (elected, not needed).
pub fn totals(elections: &[Election]) -> (usize, usize) {
    elections
        .iter()
        .filter_map(|e| e.outcome.as_ref())
        .fold((0, 0), |(e, n), o| (e + o.elected.len(), n + o.not_needed.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(topic: &str, partition: i32) -> Key {
        (topic.to_string(), partition)
    }

    fn error(code: &str, retriable: bool) -> Option<(Option<String>, String, bool)> {
        Some((Some(code.to_string()), format!("Kafka ElectLeaders: {code}"), retriable))
    }

    #[test]
    fn elected_and_not_needed_are_done_the_rest_is_sent_again() {
        let targets = vec![key("a", 0), key("a", 1), key("b", 0), key("b", 1)];
        let mut first = Election::sent(targets.clone());
        first.answered(vec![
            Answer {
                partition: key("a", 0),
                error: None,
            },
            Answer {
                partition: key("a", 1),
                error: error(ELECTION_NOT_NEEDED, false),
            },
            Answer {
                partition: key("b", 0),
                error: error("PREFERRED_LEADER_NOT_AVAILABLE", true),
            },
            // b-1 left out of the answer.
        ]);
        let elections = vec![first];
        assert_eq!(pending(&targets, &elections), [key("b", 0), key("b", 1)]);
        let failed = failures(&pending(&targets, &elections), &elections);
        assert_eq!(failed.len(), 2);
        assert!(failed.iter().all(|f| f.retriable));
        assert!(failed[0].error.contains("PREFERRED_LEADER_NOT_AVAILABLE"));
        assert_eq!(totals(&elections), (1, 1));
    }

    #[test]
    fn a_later_request_supersedes_an_earlier_failure() {
        let targets = vec![key("a", 0)];
        let mut first = Election::sent(targets.clone());
        first.refused("NOT_CONTROLLER", true);
        let mut second = Election::sent(targets.clone());
        second.answered(vec![Answer {
            partition: key("a", 0),
            error: None,
        }]);
        let elections = vec![first, second];
        assert!(pending(&targets, &elections).is_empty());
        assert!(failures(&[], &elections).is_empty());
    }

    #[test]
    fn an_unanswered_request_is_read_back_from_the_leaders() {
        let mut lost = Election::sent(vec![key("a", 0), key("a", 1), key("gone", 0)]);
        assert_eq!(pending(&lost.partitions, std::slice::from_ref(&lost)).len(), 3);
        let live = BTreeMap::from([
            (key("a", 0), (Some(7), vec![7, 1])),
            (key("a", 1), (Some(1), vec![7, 1])),
        ]);
        lost.read_back(&live);
        let outcome = lost.outcome.clone().unwrap();
        assert!(outcome.read_back);
        assert_eq!(outcome.not_needed, [key("a", 0)]);
        assert_eq!(outcome.failed.len(), 2);
        assert!(
            outcome.failed[0]
                .error
                .contains("broker 1 leads, not its preferred replica 7")
        );
        assert_eq!(
            pending(&lost.partitions.clone(), &[lost]),
            [key("a", 1), key("gone", 0)]
        );
    }

    #[test]
    fn the_record_round_trips_through_json() {
        let mut election = Election::sent(vec![key("a", 0)]);
        election.answered(vec![Answer {
            partition: key("a", 0),
            error: None,
        }]);
        let json = serde_json::to_value(&election).unwrap();
        assert_eq!(json["partitions"], serde_json::json!([["a", 0]]));
        assert_eq!(serde_json::from_value::<Election>(json).unwrap(), election);
    }
}
