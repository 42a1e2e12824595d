//! Broker ids come from the live cluster (issue #16): a legacy install numbered from 100 grows onto
//! 103.., never onto 0..; a mapping that cannot be read fails the `broker-ids` pre-check with the
//! evidence, and the plan adds no broker.
use std::collections::BTreeSet;
use std::path::Path;

use kfscale::files::read_snapshot;
use kfscale::plan::{CheckStatus, Intent, Plan, PreCheck, plan};
use kfscale::profile::Profile;
use kfscale::snapshot::Snapshot;

const GKE_LEGACY: &str = "examples/snapshots/gke-legacy-3-nodes.json";

/// The legacy example (brokers 0-2 in pods kafka-broker-0..2) renumbered as Kloudfuse's legacy
/// installs are: broker id 100 + ordinal, in every replica list too.
fn legacy_from_100() -> Snapshot {
    let mut snapshot = read_snapshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join(GKE_LEGACY)).unwrap();
    let shift = |id: &mut i32| {
        if *id >= 0 {
            *id += 100
        }
    };
    for broker in &mut snapshot.kafka.brokers {
        shift(&mut broker.id);
    }
    for partition in snapshot.kafka.topics.iter_mut().flat_map(|t| t.partitions.iter_mut()) {
        shift(&mut partition.leader);
        partition.replicas.iter_mut().for_each(shift);
        partition.isr.iter_mut().for_each(shift);
    }
    if let Some(controller) = snapshot.kafka.controller_id.as_mut() {
        shift(controller);
    }
    snapshot
}

fn legacy_plan(snapshot: &Snapshot) -> Plan {
    plan(snapshot, Intent::Nodes(6), &Profile::builtin("legacy").unwrap()).unwrap()
}

fn check<'p>(plan: &'p Plan, id: &str) -> &'p PreCheck {
    plan.prechecks.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn a_legacy_install_numbered_from_100_grows_onto_103_to_105() {
    let snapshot = legacy_from_100();
    let plan = legacy_plan(&snapshot);
    assert_eq!(plan.kafka.brokers_before, vec![100, 101, 102]);
    assert_eq!(plan.kafka.brokers_after, vec![100, 101, 102, 103, 104, 105]);
    assert_eq!(plan.kafka.new_brokers(), vec![103, 104, 105]);
    let ids = check(&plan, "broker-ids");
    assert_eq!(ids.status, CheckStatus::Pass, "{ids:?}");
    assert_eq!(
        ids.message,
        "broker ids are 100 + ordinal of kafka-broker (live 100..102): new brokers 103..105"
    );

    // The reassignment names only live and new ids: every partition lands on 100..105, and the
    // new brokers get their share.
    let reassignment = plan.kafka.reassignment.as_ref().unwrap();
    let targets: BTreeSet<i32> = reassignment
        .changes
        .iter()
        .flat_map(|c| c.new_replicas.iter().copied())
        .collect();
    let ours: BTreeSet<i32> = (100..106).collect();
    assert!(targets.is_subset(&ours), "{targets:?}");
    assert!(targets.is_superset(&BTreeSet::from([103, 104, 105])), "{targets:?}");
    assert_eq!(
        reassignment.after.keys().copied().collect::<Vec<_>>(),
        vec![100, 101, 102, 103, 104, 105]
    );
    for new in [103, 104, 105] {
        assert!(reassignment.after[&new].replicas > 0, "broker {new} gets replicas");
    }
    // And so does the plan file's JSON: no replica list names an id outside 100..105.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    kfscale::files::write_plan_file(&file, &plan).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let changes = document["plan"]["kafka"]["reassignment"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    for change in changes {
        for id in change["new_replicas"].as_array().unwrap() {
            let id = id.as_i64().unwrap();
            assert!((100..=105).contains(&id), "{change}");
        }
    }
}

#[test]
fn a_snapshot_with_the_pods_recorded_plans_the_same_as_one_without() {
    // Old snapshots have no `pod`: the planner reads it from the host by the observer's rule.
    let without = legacy_from_100();
    let mut with = without.clone();
    for broker in &mut with.kafka.brokers {
        broker.pod = Some(format!("kafka-broker-{}", broker.id - 100));
    }
    assert_eq!(legacy_plan(&with).kafka, legacy_plan(&without).kafka);
}

#[test]
fn a_host_that_names_no_pod_fails_with_the_evidence_and_adds_no_broker() {
    let mut snapshot = legacy_from_100();
    snapshot.kafka.brokers[2].host = "10.4.0.12".into();
    let plan = legacy_plan(&snapshot);
    let ids = check(&plan, "broker-ids");
    assert_eq!(ids.status, CheckStatus::Fail, "{ids:?}");
    for evidence in [
        "broker 102 advertises 10.4.0.12, which names no pod",
        "broker 100 advertises kafka-broker-0.kafka-broker-headless.kfuse.svc.cluster.local: pod kafka-broker-0, ordinal 0",
        "broker 101 advertises kafka-broker-1.kafka-broker-headless.kfuse.svc.cluster.local: pod kafka-broker-1, ordinal 1",
        "broker 102 advertises 10.4.0.12: names no pod",
    ] {
        assert!(ids.message.contains(evidence), "{evidence:?} in {}", ids.message);
    }
    assert!(ids.fix.contains("advertising its pod's DNS name"), "{}", ids.fix);
    assert!(plan.has_failed_checks(), "apply refuses a plan with a failed check");
    assert!(plan.kafka.new_brokers().is_empty(), "{:?}", plan.kafka.brokers_after);
}

#[test]
fn ids_that_are_not_one_base_apart_fail() {
    let mut snapshot = legacy_from_100();
    // Pod kafka-broker-2 runs broker 7: someone re-created it by hand.
    let moved = 102;
    snapshot.kafka.brokers[2].id = 7;
    for partition in snapshot.kafka.topics.iter_mut().flat_map(|t| t.partitions.iter_mut()) {
        for id in partition.replicas.iter_mut().chain(partition.isr.iter_mut()) {
            if *id == moved {
                *id = 7;
            }
        }
        if partition.leader == moved {
            partition.leader = 7;
        }
    }
    let plan = legacy_plan(&snapshot);
    let ids = check(&plan, "broker-ids");
    assert_eq!(ids.status, CheckStatus::Fail);
    assert!(
        ids.message.contains(
            "the ids are not one base apart: id = 5 + ordinal for kafka-broker-2; id = 100 + ordinal for kafka-broker-0, kafka-broker-1"
        ),
        "{}",
        ids.message
    );
    assert!(plan.kafka.new_brokers().is_empty());
}

#[test]
fn a_min_id_in_the_values_file_must_agree_with_the_live_ids() {
    let mut snapshot = legacy_from_100();
    snapshot.values.text = snapshot
        .values
        .text
        .replacen("\nkafka:\n", "\nkafka:\n  minBrokerId: 0\n", 1);
    assert!(
        snapshot.values.text.contains("minBrokerId: 0"),
        "the legacy values have a `kafka:` block"
    );
    let ids = check(&legacy_plan(&snapshot), "broker-ids").clone();
    assert_eq!(ids.status, CheckStatus::Fail, "{ids:?}");
    assert!(
        ids.message.contains("numbered from 100") && ids.message.contains("`kafka.minBrokerId`"),
        "{}",
        ids.message
    );
    assert_eq!(ids.fix, "set it to 100 (the ids the live brokers have), or remove it");

    snapshot.values.text = snapshot.values.text.replace("minBrokerId: 0", "minBrokerId: 100");
    assert_eq!(check(&legacy_plan(&snapshot), "broker-ids").status, CheckStatus::Pass);

    snapshot.values.text = snapshot.values.text.replace("minBrokerId: 100", "minBrokerId: abc");
    let ids = check(&legacy_plan(&snapshot), "broker-ids").clone();
    assert_eq!(ids.status, CheckStatus::Fail);
    assert!(ids.message.contains("is `abc`, not a broker id"), "{}", ids.message);
}

#[test]
fn without_kafka_no_id_is_guessed() {
    let mut snapshot = legacy_from_100();
    snapshot.kafka.brokers.clear();
    snapshot.kafka.topics.clear();
    let plan = legacy_plan(&snapshot);
    assert!(plan.kafka.brokers_after.is_empty(), "{:?}", plan.kafka.brokers_after);
    assert!(plan.kafka.reassignment.is_none());
    assert!(
        plan.kafka
            .notes
            .iter()
            .any(|n| n.contains("no broker id base is declared")),
        "{:?}",
        plan.kafka.notes
    );
    // A base the values file declares names them.
    snapshot.values.text = snapshot
        .values
        .text
        .replacen("\nkafka:\n", "\nkafka:\n  minBrokerId: 100\n", 1);
    assert_eq!(
        legacy_plan(&snapshot).kafka.brokers_after,
        (100..106).collect::<Vec<_>>()
    );
}
