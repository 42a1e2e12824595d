//! CreateTopics and CreatePartitions as the KRaft controller answers them, and the ZooKeeper-era
//! controller rule of the legacy layout (NOT_CONTROLLER from other brokers).

use crate::kafka_common::ops::metadata;
use crate::kafka_common::{Client, brokers, client, name, seed, start};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_partitions_request::{CreatePartitionsAssignment, CreatePartitionsTopic};
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::{CreatePartitionsRequest, CreateTopicsRequest, MetadataRequest};
use kafka_protocol::protocol::StrBytes;

const SEED: &str = r#"{
  "brokers": [{"id": 100}, {"id": 101}, {"id": 102}],
  "topics": [{"name": "kf_metrics_topic", "partition_count": 2, "replication_factor": 2}]
}"#;

async fn create(
    c: &mut Client,
    topics: Vec<CreatableTopic>,
    validate_only: bool,
) -> anyhow::Result<Vec<(String, i16, Option<String>)>> {
    let request = CreateTopicsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(1000)
        .with_validate_only(validate_only);
    let response = c.send(request, 7).await?;
    Ok(response
        .topics
        .iter()
        .map(|t| {
            (
                t.name.0.to_string(),
                t.error_code,
                t.error_message.as_ref().map(|m| m.to_string()),
            )
        })
        .collect())
}

fn topic(name_: &str, partitions: i32, rf: i16) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(name(name_))
        .with_num_partitions(partitions)
        .with_replication_factor(rf)
}

async fn grow(
    c: &mut Client,
    topic: &str,
    count: i32,
    assignments: Option<Vec<Vec<i32>>>,
) -> anyhow::Result<(i16, Option<String>)> {
    let assignments = assignments.map(|list| {
        list.iter()
            .map(|ids| CreatePartitionsAssignment::default().with_broker_ids(brokers(ids)))
            .collect()
    });
    let t = CreatePartitionsTopic::default()
        .with_name(name(topic))
        .with_count(count)
        .with_assignments(assignments);
    let response = c
        .send(
            CreatePartitionsRequest::default()
                .with_topics(vec![t])
                .with_timeout_ms(1000),
            3,
        )
        .await?;
    let r = &response.results[0];
    Ok((r.error_code, r.error_message.as_ref().map(|m| m.to_string())))
}

#[tokio::test]
async fn create_topics_places_replicas_and_reports_kafkas_errors() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    let created = create(&mut c, vec![topic("kf_events_topic", 3, 2)], false).await?;
    assert_eq!(created, vec![("kf_events_topic".into(), 0, None)]);
    let shown = metadata(&mut c, "kf_events_topic").await?;
    let replicas: Vec<Vec<i32>> = shown.iter().map(|p| p.replicas.clone()).collect();
    assert_eq!(replicas, vec![vec![100, 101], vec![101, 102], vec![102, 100]]);
    assert!(shown.iter().all(|p| p.leader == p.replicas[0] && p.isr == p.replicas));

    let again = create(&mut c, vec![topic("kf_events_topic", 1, 1)], false).await?;
    assert_eq!(again[0].1, ResponseError::TopicAlreadyExists.code());
    assert_eq!(again[0].2.as_deref(), Some("Topic 'kf_events_topic' already exists."));
    let too_many = create(&mut c, vec![topic("big", 1, 4)], false).await?;
    assert_eq!(too_many[0].1, ResponseError::InvalidReplicationFactor.code());
    let zero = create(&mut c, vec![topic("zero", 0, 1)], false).await?;
    assert_eq!(zero[0].1, ResponseError::InvalidPartitions.code());
    let bad_name = create(&mut c, vec![topic("bad/name", 1, 1)], false).await?;
    assert_eq!(bad_name[0].1, ResponseError::InvalidTopicException.code());
    let twice = create(&mut c, vec![topic("dup", 1, 1), topic("dup", 1, 1)], false).await?;
    assert_eq!(
        twice,
        vec![(
            "dup".into(),
            ResponseError::InvalidRequest.code(),
            Some("Duplicate topic name.".into())
        )]
    );
    let bad_config = create(
        &mut c,
        vec![topic("conf", 1, 1).with_configs(vec![CreatableTopicConfig::default()
            .with_name(StrBytes::from_static_str("no.such.config"))
            .with_value(Some(StrBytes::from_static_str("1")))])],
        false,
    )
    .await?;
    assert_eq!(bad_config[0].1, ResponseError::InvalidConfig.code());

    // A manual assignment with an unknown broker.
    let manual = CreatableTopic::default()
        .with_name(name("manual"))
        .with_num_partitions(-1)
        .with_replication_factor(-1)
        .with_assignments(vec![
            CreatableReplicaAssignment::default()
                .with_partition_index(0)
                .with_broker_ids(brokers(&[100, 999])),
        ]);
    let refused = create(&mut c, vec![manual], false).await?;
    assert_eq!(refused[0].1, ResponseError::InvalidReplicaAssignment.code());

    // Validate-only answers as if created, and creates nothing.
    assert_eq!(create(&mut c, vec![topic("dry", 2, 2)], true).await?[0].1, 0);
    let response = c.send(MetadataRequest::default().with_topics(None), 12).await?;
    let names: Vec<String> = response
        .topics
        .iter()
        .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
        .collect();
    assert_eq!(
        names,
        vec!["kf_events_topic".to_string(), "kf_metrics_topic".to_string()]
    );
    Ok(())
}

#[tokio::test]
async fn create_partitions_grows_with_and_without_an_assignment_and_never_shrinks() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 101).await?;
    assert_eq!(grow(&mut c, "kf_metrics_topic", 4, None).await?, (0, None));
    assert_eq!(
        grow(&mut c, "kf_metrics_topic", 5, Some(vec![vec![102, 100]])).await?,
        (0, None)
    );
    let shown = metadata(&mut c, "kf_metrics_topic").await?;
    let replicas: Vec<Vec<i32>> = shown.iter().map(|p| p.replicas.clone()).collect();
    // Placement continues the stripe from partition 2; the explicit assignment is taken as given.
    assert_eq!(
        replicas,
        vec![
            vec![100, 101],
            vec![101, 102],
            vec![102, 100],
            vec![100, 102],
            vec![102, 100]
        ]
    );

    let decrease = grow(&mut c, "kf_metrics_topic", 3, None).await?;
    assert_eq!(
        decrease,
        (
            ResponseError::InvalidPartitions.code(),
            Some("The topic kf_metrics_topic currently has 5 partition(s); 3 would not be an increase.".into())
        )
    );
    let same = grow(&mut c, "kf_metrics_topic", 5, None).await?;
    assert_eq!(
        same,
        (
            ResponseError::InvalidPartitions.code(),
            Some("Topic already has 5 partition(s).".into())
        )
    );
    let wrong_count = grow(&mut c, "kf_metrics_topic", 7, Some(vec![vec![100, 101]])).await?;
    assert_eq!(wrong_count.0, ResponseError::InvalidReplicaAssignment.code());
    let wrong_rf = grow(&mut c, "kf_metrics_topic", 6, Some(vec![vec![100]])).await?;
    assert_eq!(wrong_rf.0, ResponseError::InvalidReplicaAssignment.code());
    let unknown_broker = grow(&mut c, "kf_metrics_topic", 6, Some(vec![vec![100, 999]])).await?;
    assert_eq!(unknown_broker.0, ResponseError::InvalidReplicaAssignment.code());
    assert_eq!(
        grow(&mut c, "nope", 6, None).await?,
        (ResponseError::UnknownTopicOrPartition.code(), None)
    );
    assert_eq!(metadata(&mut c, "kf_metrics_topic").await?.len(), 5);
    Ok(())
}

#[tokio::test]
async fn with_zookeeper_only_the_controller_takes_controller_requests() -> anyhow::Result<()> {
    let legacy = SEED.replace(
        "\"brokers\": [{\"id\": 100}, {\"id\": 101}, {\"id\": 102}]",
        "\"layout\": \"legacy\", \"brokers\": [{\"id\": 0}, {\"id\": 1}, {\"id\": 2}]",
    );
    let fake = start(seed(&legacy)).await?;
    let mut c = client(&fake, 1).await?;
    let response = c.send(MetadataRequest::default().with_topics(None), 12).await?;
    assert_eq!(response.controller_id.0, 0);
    assert_eq!(
        grow(&mut c, "kf_metrics_topic", 4, None).await?,
        (ResponseError::NotController.code(), None)
    );
    assert_eq!(
        create(&mut c, vec![topic("x", 1, 1)], false).await?[0].1,
        ResponseError::NotController.code()
    );
    let mut controller = client(&fake, 0).await?;
    assert_eq!(grow(&mut controller, "kf_metrics_topic", 4, None).await?, (0, None));
    // When the controller goes, the lowest live broker takes over.
    fake.with_cluster(|c| c.broker_down(0));
    let response = c.send(MetadataRequest::default().with_topics(None), 12).await?;
    assert_eq!(response.controller_id.0, 1);
    assert_eq!(grow(&mut c, "kf_metrics_topic", 5, None).await?, (0, None));
    Ok(())
}

#[tokio::test]
async fn metadata_shows_offline_replicas_and_leaderless_partitions() -> anyhow::Result<()> {
    let fake = start(seed(
        r#"{"brokers": [{"id": 100}, {"id": 101}],
        "topics": [{"name": "t", "partitions": [{"replicas": [100, 101]}, {"replicas": [101]}]}]}"#,
    ))
    .await?;
    fake.with_cluster(|c| c.broker_down(101));
    let mut c = client(&fake, 100).await?;
    let shown = metadata(&mut c, "t").await?;
    assert_eq!(
        (shown[0].leader, shown[0].isr.clone(), shown[0].offline.clone()),
        (100, vec![100], vec![101])
    );
    assert_eq!(
        (shown[1].error, shown[1].leader),
        (ResponseError::LeaderNotAvailable.code(), -1)
    );
    assert_eq!(shown[1].isr, vec![101], "the last in-sync replica stays in the ISR");
    let response = c.send(MetadataRequest::default().with_topics(None), 12).await?;
    assert_eq!(response.brokers.len(), 1);
    fake.with_cluster(|c| c.broker_up(101, None));
    let shown = metadata(&mut c, "t").await?;
    assert_eq!((shown[1].error, shown[1].leader), (0, 101));
    assert_eq!(
        shown[0].isr,
        vec![100, 101],
        "a returning broker rejoins the ISR once caught up"
    );
    Ok(())
}

#[tokio::test]
async fn a_seeded_fenced_broker_is_out_of_the_isr_until_it_comes_back() -> anyhow::Result<()> {
    let fake = start(seed(
        r#"{"brokers": [{"id": 100}, {"id": 101, "alive": false}],
        "topics": [{"name": "t", "size_bytes": 500, "partitions": [{"replicas": [101, 100]}, {"replicas": [101]}]}]}"#,
    ))
    .await?;
    let mut c = client(&fake, 100).await?;
    let shown = metadata(&mut c, "t").await?;
    assert_eq!(
        (shown[0].leader, shown[0].isr.clone(), shown[0].offline.clone()),
        (100, vec![100], vec![101])
    );
    assert_eq!((shown[1].leader, shown[1].isr.clone()), (-1, vec![101]));
    fake.with_cluster(|c| c.broker_up(101, None));
    let shown = metadata(&mut c, "t").await?;
    assert_eq!(
        (shown[0].leader, shown[0].isr.clone()),
        (100, vec![100, 101]),
        "it kept its log: in sync at once"
    );
    assert_eq!((shown[1].leader, shown[1].isr.clone()), (101, vec![101]));
    Ok(())
}
