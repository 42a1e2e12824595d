//! Dynamic configs: DescribeConfigs and IncrementalAlterConfigs. A broker resource goes to that
//! broker (only it knows its own configs: KafkaAdminClient.nodeFor); topics and the brokers'
//! cluster default go to any broker. kfscale puts those into one of the per-broker requests
//! when there is one, where KafkaAdminClient would send one more request.
use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_protocol::messages::{DescribeConfigsRequest, IncrementalAlterConfigsRequest};
use kafka_protocol::protocol::StrBytes;

use crate::client::{KafkaAdmin, Node};
use crate::error::KafkaError;
use crate::types::{ConfigChange, ConfigEntry, ConfigOp, ConfigResource, ConfigSource, Outcomes, ResourceConfigs};

/// IncrementalAlterConfigs operations (OpType).
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;

impl KafkaAdmin {
    /// The configs of `resources`; `keys` limits the answer to those names. Results come back in
    /// the order of `resources`.
    pub async fn describe_configs(
        &self,
        resources: &[ConfigResource],
        keys: Option<&[&str]>,
    ) -> Result<Vec<ResourceConfigs>, KafkaError> {
        let keys: Option<Vec<String>> = keys.map(|k| k.iter().map(|s| s.to_string()).collect());
        let batches = by_node(resources.to_vec());
        let results = self
            .fan_out(batches, move |admin, (node, batch)| {
                let keys = keys.clone();
                async move { admin.describe_configs_on(node, batch, keys).await }
            })
            .await;
        let mut found: BTreeMap<ConfigResource, ResourceConfigs> = BTreeMap::new();
        for (_, result) in results {
            for configs in result? {
                found.insert(configs.resource.clone(), configs);
            }
        }
        resources
            .iter()
            .map(|r| {
                found.get(r).cloned().ok_or_else(|| KafkaError::Protocol {
                    api: "DescribeConfigs",
                    target: r.to_string(),
                    detail: format!("the answer does not mention {r}"),
                    fix: "retry; if it persists, report it with `-vv` output".into(),
                })
            })
            .collect()
    }

    async fn describe_configs_on(
        &self,
        node: Node,
        resources: Vec<ConfigResource>,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<ResourceConfigs>, KafkaError> {
        self.call(
            node,
            |_| {
                let requested = resources
                    .iter()
                    .map(|r| {
                        DescribeConfigsResource::default()
                            .with_resource_type(r.type_id())
                            .with_resource_name(StrBytes::from_string(r.name()))
                            .with_configuration_keys(
                                keys.as_ref()
                                    .map(|k| k.iter().map(|s| StrBytes::from_string(s.clone())).collect()),
                            )
                    })
                    .collect();
                DescribeConfigsRequest::default()
                    .with_resources(requested)
                    .with_include_synonyms(false)
            },
            |response, _| {
                response
                    .results
                    .iter()
                    .map(|result| {
                        let resource = resources
                            .iter()
                            .find(|r| r.type_id() == result.resource_type && r.name() == result.resource_name.as_str())
                            .cloned()
                            .ok_or_else(|| KafkaError::Protocol {
                                api: "DescribeConfigs",
                                target: format!("resource {}", result.resource_name.as_str()),
                                detail: "the answer names a resource that was not asked for".into(),
                                fix: "retry; if it persists, report it with `-vv` output".into(),
                            })?;
                        if result.error_code != 0 {
                            return Err(KafkaError::api(
                                "DescribeConfigs",
                                resource.to_string(),
                                result.error_code,
                                result.error_message.as_ref().map(ToString::to_string),
                            ));
                        }
                        let mut entries: Vec<ConfigEntry> = result
                            .configs
                            .iter()
                            .map(|c| ConfigEntry {
                                name: c.name.to_string(),
                                value: c.value.as_ref().map(ToString::to_string).filter(|_| !c.is_sensitive),
                                source: ConfigSource::from_id(c.config_source),
                                read_only: c.read_only,
                                sensitive: c.is_sensitive,
                            })
                            .collect();
                        entries.sort_by(|a, b| a.name.cmp(&b.name));
                        Ok(ResourceConfigs { resource, entries })
                    })
                    .collect()
            },
        )
        .await
    }

    /// Sets or deletes dynamic configs; each resource gets its own outcome. A broker's own
    /// configs go to that broker, everything else to any broker.
    pub async fn incremental_alter_configs(
        &self,
        changes: &[ConfigChange],
    ) -> Result<Outcomes<ConfigResource>, KafkaError> {
        let mut per_resource: BTreeMap<ConfigResource, Vec<ConfigChange>> = BTreeMap::new();
        for change in changes {
            per_resource
                .entry(change.resource.clone())
                .or_default()
                .push(change.clone());
        }
        let mut batches: BTreeMap<Option<i32>, Vec<ConfigResource>> = BTreeMap::new();
        for resource in per_resource.keys() {
            batches.entry(resource.node()).or_default().push(resource.clone());
        }
        let batches: Vec<(Option<i32>, Vec<ConfigResource>)> = batches.into_iter().collect();
        let results = self
            .fan_out(batches, move |admin, (node, resources)| {
                let changes = per_resource.clone();
                async move {
                    let node = node.map_or(Node::Any, Node::Broker);
                    admin.alter_configs_on(node, resources, changes).await
                }
            })
            .await;
        let mut outcomes: BTreeMap<ConfigResource, Result<(), KafkaError>> = BTreeMap::new();
        for (_, result) in results {
            outcomes.extend(result?);
        }
        let mut ordered: Outcomes<ConfigResource> = Vec::new();
        for change in changes {
            if ordered.iter().any(|(r, _)| r == &change.resource) {
                continue;
            }
            let outcome = outcomes.remove(&change.resource).unwrap_or(Ok(()));
            ordered.push((change.resource.clone(), outcome));
        }
        Ok(ordered)
    }

    async fn alter_configs_on(
        &self,
        node: Node,
        resources: Vec<ConfigResource>,
        changes: BTreeMap<ConfigResource, Vec<ConfigChange>>,
    ) -> Result<Outcomes<ConfigResource>, KafkaError> {
        self.call_entities(
            node,
            resources,
            |pending, _| {
                let resources = pending
                    .iter()
                    .map(|resource| {
                        let configs = changes
                            .get(resource)
                            .into_iter()
                            .flatten()
                            .map(|change| {
                                let (op, value) = match &change.op {
                                    ConfigOp::Set(value) => (OP_SET, Some(StrBytes::from_string(value.clone()))),
                                    ConfigOp::Delete => (OP_DELETE, None),
                                };
                                AlterableConfig::default()
                                    .with_name(StrBytes::from_string(change.name.clone()))
                                    .with_config_operation(op)
                                    .with_value(value)
                            })
                            .collect();
                        AlterConfigsResource::default()
                            .with_resource_type(resource.type_id())
                            .with_resource_name(StrBytes::from_string(resource.name()))
                            .with_configs(configs)
                    })
                    .collect();
                IncrementalAlterConfigsRequest::default()
                    .with_resources(resources)
                    .with_validate_only(false)
            },
            |response, _| {
                response
                    .responses
                    .iter()
                    .map(|r| {
                        let resource = match r.resource_type {
                            2 => ConfigResource::Topic(r.resource_name.to_string()),
                            _ if r.resource_name.is_empty() => ConfigResource::BrokerDefault,
                            _ => ConfigResource::Broker(r.resource_name.parse().map_err(|_| KafkaError::Protocol {
                                api: "IncrementalAlterConfigs",
                                target: format!("resource {}", r.resource_name.as_str()),
                                detail: "the answer names a broker resource that is not a broker id".into(),
                                fix: "retry; if it persists, report it with `-vv` output".into(),
                            })?),
                        };
                        let outcome = if r.error_code == 0 {
                            Ok(())
                        } else {
                            Err(KafkaError::api(
                                "IncrementalAlterConfigs",
                                resource.to_string(),
                                r.error_code,
                                r.error_message.as_ref().map(ToString::to_string),
                            ))
                        };
                        Ok((resource, outcome))
                    })
                    .collect()
            },
        )
        .await
    }
}

/// Groups resources by the node they must go to: a broker resource to its broker; the others ride
/// with the lowest broker's request, or go to any broker when no broker resource is asked for.
fn by_node(resources: Vec<ConfigResource>) -> Vec<(Node, Vec<ConfigResource>)> {
    let mut per_broker: BTreeMap<i32, Vec<ConfigResource>> = BTreeMap::new();
    let mut anywhere = Vec::new();
    for resource in resources {
        match resource.node() {
            Some(broker) => per_broker.entry(broker).or_default().push(resource),
            None => anywhere.push(resource),
        }
    }
    if !anywhere.is_empty() {
        match per_broker.values_mut().next() {
            Some(first) => first.extend(anywhere),
            None => return vec![(Node::Any, anywhere)],
        }
    }
    per_broker
        .into_iter()
        .map(|(id, batch)| (Node::Broker(id), batch))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_resources_go_to_their_broker_and_the_rest_rides_along() {
        let batches = by_node(vec![
            ConfigResource::Topic("a".into()),
            ConfigResource::Broker(102),
            ConfigResource::Broker(101),
            ConfigResource::BrokerDefault,
        ]);
        assert_eq!(
            batches,
            vec![
                (
                    Node::Broker(101),
                    vec![
                        ConfigResource::Broker(101),
                        ConfigResource::Topic("a".into()),
                        ConfigResource::BrokerDefault
                    ]
                ),
                (Node::Broker(102), vec![ConfigResource::Broker(102)]),
            ]
        );
        let alone = by_node(vec![ConfigResource::Topic("a".into())]);
        assert_eq!(alone[0].0, Node::Any);
    }
}
