//! Requests that change several entities at once (partitions, topics, config resources), each with
//! its own error code: entities with a transient error are sent again alone, the others keep their
//! outcome, so a retry never repeats a change that already happened.
use std::collections::BTreeMap;
use std::fmt::Display;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::retry::retried;
use crate::types::Outcomes;
use crate::wire::versions::Api;

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
        while !pending.is_empty() {
            let timeout = self.request_timeout(&attempts);
            let answer = match self.send(&node, |version| build(&pending, version), timeout).await {
                Ok((response, version)) => read(response, version),
                Err(error) => Err(error),
            };
            let outcomes = match answer {
                Ok(outcomes) => outcomes,
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
                    Err(error) if retried(&error) => {
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
                        done.insert(key, Err(last.clone()));
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
}
