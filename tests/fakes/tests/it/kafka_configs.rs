//! DescribeConfigs, IncrementalAlterConfigs and legacy AlterConfigs: replication throttles on
//! brokers and topics, Kafka's validation errors, sources and synonyms.

use crate::kafka_common::ops::set_configs;
use crate::kafka_common::{Client, client, seed, start};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_protocol::messages::{
    AlterConfigsRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest, alter_configs_request,
};
use kafka_protocol::protocol::StrBytes;

const SEED: &str = r#"{
  "brokers": [{"id": 100}, {"id": 101}],
  "topics": [{"name": "kf_traces_topic", "partition_count": 2, "replication_factor": 2,
              "configs": {"retention.ms": "3600000"}}],
  "broker_configs": {"": {"follower.replication.throttled.rate": "2000000"}}
}"#;

/// (error, [(name, value, source, read_only)]) of one resource.
#[allow(clippy::type_complexity)]
async fn describe(
    c: &mut Client,
    resource_type: i8,
    name: &str,
    keys: Option<&[&str]>,
) -> anyhow::Result<(i16, Vec<(String, Option<String>, i8, bool)>)> {
    let resource = DescribeConfigsResource::default()
        .with_resource_type(resource_type)
        .with_resource_name(StrBytes::from_string(name.into()))
        .with_configuration_keys(keys.map(|k| k.iter().map(|s| StrBytes::from_string(s.to_string())).collect()));
    let response = c
        .send(
            DescribeConfigsRequest::default()
                .with_resources(vec![resource])
                .with_include_synonyms(true),
            4,
        )
        .await?;
    let r = &response.results[0];
    Ok((
        r.error_code,
        r.configs
            .iter()
            .map(|e| {
                (
                    e.name.to_string(),
                    e.value.as_ref().map(|v| v.to_string()),
                    e.config_source,
                    e.read_only,
                )
            })
            .collect(),
    ))
}

#[tokio::test]
async fn broker_throttle_rates_resolve_per_broker_then_cluster_default() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 101).await?;
    let keys = [
        "leader.replication.throttled.rate",
        "follower.replication.throttled.rate",
    ];
    let (error, entries) = describe(&mut c, 4, "101", Some(&keys)).await?;
    assert_eq!(error, 0);
    assert_eq!(
        entries,
        vec![
            (
                "follower.replication.throttled.rate".into(),
                Some("2000000".into()),
                3,
                false
            ),
            (
                "leader.replication.throttled.rate".into(),
                Some("9223372036854775807".into()),
                5,
                false
            ),
        ]
    );
    assert_eq!(
        set_configs(&mut c, 4, "101", &[("follower.replication.throttled.rate", "500")]).await?,
        0
    );
    let (_, entries) = describe(&mut c, 4, "101", Some(&keys[1..])).await?;
    assert_eq!(
        entries,
        vec![(
            "follower.replication.throttled.rate".into(),
            Some("500".into()),
            2,
            false
        )]
    );
    // The cluster default resource lists only what was set there.
    let (_, defaults) = describe(&mut c, 4, "", None).await?;
    assert_eq!(
        defaults,
        vec![(
            "follower.replication.throttled.rate".into(),
            Some("2000000".into()),
            3,
            false
        )]
    );
    Ok(())
}

#[tokio::test]
async fn broker_resources_belong_to_the_broker_that_receives_them() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    assert_eq!(
        describe(&mut c, 4, "101", None).await?.0,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        set_configs(&mut c, 4, "101", &[("leader.replication.throttled.rate", "1")]).await?,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        set_configs(&mut c, 4, "100", &[("leader.replication.throttled.rate", "-5")]).await?,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        set_configs(&mut c, 4, "100", &[("leader.replication.throttled.rate", "fast")]).await?,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        set_configs(&mut c, 4, "100", &[("broker.id", "7")]).await?,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        set_configs(&mut c, 4, "", &[("leader.replication.throttled.rate", "10")]).await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn topic_throttled_replica_lists_are_validated_and_described() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    let lists = [
        ("leader.replication.throttled.replicas", "0:100,1:101"),
        ("follower.replication.throttled.replicas", "0:101,1:100"),
    ];
    assert_eq!(set_configs(&mut c, 2, "kf_traces_topic", &lists).await?, 0);
    let (error, entries) = describe(
        &mut c,
        2,
        "kf_traces_topic",
        Some(&["leader.replication.throttled.replicas", "retention.ms"]),
    )
    .await?;
    assert_eq!(error, 0);
    assert_eq!(
        entries,
        vec![
            (
                "leader.replication.throttled.replicas".into(),
                Some("0:100,1:101".into()),
                1,
                false
            ),
            ("retention.ms".into(), Some("3600000".into()), 1, false),
        ]
    );
    let malformed = set_configs(
        &mut c,
        2,
        "kf_traces_topic",
        &[("leader.replication.throttled.replicas", "0-100")],
    )
    .await?;
    assert_eq!(malformed, ResponseError::InvalidConfig.code());
    let unknown_key = set_configs(&mut c, 2, "kf_traces_topic", &[("no.such.key", "1")]).await?;
    assert_eq!(unknown_key, ResponseError::InvalidConfig.code());
    let unknown_topic = set_configs(&mut c, 2, "nope", &[("retention.ms", "1")]).await?;
    assert_eq!(unknown_topic, ResponseError::UnknownTopicOrPartition.code());
    assert_eq!(
        describe(&mut c, 2, "nope", None).await?.0,
        ResponseError::UnknownTopicOrPartition.code()
    );
    Ok(())
}

#[tokio::test]
async fn delete_and_list_operations_remove_throttles() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    assert_eq!(
        set_configs(
            &mut c,
            2,
            "kf_traces_topic",
            &[("leader.replication.throttled.replicas", "0:100,1:101")]
        )
        .await?,
        0
    );
    let op = |name: &str, op: i8, value: Option<&str>| {
        AlterableConfig::default()
            .with_name(StrBytes::from_string(name.into()))
            .with_config_operation(op)
            .with_value(value.map(|v| StrBytes::from_string(v.into())))
    };
    let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(StrBytes::from_static_str("kf_traces_topic"))
            .with_configs(vec![
                op("leader.replication.throttled.replicas", 3, Some("0:100")),
                op("retention.ms", 1, None),
            ]),
    ]);
    assert_eq!(c.send(request, 1).await?.responses[0].error_code, 0);
    let (_, entries) = describe(
        &mut c,
        2,
        "kf_traces_topic",
        Some(&["leader.replication.throttled.replicas", "retention.ms"]),
    )
    .await?;
    assert_eq!(
        entries,
        vec![
            (
                "leader.replication.throttled.replicas".into(),
                Some("1:101".into()),
                1,
                false
            ),
            ("retention.ms".into(), Some("604800000".into()), 5, false),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn legacy_alter_configs_replaces_every_dynamic_config_of_the_resource() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    let set = |pairs: &[(&str, &str)]| {
        AlterConfigsRequest::default().with_resources(vec![
            alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("kf_traces_topic"))
                .with_configs(
                    pairs
                        .iter()
                        .map(|(k, v)| {
                            alter_configs_request::AlterableConfig::default()
                                .with_name(StrBytes::from_string(k.to_string()))
                                .with_value(Some(StrBytes::from_string(v.to_string())))
                        })
                        .collect(),
                ),
        ])
    };
    let response = c
        .send(set(&[("follower.replication.throttled.replicas", "*")]), 2)
        .await?;
    assert_eq!(response.responses[0].error_code, 0);
    let modified: Vec<String> = describe(&mut c, 2, "kf_traces_topic", None)
        .await?
        .1
        .into_iter()
        .filter(|e| e.2 == 1)
        .map(|e| format!("{}={}", e.0, e.1.unwrap_or_default()))
        .collect();
    assert_eq!(
        modified,
        vec!["follower.replication.throttled.replicas=*".to_string()],
        "retention.ms was reset"
    );
    Ok(())
}
