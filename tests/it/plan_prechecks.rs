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

fn skipping_pinot(snapshot: &Snapshot) -> Plan {
    let options = kfscale::plan::PlanOptions {
        skip_pinot: true,
        ..Default::default()
    };
    kfscale::plan::plan_with(
        snapshot,
        Intent::AddNodes(3),
        &Profile::builtin("kraft").unwrap(),
        &options,
    )
    .unwrap()
}

#[test]
fn an_unobserved_pinot_fails_and_only_skip_pinot_gets_past_it() {
    let mut snapshot = eks();
    snapshot.pinot = Default::default();
    let plan = planned(&snapshot);
    let (status, message, fix) = check(&plan, "pinot");
    assert_eq!(status, CheckStatus::Fail, "{message}");
    assert!(message.contains("metrics rebalance the runbook requires"), "{message}");
    assert!(fix.contains("pinot.url") && fix.contains("--skip-pinot"), "{fix}");
    assert!(plan.has_failed_checks());

    let skipped = skipping_pinot(&snapshot);
    let (status, message, _) = check(&skipped, "pinot");
    assert_eq!(status, CheckStatus::Warn, "{message}");
    assert!(message.starts_with("SKIPPED by --skip-pinot"), "{message}");
    assert!(skipped.pinot.skipped && skipped.pinot.tables.is_empty());
    assert!(!skipped.has_failed_checks(), "{:#?}", skipped.prechecks);
}

#[test]
fn skip_pinot_plans_no_rebalance_even_with_pinot_reachable() {
    let reachable = planned(&eks());
    assert!(!reachable.pinot.tables.is_empty());
    let skipped = skipping_pinot(&eks());
    assert!(skipped.pinot.tables.is_empty());
    assert!(skipped.pinot.skipped);
    assert!(
        skipped.pinot.notes.iter().any(|n| n.contains("--skip-pinot")),
        "{:?}",
        skipped.pinot.notes
    );
}

#[test]
fn only_the_optional_rollup_table_may_be_absent() {
    let mut without_rollup = eks();
    without_rollup
        .pinot
        .tables
        .retain(|t| t.name != "kf_metrics_rollup_REALTIME");
    let plan = planned(&without_rollup);
    assert_eq!(check(&plan, "pinot").0, CheckStatus::Pass, "{:#?}", plan.prechecks);
    assert!(
        plan.pinot
            .notes
            .iter()
            .any(|n| n.contains("kf_metrics_rollup_REALTIME: not in the cluster (optional")),
        "{:?}",
        plan.pinot.notes
    );

    let mut without_metrics = eks();
    without_metrics.pinot.tables.retain(|t| t.name != "kf_metrics_REALTIME");
    let (status, message, fix) = check(&planned(&without_metrics), "pinot");
    assert_eq!(status, CheckStatus::Fail, "{message}");
    assert!(message.contains("no table kf_metrics_REALTIME"), "{message}");
    assert!(
        message.contains("allowed to be absent: kf_metrics_rollup_REALTIME"),
        "{message}"
    );
    assert!(fix.contains("--skip-pinot"), "{fix}");
}
