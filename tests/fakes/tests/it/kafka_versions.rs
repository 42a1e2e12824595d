//! Version negotiation (ApiVersions) and every served API at every advertised version, through the
//! `kafka-protocol` crate's client codecs: the fake must encode what it advertises.

use crate::kafka_common::{brokers, client, name, seed, start};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

const SEED: &str = r#"{
  "brokers": [{"id": 100}, {"id": 101}, {"id": 102}],
  "topics": [{"name": "kf_logs_topic", "partition_count": 3, "replication_factor": 2,
              "size_bytes": 1000, "log_end_offset": 500, "produce_per_sec": 10}],
  "groups": [{"group_id": "kf_logs_REALTIME", "offsets": [{"topic": "kf_logs_topic", "lag": 20}]}]
}"#;

/// The table of the README: every API the fake serves, with the versions it accepts.
const EXPECTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::ListOffsets, 1, 10),
    (ApiKey::Metadata, 0, 13),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::DescribeGroups, 0, 6),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::DescribeLogDirs, 1, 4),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::AlterPartitionReassignments, 0, 1),
    (ApiKey::ListPartitionReassignments, 0, 0),
    (ApiKey::ElectLeaders, 0, 2),
    (ApiKey::DescribeCluster, 0, 2),
];

#[tokio::test]
async fn api_versions_lists_exactly_the_served_apis() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    for version in 0..=4 {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("kfscale-test"))
            .with_client_software_version(StrBytes::from_static_str("1.0"));
        let response = c.send(request, version).await?;
        assert_eq!(response.error_code, 0, "v{version}");
        let mut listed: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        listed.sort();
        let mut expected: Vec<(i16, i16, i16)> = EXPECTED.iter().map(|(k, min, max)| (*k as i16, *min, *max)).collect();
        expected.sort();
        assert_eq!(listed, expected, "v{version}");
    }
    Ok(())
}

#[tokio::test]
async fn an_unknown_api_versions_version_gets_a_v0_answer_with_unsupported_version() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    // v7 does not exist yet: the body is whatever a future client sends; the broker ignores it.
    let reply = c
        .send_raw(ApiKey::ApiVersions as i16, 7, &[0, 0, 0])
        .await?
        .expect("an answer");
    let mut reply = reply;
    let header = ResponseHeader::decode(&mut reply, 0)?;
    assert_eq!(header.correlation_id, 1);
    let response = ApiVersionsResponse::decode(&mut reply, 0)?;
    assert_eq!(response.error_code, ResponseError::UnsupportedVersion.code());
    assert_eq!(response.api_keys.len(), 1);
    assert_eq!(
        (
            response.api_keys[0].api_key,
            response.api_keys[0].min_version,
            response.api_keys[0].max_version
        ),
        (ApiKey::ApiVersions as i16, 0, 4)
    );
    Ok(())
}

#[tokio::test]
async fn invalid_client_software_names_are_refused_from_v3() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("bad name!"))
        .with_client_software_version(StrBytes::from_static_str("1"));
    let response = c.send(request, 3).await?;
    assert_eq!(response.error_code, ResponseError::InvalidRequest.code());
    Ok(())
}

#[tokio::test]
async fn unsupported_versions_and_unserved_apis_close_the_connection() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut body = bytes::BytesMut::new();
    MetadataRequest::default().with_topics(None).encode(&mut body, 13)?;
    let mut c = client(&fake, 100).await?;
    assert!(
        c.send_raw(ApiKey::Metadata as i16, 14, &body).await?.is_none(),
        "Metadata v14 must close"
    );
    let mut c = client(&fake, 100).await?;
    let mut produce = bytes::BytesMut::new();
    ProduceRequest::default().encode(&mut produce, 9)?;
    assert!(
        c.send_raw(ApiKey::Produce as i16, 9, &produce).await?.is_none(),
        "Produce is not served"
    );
    let mut c = client(&fake, 100).await?;
    assert!(
        c.send_raw(ApiKey::CreateTopics as i16, 1, &[]).await?.is_none(),
        "CreateTopics v1 is below the range"
    );
    Ok(())
}

/// Sends each served API at each version it advertises; the fake must answer something decodable,
/// and without errors for these valid requests.
#[tokio::test]
async fn every_api_answers_at_every_advertised_version() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let topic = "kf_logs_topic";
    let group = "kf_logs_REALTIME";
    for &(key, min, max) in EXPECTED {
        for v in min..=max {
            // A new connection per request, on the broker the request belongs to.
            let leader = fake
                .with_cluster(|c| c.partition(topic, 0).map(|p| p.leader))
                .unwrap_or(100);
            let coordinator = fake.with_cluster(|c| c.coordinator(group)).unwrap_or(100);
            let context = format!("{key:?} v{v}");
            match key {
                ApiKey::ApiVersions => {
                    let mut c = client(&fake, 100).await?;
                    let request = ApiVersionsRequest::default()
                        .with_client_software_name(StrBytes::from_static_str("t"))
                        .with_client_software_version(StrBytes::from_static_str("1"));
                    assert_eq!(c.send(request, v).await?.error_code, 0, "{context}");
                }
                ApiKey::Metadata => {
                    let mut c = client(&fake, 100).await?;
                    let topics = Some(vec![MetadataRequestTopic::default().with_name(Some(name(topic)))]);
                    let response = c.send(MetadataRequest::default().with_topics(topics), v).await?;
                    assert_eq!(response.brokers.len(), 3, "{context}");
                    assert_eq!(response.topics[0].error_code, 0, "{context}");
                    assert_eq!(response.topics[0].partitions.len(), 3, "{context}");
                }
                ApiKey::DescribeCluster => {
                    let mut c = client(&fake, 101).await?;
                    let response = c.send(DescribeClusterRequest::default(), v).await?;
                    assert_eq!((response.error_code, response.brokers.len()), (0, 3), "{context}");
                }
                ApiKey::CreateTopics => {
                    let mut c = client(&fake, 100).await?;
                    let new = CreatableTopic::default()
                        .with_name(name(&format!("created-v{v}")))
                        .with_num_partitions(2)
                        .with_replication_factor(2);
                    let response = c
                        .send(
                            CreateTopicsRequest::default()
                                .with_topics(vec![new])
                                .with_timeout_ms(1000),
                            v,
                        )
                        .await?;
                    assert_eq!(response.topics[0].error_code, 0, "{context}");
                }
                ApiKey::CreatePartitions => {
                    let mut c = client(&fake, 100).await?;
                    let count = 4 + i32::from(v);
                    let t = CreatePartitionsTopic::default()
                        .with_name(name(topic))
                        .with_count(count)
                        .with_assignments(None);
                    let response = c
                        .send(
                            CreatePartitionsRequest::default()
                                .with_topics(vec![t])
                                .with_timeout_ms(1000),
                            v,
                        )
                        .await?;
                    assert_eq!(response.results[0].error_code, 0, "{context}");
                }
                ApiKey::AlterPartitionReassignments => {
                    let mut c = client(&fake, 100).await?;
                    let p = ReassignablePartition::default()
                        .with_partition_index(1)
                        .with_replicas(Some(brokers(&[102, 100])));
                    let t = ReassignableTopic::default()
                        .with_name(name(topic))
                        .with_partitions(vec![p]);
                    let response = c
                        .send(AlterPartitionReassignmentsRequest::default().with_topics(vec![t]), v)
                        .await?;
                    assert_eq!(response.error_code, 0, "{context}");
                    assert_eq!(response.responses[0].partitions[0].error_code, 0, "{context}");
                }
                ApiKey::ListPartitionReassignments => {
                    let mut c = client(&fake, 100).await?;
                    let response = c
                        .send(ListPartitionReassignmentsRequest::default().with_topics(None), v)
                        .await?;
                    assert_eq!(response.error_code, 0, "{context}");
                }
                ApiKey::ElectLeaders => {
                    // Partition 0 leads from its preferred replica: nothing to elect, at any version.
                    let mut c = client(&fake, 100).await?;
                    let wanted = elect_leaders_request::TopicPartitions::default()
                        .with_topic(name(topic))
                        .with_partitions(vec![0]);
                    let response = c
                        .send(
                            ElectLeadersRequest::default().with_topic_partitions(Some(vec![wanted])),
                            v,
                        )
                        .await?;
                    assert_eq!(response.error_code, 0, "{context}");
                    let result = &response.replica_election_results[0].partition_result[0];
                    assert_eq!(result.error_code, ResponseError::ElectionNotNeeded.code(), "{context}");
                }
                ApiKey::DescribeConfigs => {
                    let mut c = client(&fake, 101).await?;
                    let resources = vec![
                        DescribeConfigsResource::default()
                            .with_resource_type(2)
                            .with_resource_name(StrBytes::from_static_str("kf_logs_topic"))
                            .with_configuration_keys(None),
                        DescribeConfigsResource::default()
                            .with_resource_type(4)
                            .with_resource_name(StrBytes::from_static_str("101"))
                            .with_configuration_keys(None),
                    ];
                    let response = c
                        .send(
                            DescribeConfigsRequest::default()
                                .with_resources(resources)
                                .with_include_synonyms(true),
                            v,
                        )
                        .await?;
                    assert!(
                        response
                            .results
                            .iter()
                            .all(|r| r.error_code == 0 && !r.configs.is_empty()),
                        "{context}"
                    );
                }
                ApiKey::AlterConfigs => {
                    let mut c = client(&fake, 100).await?;
                    let resource = alter_configs_request::AlterConfigsResource::default()
                        .with_resource_type(2)
                        .with_resource_name(StrBytes::from_static_str("kf_logs_topic"))
                        .with_configs(vec![
                            alter_configs_request::AlterableConfig::default()
                                .with_name(StrBytes::from_static_str("retention.ms"))
                                .with_value(Some(StrBytes::from_static_str("3600000"))),
                        ]);
                    let response = c
                        .send(AlterConfigsRequest::default().with_resources(vec![resource]), v)
                        .await?;
                    assert_eq!(response.responses[0].error_code, 0, "{context}");
                }
                ApiKey::IncrementalAlterConfigs => {
                    let mut c = client(&fake, 102).await?;
                    let resource = incremental_alter_configs_request::AlterConfigsResource::default()
                        .with_resource_type(4)
                        .with_resource_name(StrBytes::from_static_str("102"))
                        .with_configs(vec![
                            incremental_alter_configs_request::AlterableConfig::default()
                                .with_name(StrBytes::from_static_str("follower.replication.throttled.rate"))
                                .with_config_operation(0)
                                .with_value(Some(StrBytes::from_static_str("1048576"))),
                        ]);
                    let response = c
                        .send(
                            IncrementalAlterConfigsRequest::default().with_resources(vec![resource]),
                            v,
                        )
                        .await?;
                    assert_eq!(response.responses[0].error_code, 0, "{context}");
                }
                ApiKey::DescribeLogDirs => {
                    let mut c = client(&fake, 100).await?;
                    let response = c.send(DescribeLogDirsRequest::default().with_topics(None), v).await?;
                    assert_eq!(response.results.len(), 1, "{context}");
                    assert!(!response.results[0].topics.is_empty(), "{context}");
                }
                ApiKey::ListOffsets => {
                    let mut c = client(&fake, leader).await?;
                    let p = ListOffsetsPartition::default()
                        .with_partition_index(0)
                        .with_timestamp(-1);
                    let t = ListOffsetsTopic::default()
                        .with_name(name(topic))
                        .with_partitions(vec![p]);
                    let request = ListOffsetsRequest::default()
                        .with_replica_id(BrokerId(-1))
                        .with_topics(vec![t]);
                    let response = c.send(request, v).await?;
                    let p = &response.topics[0].partitions[0];
                    assert_eq!((p.error_code, p.offset), (0, 500), "{context}");
                }
                ApiKey::OffsetFetch => {
                    let mut c = client(&fake, coordinator).await?;
                    let request = if v >= 8 {
                        OffsetFetchRequest::default().with_groups(vec![
                            offset_fetch_request::OffsetFetchRequestGroup::default()
                                .with_group_id(GroupId(StrBytes::from_static_str(group)))
                                .with_topics(None),
                        ])
                    } else {
                        let topics = vec![
                            offset_fetch_request::OffsetFetchRequestTopic::default()
                                .with_name(name(topic))
                                .with_partition_indexes(vec![0]),
                        ];
                        OffsetFetchRequest::default()
                            .with_group_id(GroupId(StrBytes::from_static_str(group)))
                            .with_topics(Some(topics))
                    };
                    let response = c.send(request, v).await?;
                    let committed = if v >= 8 {
                        assert_eq!(response.groups[0].error_code, 0, "{context}");
                        response.groups[0].topics[0].partitions[0].committed_offset
                    } else {
                        assert_eq!(response.error_code, 0, "{context}");
                        response.topics[0].partitions[0].committed_offset
                    };
                    assert_eq!(committed, 480, "{context}");
                }
                ApiKey::FindCoordinator => {
                    let mut c = client(&fake, 102).await?;
                    let request = if v >= 4 {
                        FindCoordinatorRequest::default().with_coordinator_keys(vec![StrBytes::from_static_str(group)])
                    } else {
                        FindCoordinatorRequest::default().with_key(StrBytes::from_static_str(group))
                    };
                    let response = c.send(request, v).await?;
                    let node = if v >= 4 {
                        response.coordinators[0].node_id.0
                    } else {
                        response.node_id.0
                    };
                    assert_eq!(node, coordinator, "{context}");
                }
                ApiKey::ListGroups => {
                    let mut c = client(&fake, coordinator).await?;
                    let response = c.send(ListGroupsRequest::default(), v).await?;
                    assert_eq!(response.groups.len(), 1, "{context}");
                }
                ApiKey::DescribeGroups => {
                    let mut c = client(&fake, coordinator).await?;
                    let request =
                        DescribeGroupsRequest::default().with_groups(vec![GroupId(StrBytes::from_static_str(group))]);
                    let response = c.send(request, v).await?;
                    assert_eq!(response.groups[0].error_code, 0, "{context}");
                    assert_eq!(response.groups[0].group_state.as_str(), "Empty", "{context}");
                }
                other => panic!("no case for {other:?}"),
            }
        }
    }
    Ok(())
}
