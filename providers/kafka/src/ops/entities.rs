//! Requests about several entities at once, each with its own error code. Changes (partitions,
//! reassignments, configs: `call_entities`): entities Kafka refused for now are sent again alone, the others keep their outcome,
//! so a retry never repeats a change that already happened. An entity whose outcome is unknown
//! (REQUEST_TIMED_OUT, a lost connection, no answer: the change may have been made) is never sent
//! again here: it ends with that error, and the step reads what happened before it sends again.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::retry::retried;
use crate::types::Outcomes;
use crate::wire::versions::Api;

/// One request's answer for each of its entities, or the request's own failure.
pub(crate) type Answers<K, V> = Result<Vec<(K, Result<V, KafkaError>)>, KafkaError>;

impl KafkaAdmin {
    /// `build` makes the request for the pending entities at a version; `read` gives each entity's
    /// outcome, or an error of the whole request. Outcomes come back in the order of `entities`.
    pub(crate) async fn call_entities<R: Api, K>(
        &self,
        node: Node,
        entities: Vec<K>,
        build: impl Fn(&[K], i16) -> R,
        read: impl Fn(R::Response, i16) -> Result<Outcomes<K>, KafkaError>,
    ) -> Result<Outcomes<K>, KafkaError>
    where
        K: Ord + Clone + Display,
    {
        let mut attempts = self.attempts();
        let mut pending = entities.clone();
        let mut done: BTreeMap<K, Result<(), KafkaError>> = BTreeMap::new();
        // Each entity's own latest transient error: giving up names it, not another entity's.
        let mut own: BTreeMap<K, KafkaError> = BTreeMap::new();
        while !pending.is_empty() {
            let timeout = self.request_timeout(&attempts);
            let answer = match self.send(&node, |version| build(&pending, version), timeout).await {
                Ok((response, version)) => read(response, version),
                Err(error) => Err(error),
            };
            let outcomes = match answer {
                Ok(outcomes) => outcomes,
                Err(error) if error.outcome_unknown() => {
                    self.note_failure(&error);
                    for key in pending.drain(..) {
                        done.insert(key, Err(error.clone()));
                    }
                    break;
                }
                Err(error) => {
                    self.note_failure(&error);
                    attempts.failed(error).await?;
                    continue;
                }
            };
            let mut again = Vec::new();
            let mut transient = None;
            for (key, outcome) in outcomes {
                if !pending.contains(&key) {
                    continue;
                }
                match outcome {
                    Err(error) if error.outcome_unknown() => {
                        self.note_failure(&error);
                        done.insert(key, Err(error));
                    }
                    Err(error) if retried(&error) => {
                        own.insert(key.clone(), error.clone());
                        again.push(key);
                        transient = Some(error);
                    }
                    outcome => {
                        done.insert(key, outcome);
                    }
                }
            }
            for key in &pending {
                if !done.contains_key(key) && !again.contains(key) {
                    done.insert(
                        key.clone(),
                        Err(KafkaError::Protocol {
                            api: R::NAME,
                            target: format!("{node:?}"),
                            detail: format!("the answer does not mention {key}"),
                            fix: "check the outcome with a read (kfscale snapshot) before retrying".into(),
                        }),
                    );
                }
            }
            pending = again;
            if let Some(error) = transient {
                self.note_failure(&error);
                if let Err(last) = attempts.failed(error).await {
                    for key in pending.drain(..) {
                        let error = match (&last, own.remove(&key)) {
                            (KafkaError::GaveUp { attempts, elapsed, .. }, Some(own)) => KafkaError::GaveUp {
                                last: Box::new(own),
                                attempts: *attempts,
                                elapsed: *elapsed,
                            },
                            _ => last.clone(),
                        };
                        done.insert(key, Err(error));
                    }
                }
            }
        }
        Ok(entities
            .into_iter()
            .map(|key| {
                // Every pending key ends in `done`: answered, missing from the answer, or given up.
                let outcome = done.get(&key).cloned().unwrap_or(Ok(()));
                (key, outcome)
            })
            .collect())
    }

    /// Sorts the answers of a fan-out (one request per broker, each answering per entity): values
    /// go to `out` and leave `pending`; a permanent error comes back at once; a transient one is
    /// returned for the caller's next round, after `forget` drops what it says is stale (a
    /// request-level one drops the view's broker state).
    pub(crate) fn settle<B, K: Ord, V>(
        &self,
        results: Vec<(B, Answers<K, V>)>,
        pending: &mut BTreeSet<K>,
        out: &mut BTreeMap<K, V>,
        forget: impl Fn(&K, &KafkaError),
    ) -> Result<Option<KafkaError>, KafkaError> {
        let mut transient = None;
        for (_, result) in results {
            let answers = match result {
                Ok(answers) => answers,
                Err(error) if retried(&error) => {
                    self.note_failure(&error);
                    transient = Some(error);
                    continue;
                }
                Err(error) => return Err(error),
            };
            for (key, answer) in answers {
                match answer {
                    Ok(value) => {
                        pending.remove(&key);
                        out.insert(key, value);
                    }
                    Err(error) if retried(&error) => {
                        forget(&key, &error);
                        transient = Some(error);
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(transient)
    }
}
