//! Reassignments on the model clock, through the wire protocol: the copy takes size / rate, replicas,
//! ISR and leaders change the way the KRaft controller changes them, cancel reverts, a broker may go
//! away mid-copy.

use crate::kafka_common::ops::{
    advance, list_reassignments, log_dir_size, metadata, reassign, reassign_with, set_configs,
};
use crate::kafka_common::{client, seed, start};
use kafka_protocol::ResponseError;

const MB: i64 = 1_000_000;

/// Brokers 100..=103; `t` has one partition of 10 MB on [100, 101].
const SEED: &str = r#"{
  "settings": {"unthrottled_copy_bytes_per_sec": 1000000000},
  "brokers": [{"id": 100}, {"id": 101}, {"id": 102}, {"id": 103}],
  "topics": [
    {"name": "t", "partitions": [{"replicas": [100, 101], "size_bytes": 10000000}]},
    {"name": "u", "partitions": [{"replicas": [100, 101], "size_bytes": 1000000},
                                 {"replicas": [101, 100], "size_bytes": 1000000}]}
  ]
}"#;

/// Throttles the move of `t`-0 from leader 100 to 102 at 1 MB/s on both sides, the way
/// kafka-reassign-partitions sets them.
async fn throttle(fake: &kfscale_fakes::kafka::FakeKafka) -> anyhow::Result<()> {
    let mut c = client(fake, 100).await?;
    let topic = [
        ("leader.replication.throttled.replicas", "0:100,0:101"),
        ("follower.replication.throttled.replicas", "0:102"),
    ];
    assert_eq!(set_configs(&mut c, 2, "t", &topic).await?, 0);
    assert_eq!(
        set_configs(&mut c, 4, "100", &[("leader.replication.throttled.rate", "1000000")]).await?,
        0
    );
    let mut c = client(fake, 102).await?;
    assert_eq!(
        set_configs(&mut c, 4, "102", &[("follower.replication.throttled.rate", "1000000")]).await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn a_throttled_move_copies_size_over_rate_then_the_leader_moves_to_the_first_target() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    throttle(&fake).await?;
    let mut c = client(&fake, 101).await?;
    assert_eq!(reassign(&mut c, "t", &[(0, Some(&[101, 102]))]).await?, vec![(0, None)]);

    // In flight: the target followed by the replica being removed (KIP-455).
    assert_eq!(
        list_reassignments(&mut c).await?,
        vec![("t".into(), 0, vec![101, 102, 100], vec![102], vec![100])]
    );
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!(
        (shown.leader, shown.leader_epoch, shown.isr.clone()),
        (100, 0, vec![100, 101])
    );
    assert_eq!(shown.replicas, vec![101, 102, 100]);

    // 10 MB at 1 MB/s: 10 model seconds. After 4 s the new replica holds 4 MB.
    advance(&fake, 4.0);
    let mut on_102 = client(&fake, 102).await?;
    assert_eq!(log_dir_size(&mut on_102, "t", 0).await?, Some(4 * MB));
    advance(&fake, 5.999);
    assert_eq!(list_reassignments(&mut c).await?.len(), 1, "still copying at 9.999 s");

    advance(&fake, 0.001);
    assert!(list_reassignments(&mut c).await?.is_empty(), "done at 10 s");
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!(shown.replicas, vec![101, 102]);
    assert_eq!(shown.isr, vec![101, 102]);
    assert_eq!(
        (shown.leader, shown.leader_epoch),
        (101, 1),
        "the removed leader hands over to the first target replica"
    );
    let mut on_100 = client(&fake, 100).await?;
    assert_eq!(
        log_dir_size(&mut on_100, "t", 0).await?,
        None,
        "the removed replica's log is deleted"
    );
    assert_eq!(log_dir_size(&mut on_102, "t", 0).await?, Some(10 * MB));
    Ok(())
}

#[tokio::test]
async fn a_broker_throttle_budget_is_shared_by_its_throttled_copies() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    assert_eq!(
        set_configs(&mut c, 2, "u", &[("follower.replication.throttled.replicas", "*")]).await?,
        0
    );
    let mut on_102 = client(&fake, 102).await?;
    assert_eq!(
        set_configs(
            &mut on_102,
            4,
            "102",
            &[("follower.replication.throttled.rate", "1000000")]
        )
        .await?,
        0
    );
    reassign(&mut c, "u", &[(0, Some(&[100, 102])), (1, Some(&[102, 100]))]).await?;
    // Two copies of 1 MB share 1 MB/s: both need 2 s.
    advance(&fake, 1.999);
    assert_eq!(list_reassignments(&mut c).await?.len(), 2);
    advance(&fake, 0.001);
    assert!(list_reassignments(&mut c).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn an_unthrottled_move_copies_at_the_fast_rate() -> anyhow::Result<()> {
    let fake = start(seed(&SEED.replace("1000000000", "2000000"))).await?;
    let mut c = client(&fake, 100).await?;
    reassign(&mut c, "t", &[(0, Some(&[102, 103]))]).await?;
    // Two new replicas copy 10 MB each at 2 MB/s, in parallel: 5 s.
    advance(&fake, 4.999);
    assert_eq!(
        list_reassignments(&mut c).await?,
        vec![("t".into(), 0, vec![102, 103, 100, 101], vec![102, 103], vec![100, 101])]
    );
    advance(&fake, 0.001);
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!((shown.replicas.clone(), shown.leader), (vec![102, 103], 102));
    Ok(())
}

#[tokio::test]
async fn cancelling_reverts_to_the_original_replicas_and_cancelling_nothing_is_an_error() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    throttle(&fake).await?;
    let mut c = client(&fake, 100).await?;
    reassign(&mut c, "t", &[(0, Some(&[101, 102]))]).await?;
    advance(&fake, 5.0);
    assert_eq!(reassign(&mut c, "t", &[(0, None)]).await?, vec![(0, None)]);
    assert!(list_reassignments(&mut c).await?.is_empty());
    // PartitionReassignmentRevert drops the adding replicas from the in-flight list [101, 102, 100]:
    // the original replicas come back, in the in-flight order (KRaft does not keep the old order).
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!(
        (shown.replicas.clone(), shown.isr.clone(), shown.leader),
        (vec![101, 100], vec![100, 101], 100)
    );
    let mut on_102 = client(&fake, 102).await?;
    assert_eq!(
        log_dir_size(&mut on_102, "t", 0).await?,
        None,
        "the half-copied replica is dropped"
    );
    let again = reassign(&mut c, "t", &[(0, None)]).await?;
    assert_eq!(again, vec![(ResponseError::NoReassignmentInProgress.code(), None)]);
    Ok(())
}

#[tokio::test]
async fn invalid_targets_are_refused_with_kafkas_errors() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    let invalid = ResponseError::InvalidReplicaAssignment.code();
    let unknown = reassign(&mut c, "t", &[(0, Some(&[100, 999]))]).await?;
    assert_eq!(unknown[0].0, invalid);
    assert_eq!(
        unknown[0].1.as_deref(),
        Some("The manual partition assignment includes broker 999, but no such broker is registered.")
    );
    assert_eq!(reassign(&mut c, "t", &[(0, Some(&[100, 100]))]).await?[0].0, invalid);
    assert_eq!(reassign(&mut c, "t", &[(0, Some(&[]))]).await?[0].0, invalid);
    let missing = reassign(&mut c, "t", &[(5, Some(&[100, 101]))]).await?;
    assert_eq!(missing[0].0, ResponseError::UnknownTopicOrPartition.code());
    let rf = reassign_with(&mut c, "t", &[(0, Some(&[100, 101, 102]))], false).await?;
    assert_eq!(
        rf,
        vec![(
            ResponseError::InvalidReplicationFactor.code(),
            Some("The replication factor is changed from 2 to 3".into())
        )]
    );
    assert!(list_reassignments(&mut c).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn reordering_replicas_completes_at_once_and_keeps_the_leader() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 100).await?;
    reassign(&mut c, "t", &[(0, Some(&[101, 100]))]).await?;
    assert!(list_reassignments(&mut c).await?.is_empty());
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!((shown.replicas.clone(), shown.leader), (vec![101, 100], 100));
    Ok(())
}

#[tokio::test]
async fn a_target_broker_going_away_mid_copy_stalls_the_move_until_it_is_back() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    throttle(&fake).await?;
    let http = reqwest::Client::new();
    let armed = http
        .post(format!("{}/_control/faults", fake.control_url()))
        .json(&serde_json::json!({"broker_away": {"broker": 102, "after_copied_fraction": 0.5, "back_after_seconds": 30}}))
        .send()
        .await?;
    assert!(armed.status().is_success(), "{}", armed.text().await?);
    let mut c = client(&fake, 100).await?;
    reassign(&mut c, "t", &[(0, Some(&[101, 102]))]).await?;

    advance(&fake, 6.0);
    assert!(fake.broker_addr(102).is_none(), "102 left at 5 s, half way");
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!(shown.offline, vec![102]);
    assert_eq!(shown.error, 0);
    let copied = fake.with_cluster(|c| c.partition("t", 0).and_then(|p| p.catching_up.get(&102).copied()));
    assert_eq!(copied, Some(5.0 * MB as f64));

    advance(&fake, 29.0); // 35 s: back at 35 s
    crate::kafka_common::wait_until("broker 102 listening again", || fake.broker_addr(102).is_some()).await?;
    assert_eq!(list_reassignments(&mut c).await?.len(), 1);
    advance(&fake, 5.0); // the other half at 1 MB/s
    assert!(list_reassignments(&mut c).await?.is_empty());
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!((shown.replicas.clone(), shown.leader), (vec![101, 102], 101));
    Ok(())
}

#[tokio::test]
async fn when_the_leader_goes_away_mid_copy_the_new_leader_serves_the_rest() -> anyhow::Result<()> {
    let fake = start(seed(SEED)).await?;
    let mut c = client(&fake, 101).await?;
    // Unthrottled at 1 GB/s would finish at once; use a slow fake-wide rate instead.
    fake.with_cluster(|c| c.settings.unthrottled_copy_bytes_per_sec = 1_000_000.0);
    reassign(&mut c, "t", &[(0, Some(&[101, 102]))]).await?;
    advance(&fake, 3.0);
    fake.with_cluster(|c| c.broker_down(100));
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!(
        (shown.leader, shown.leader_epoch, shown.isr.clone()),
        (101, 1, vec![101])
    );
    advance(&fake, 7.0);
    assert!(
        list_reassignments(&mut c).await?.is_empty(),
        "101 served the remaining 7 MB"
    );
    let shown = &metadata(&mut c, "t").await?[0];
    assert_eq!(
        (shown.replicas.clone(), shown.isr.clone(), shown.leader),
        (vec![101, 102], vec![101, 102], 101)
    );
    Ok(())
}

#[tokio::test]
async fn the_legacy_controller_refuses_dead_targets_and_kraft_accepts_fenced_ones() -> anyhow::Result<()> {
    let legacy = start(seed(
        &SEED.replace("\"brokers\"", "\"layout\": \"legacy\", \"brokers\""),
    ))
    .await?;
    legacy.with_cluster(|c| c.broker_down(103));
    let mut c = client(&legacy, 100).await?;
    let refused = reassign(&mut c, "t", &[(0, Some(&[101, 103]))]).await?;
    assert_eq!(refused[0].0, ResponseError::InvalidReplicaAssignment.code());
    assert!(
        refused[0]
            .1
            .as_deref()
            .unwrap_or("")
            .starts_with("Replica assignment has brokers that are not alive")
    );

    let kraft = start(seed(SEED)).await?;
    kraft.with_cluster(|c| c.broker_down(103));
    let mut c = client(&kraft, 100).await?;
    assert_eq!(reassign(&mut c, "t", &[(0, Some(&[101, 103]))]).await?, vec![(0, None)]);
    advance(&kraft, 60.0);
    assert_eq!(
        list_reassignments(&mut c).await?.len(),
        1,
        "nothing copies to a fenced broker"
    );
    Ok(())
}
