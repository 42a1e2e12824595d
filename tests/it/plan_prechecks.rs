//! Pre-checks turn the hazards of the runbook into pass / warn / fail lines with the fix.
use std::path::Path;

use kfscale::files::read_snapshot;
use kfscale::plan::{CheckStatus, Intent, Plan, plan};
use kfscale::profile::Profile;
use kfscale::snapshot::{Reassignment, Snapshot};

fn eks() -> Snapshot {
    read_snapshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/snapshots/eks-kraft-6-nodes.json")).unwrap()
}

fn planned(snapshot: &Snapshot) -> Plan {
    plan(snapshot, Intent::AddNodes(3), &Profile::builtin("kraft").unwrap()).unwrap()
}

fn check(plan: &Plan, id: &str) -> (CheckStatus, String, String) {
    let check = plan
        .prechecks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"));
    (check.status, check.message.clone(), check.fix.clone())
}

#[test]
fn a_pending_release_fails_with_the_rollback_command() {
    let mut snapshot = eks();
    snapshot.helm.status = "pending-upgrade".into();
    let plan = planned(&snapshot);
    let (status, message, fix) = check(&plan, "helm-status");
    assert_eq!(status, CheckStatus::Fail);
    assert!(message.contains("pending-upgrade"));
    assert!(fix.contains("helm rollback kfuse"), "{fix}");
    assert!(plan.has_failed_checks());
}

#[test]
fn a_reassignment_in_flight_fails() {
    let mut snapshot = eks();
    snapshot.kafka.reassignments.push(Reassignment {
        topic: "kf_logs_topic".into(),
        partition: 3,
        replicas: vec![100, 104],
        adding_replicas: vec![104],
        removing_replicas: vec![100],
    });
    let (status, message, _) = check(&planned(&snapshot), "kafka-reassignments");
    assert_eq!(status, CheckStatus::Fail);
    assert!(message.contains("kf_logs_topic-3"), "{message}");
}

#[test]
fn a_regenerated_cluster_id_secret_fails() {
    let mut snapshot = eks();
    snapshot.kubernetes.kraft_cluster_id_secret = Some("NEWxxxxxxxxxxxxxxxxxxx".into());
    let (status, message, fix) = check(&planned(&snapshot), "kraft-cluster-id");
    assert_eq!(status, CheckStatus::Fail);
    assert!(message.contains("INCONSISTENT_CLUSTER_ID"), "{message}");
    assert!(fix.contains("J7s9dHqYQ9mXr1vKp2bT4w"), "{fix}");
}

#[test]
fn the_chart_version_must_agree_with_the_configmap() {
    let mut snapshot = eks();
    snapshot.kubernetes.kfuse_version = Some("3.5.0".into());
    assert_eq!(check(&planned(&snapshot), "chart-version").0, CheckStatus::Fail);
}

#[test]
fn drift_between_the_file_and_the_release_is_named() {
    let mut snapshot = eks();
    snapshot.helm.user_values["ingester"]["replicaCount"] = 8.into();
    let (status, message, _) = check(&planned(&snapshot), "values-drift");
    assert_eq!(status, CheckStatus::Warn);
    assert!(message.contains("ingester.replicaCount"), "{message}");
}

#[test]
fn partitions_behind_kafka_are_raised_never_lowered() {
    let mut snapshot = eks();
    // Kafka already has 40 partitions of kf_logs_topic (someone grew it by hand).
    let topic = snapshot
        .kafka
        .topics
        .iter_mut()
        .find(|t| t.name == "kf_logs_topic")
        .unwrap();
    let template = topic.partitions[0].clone();
    for id in 24..40 {
        topic.partitions.push(kfscale::snapshot::KafkaPartition {
            partition: id,
            ..template.clone()
        });
    }
    let plan = planned(&snapshot);
    let (status, message, _) = check(&plan, "partitions-never-decrease");
    assert_eq!(status, CheckStatus::Warn, "the file asks for 24 where Kafka has 40");
    assert!(message.contains("kf_logs_topic (file 24, Kafka 40)"), "{message}");
    let change = plan
        .values
        .changes
        .iter()
        .find(|c| c.path.to_string() == "kafkaTopics[1].partitions")
        .unwrap();
    assert_eq!(change.new, "40", "never below what Kafka has: {}", change.reason);
    assert!(change.reason.contains("partitions never decrease"));
}

#[test]
fn a_pool_with_unready_nodes_fails() {
    let mut snapshot = eks();
    snapshot.kubernetes.nodes[2].ready = false;
    assert_eq!(check(&planned(&snapshot), "pool-nodes-ready").0, CheckStatus::Fail);
}

#[test]
fn slow_pinot_volumes_warn() {
    let mut snapshot = eks();
    let class = snapshot
        .kubernetes
        .storage_classes
        .iter_mut()
        .find(|c| c.name == "gp3-pinot")
        .unwrap();
    class.parameters.insert("type".into(), "gp2".into());
    let (status, message, _) = check(&planned(&snapshot), "pinot-storage");
    assert_eq!(status, CheckStatus::Warn);
    assert!(message.contains("data-pinot-server-realtime-0"), "{message}");
}
