//! A sparse customer values file (examples/values/kraft-sparse-values.yaml): most replica counts
//! are the chart's defaults, which the snapshot carries from Helm's release record. The plan adds
//! each absent key with its scaled value under the right parent in the file's own style, accounts
//! for every live workload, and follows volumes grown by hand.
use std::path::Path;

use kfscale::files::read_snapshot;
use kfscale::plan::{CheckStatus, Fate, Intent, Plan, plan};
use kfscale::profile::Profile;
use kfscale::snapshot::Snapshot;
use kfscale::values::Document;

const SPARSE: &str = "examples/snapshots/eks-kraft-sparse-6-nodes.json";
const SPARSE_VALUES: &str = "examples/values/kraft-sparse-values.yaml";

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn sparse() -> Snapshot {
    read_snapshot(&repo(SPARSE)).unwrap()
}

fn nine(snapshot: &Snapshot) -> Plan {
    plan(snapshot, Intent::AddNodes(3), &Profile::builtin("kraft").unwrap()).unwrap()
}

fn check<'p>(plan: &'p Plan, id: &str) -> &'p kfscale::plan::PreCheck {
    plan.prechecks.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn absent_replica_counts_are_added_from_the_chart_defaults() {
    let plan = nine(&sparse());
    let changes: Vec<(String, &str, &str, bool)> = plan
        .values
        .changes
        .iter()
        .map(|c| (c.path.to_string(), c.old.as_str(), c.new.as_str(), c.added))
        .collect();
    let has = |path: &str, old: &str, new: &str, added: bool| {
        assert!(
            changes.contains(&(path.to_string(), old, new, added)),
            "{path} {old} -> {new} (added {added}) not in {changes:#?}"
        );
    };
    // In the file: changed in place.
    has("kafka-kraft.broker.replicaCount", "6", "9", false);
    has("pinot.server.realtime.replicaCount", "6", "9", false);
    // The chart's defaults: added.
    has("logs-parser.replicaCount", "4", "6", true);
    has("pinot.controller.replicaCount", "2", "3", true);
    has("pinot.server.offline.replicaCount", "2", "3", true);
    has("query-service.replicaCount", "2", "3", true);
    // Not in the profile, but where the chart keeps it: the default rule.
    has("rum-ingester.replicaCount", "2", "3", true);
    // `minion:` is null in the file (Helm drops the default): the live count is taken.
    has("pinot.minion.replicaCount", "2", "3", true);
    // A volume grown by hand: the values follow it.
    has("pinot.server.realtime.persistence.size", "500Gi", "600Gi", true);
    // Quorums and singletons are kept, whether in the file or not.
    for path in [
        "kafka-kraft.controller.replicaCount",
        "pinot.zookeeper.replicaCount",
        "kfuse-redis.replicaCount",
    ] {
        assert!(changes.iter().all(|c| c.0 != path), "{path} must keep its value");
    }
    assert_eq!(
        plan.values.replicas("query-service").map(|c| (c.before, c.after)),
        Some((2, 3))
    );
    // Additions come after the file's own changes.
    let first_added = plan.values.changes.iter().position(|c| c.added).unwrap();
    assert!(plan.values.changes[first_added..].iter().all(|c| c.added));
}

#[test]
fn the_planned_file_has_each_key_under_its_parent_in_the_files_style() {
    let plan = nine(&sparse());
    let text = std::fs::read_to_string(repo(SPARSE_VALUES)).unwrap();
    let planned = plan.values.apply_to(SPARSE_VALUES, &text).unwrap();
    // Four-space indentation, as the file writes it; flow mappings stay flow.
    for expected in [
        "        realtime: {replicaCount: 9, persistence: {size: 600Gi}}\n        offline:\n            replicaCount: 3\n",
        "    minion:\n        replicaCount: 3\n",
        "logs-parser:\n    image: {tag: \"3.4.1-p2\"}\n    replicaCount: 6\n",
        "\nquery-service:\n    replicaCount: 3\n",
    ] {
        assert!(planned.contains(expected), "{expected:?} not in:\n{planned}");
    }
    // Every line of the file is still there (comments included): only lines were added or edited.
    for line in text
        .lines()
        .filter(|line| !line.contains("replicaCount") && !line.contains("numNodes"))
    {
        assert!(planned.contains(line), "{line:?} lost");
    }
    // The planned file reads back every planned value, and the plan's diff shows the additions.
    let document = Document::parse("planned", &planned).unwrap();
    for change in &plan.values.changes {
        assert!(change.is_in(&document), "{} does not read {}", change.path, change.new);
    }
    assert!(
        plan.values.diff.contains("+    replicaCount: 6"),
        "{}",
        plan.values.diff
    );
    // Applying it again to the planned file is refused (the keys are there now), never doubled.
    assert!(plan.values.apply_to(SPARSE_VALUES, &planned).is_err());
}

#[test]
fn every_live_deployment_and_statefulset_with_replicas_has_a_fate() {
    let snapshot = sparse();
    let plan = nine(&snapshot);
    let live: Vec<&str> = snapshot
        .kubernetes
        .workloads
        .iter()
        .filter(|w| w.replicas > 0 && w.kind != kfscale::snapshot::WorkloadKind::DaemonSet)
        .map(|w| w.name.as_str())
        .collect();
    let fated: Vec<&str> = plan.values.workload_fates.iter().map(|f| f.workload.as_str()).collect();
    let mut expected = live.clone();
    expected.sort_unstable();
    assert_eq!(fated, expected);
    assert!(
        !fated.contains(&"kfuse-profiler"),
        "a workload scaled to zero has no fate"
    );
    let fate = |name: &str| {
        &plan
            .values
            .workload_fates
            .iter()
            .find(|f| f.workload == name)
            .unwrap()
            .fate
    };
    assert!(
        matches!(fate("kfuse-rum-ingester"), Fate::Scaled { before: 2, after: 3, by, .. } if by.contains("default rule"))
    );
    assert!(matches!(fate("pinot-zookeeper"), Fate::Fixed { count: 3, .. }));
    assert!(matches!(fate("kfuse-hydration-service"), Fate::NotCovered { .. }));
    let covered = check(&plan, "workloads-covered");
    assert_eq!(covered.status, CheckStatus::Warn);
    assert!(
        covered.message.contains("kfuse-hydration-service"),
        "{}",
        covered.message
    );
    assert!(
        covered.fix.contains("profile.workloads.kfuse-hydration-service"),
        "{}",
        covered.fix
    );
}

#[test]
fn a_claim_template_unlike_the_planned_values_is_refused_with_the_fix() {
    let mut snapshot = sparse();
    assert_eq!(check(&nine(&snapshot), "volume-templates").status, CheckStatus::Pass);
    // The claims were grown by hand, but the StatefulSet still has its old template: raising the
    // values makes `helm upgrade` fail (the template is immutable).
    let realtime = snapshot
        .kubernetes
        .workloads
        .iter_mut()
        .find(|w| w.name == "pinot-server-realtime")
        .unwrap();
    realtime.volume_claim_templates.insert("data".into(), "500Gi".into());
    let plan = nine(&snapshot);
    let refused = check(&plan, "volume-templates");
    assert_eq!(refused.status, CheckStatus::Fail, "{refused:?}");
    assert!(
        refused.message.contains("pinot-server-realtime claims 500Gi")
            && refused
                .message
                .contains("`pinot.server.realtime.persistence.size` = 600Gi"),
        "{}",
        refused.message
    );
    assert!(
        refused
            .fix
            .contains("delete statefulset pinot-server-realtime --cascade=orphan"),
        "{}",
        refused.fix
    );
    assert!(plan.has_failed_checks());
}

#[test]
fn a_snapshot_without_chart_defaults_plans_from_the_file_as_before() {
    let mut snapshot = sparse();
    snapshot.helm.chart_values = serde_json::Value::Null;
    let plan = nine(&snapshot);
    // Only the live counts stand in for defaults: the profile's paths are added, nothing else.
    assert!(
        plan.values
            .changes
            .iter()
            .all(|c| c.path.to_string() != "rum-ingester.replicaCount")
    );
    assert!(
        plan.values
            .changes
            .iter()
            .any(|c| c.path.to_string() == "logs-parser.replicaCount" && c.added)
    );
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(!json.contains("chart_values"), "a null is not written");
}

/// The file has no topic list, so Kafka runs on the chart's (the release record carries it). Its
/// partitions grow like a listed topic's, and the whole list is added to the file, since Helm
/// replaces a list instead of merging it: every topic, every key, the grown counts.
#[test]
fn a_file_without_a_topic_list_gets_the_charts_list_with_grown_partitions() {
    let snapshot = sparse();
    let chart = snapshot.helm.chart_values["kafkaTopics"].as_array().unwrap().clone();
    assert!(chart.len() >= 2, "the example's chart has a topic list");
    let plan = nine(&snapshot);
    let change = plan
        .values
        .changes
        .iter()
        .find(|c| c.path.to_string() == "kafkaTopics")
        .unwrap_or_else(|| panic!("no topic list added: {:#?}", plan.values.changes));
    assert!(change.added);
    assert_eq!(change.list_items.len(), chart.len());
    // Each topic grows by 9/6, as a listed one would, and the plan's Kafka part creates them.
    for item in &chart {
        let name = item["name"].as_str().unwrap();
        let before = item["partitions"].as_u64().unwrap();
        let grown = plan.values.topics.iter().find(|t| t.topic == name).unwrap();
        assert_eq!(grown.partitions_before, before, "{name}");
        assert_eq!(grown.partitions_after, (before * 9).div_ceil(6).max(before), "{name}");
    }
    // The planned file reads back as the chart's list with only the counts changed.
    let text = std::fs::read_to_string(repo(SPARSE_VALUES)).unwrap();
    let planned = plan.values.apply_to(SPARSE_VALUES, &text).unwrap();
    let written = kfscale::values::json::to_json(&Document::parse("planned", &planned).unwrap())["kafkaTopics"].clone();
    let mut expected = chart.clone();
    for item in &mut expected {
        let name = item["name"].as_str().unwrap().to_string();
        let grown = plan.values.topics.iter().find(|t| t.topic == name).unwrap();
        item["partitions"] = grown.partitions_after.into();
    }
    assert_eq!(written, serde_json::Value::Array(expected));
    assert!(planned.contains("\nkafkaTopics:\n    - {name: "), "{planned}");

    // Without the chart's defaults (an old snapshot), nothing is guessed: a `?` line says so.
    let mut old = snapshot.clone();
    old.helm.chart_values = serde_json::Value::Null;
    let plan = nine(&old);
    assert!(plan.values.changes.iter().all(|c| c.path.to_string() != "kafkaTopics"));
    assert!(
        plan.values.missing.iter().any(|m| m.path.to_string() == "kafkaTopics"),
        "{:#?}",
        plan.values.missing
    );
}

/// A Deployment of another release, or one made by hand, in the namespace is not the plan's to
/// account for: no fate, no `workloads-covered` warning. A snapshot from before kfscale read the
/// owner (no `helm_release`) keeps counting every workload as the release's.
#[test]
fn only_the_releases_own_workloads_get_a_fate() {
    let mut snapshot = sparse();
    let release = snapshot.helm.name.clone();
    let mut stranger = snapshot.kubernetes.workloads[0].clone();
    stranger.name = "someone-elses-agent".into();
    stranger.replicas = 2;
    stranger.helm_release = Some("other-release".into());
    let mut by_hand = stranger.clone();
    by_hand.name = "made-by-hand".into();
    by_hand.helm_release = Some(String::new());
    for workload in &mut snapshot.kubernetes.workloads {
        workload.helm_release = Some(release.clone());
    }
    snapshot.kubernetes.workloads.extend([stranger.clone(), by_hand]);
    let plan = nine(&snapshot);
    let named: Vec<&str> = plan.values.workload_fates.iter().map(|f| f.workload.as_str()).collect();
    assert!(
        !named.contains(&"someone-elses-agent") && !named.contains(&"made-by-hand"),
        "{named:?}"
    );
    assert!(
        named.len() >= 10,
        "the release's own workloads keep their fates: {named:?}"
    );

    // An old snapshot cannot tell: the workload is listed, as before.
    stranger.helm_release = None;
    let mut old = sparse();
    old.kubernetes.workloads.push(stranger);
    let plan = nine(&old);
    assert!(
        plan.values
            .workload_fates
            .iter()
            .any(|f| f.workload == "someone-elses-agent"),
        "{:#?}",
        plan.values.workload_fates
    );
}
