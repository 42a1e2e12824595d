//! `kfscale plan --snapshot` on the bundled examples: the whole desired state, deterministic.
use std::path::Path;
use std::process::{Command, Output};

use kfscale::files::read_snapshot;
use kfscale::files::{read_plan_file, write_plan_file};
use kfscale::plan::{CheckStatus, Intent, PoolSize, plan};
use kfscale::profile::Profile;

const EKS: &str = "examples/snapshots/eks-kraft-6-nodes.json";
const GKE: &str = "examples/snapshots/gke-legacy-3-nodes.json";

fn kfscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn example(path: &str) -> kfscale::snapshot::Snapshot {
    read_snapshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn eks_kraft_six_to_nine() {
    let snapshot = example(EKS);
    let plan = plan(&snapshot, Intent::AddNodes(3), &Profile::builtin("kraft").unwrap()).unwrap();
    assert_eq!((plan.from_nodes, plan.to_nodes), (6, 9));
    assert_eq!(
        plan.node_pool.after,
        PoolSize::Eks {
            desired: 9,
            min: 3,
            max: 9
        },
        "max must rise with desired"
    );

    let change = |path: &str| {
        let change = plan
            .values
            .changes
            .iter()
            .find(|c| c.path.to_string() == path)
            .unwrap_or_else(|| panic!("no change at {path}"));
        (change.old.as_str(), change.new.as_str())
    };
    assert_eq!(change("global.numNodes"), ("6", "9"));
    assert_eq!(change("kafka-kraft.broker.replicaCount"), ("6", "9"));
    assert_eq!(change("pinot.controller.replicaCount"), ("3", "5"), "4.5 rounds up");
    assert_eq!(change("events-query-service.replicaCount"), ("1", "2"), "1.5 rounds up");
    assert_eq!(change("ingress-nginx.controller.replicaCount"), ("2", "3"));
    assert_eq!(change("kafkaTopics[0].partitions"), ("24", "36"));
    assert_eq!(change("kafkaTopics[8].partitions"), ("24", "36"));
    let untouched = [
        "kafka-kraft.controller.replicaCount",
        "pinot.zookeeper.replicaCount",
        "kfuse-redis.replicaCount",
        "kfuse-grafana.replicaCount",
    ];
    for path in untouched {
        assert!(
            plan.values.changes.iter().all(|c| c.path.to_string() != path),
            "{path} must keep its value"
        );
    }
    assert_eq!(plan.values.changes.len(), 27);
    assert!(
        plan.values
            .notes
            .iter()
            .any(|n| n.contains("324 partition replicas over 9 brokers = 36 per broker") && n.contains("stays 400Gi")),
        "the disk already fits: {:?}",
        plan.values.notes
    );
    assert!(
        plan.values.missing.iter().any(|m| m.subject == "envoy-gateway"),
        "a missing path is reported"
    );
    assert!(
        plan.values.changes.windows(2).all(|w| w[0].line <= w[1].line),
        "changes are in file order"
    );

    assert_eq!(plan.kafka.brokers_after, (100..109).collect::<Vec<_>>());
    assert_eq!(plan.kafka.partitions_created, 9 * 12);
    let reassignment = plan.kafka.reassignment.as_ref().unwrap();
    // The data topics grow as fast as the brokers: their new partitions fill the new brokers with no
    // copy. Only the customer topic that does not grow moves: one replica off each old broker.
    assert_eq!(reassignment.replicas_moved, 6);
    assert!(reassignment.replicas_moved <= reassignment.lower_bound.max(reassignment.count_optimum));
    for load in reassignment.after.values() {
        assert_eq!(load.replicas, 38, "342 replicas over 9 brokers");
    }

    let tables: Vec<&str> = plan.pinot.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(tables, ["kf_metrics_REALTIME", "kf_metrics_rollup_REALTIME"]);
    assert_eq!(plan.pinot.parameter_set.as_deref(), Some("runbook-2024"));
    assert_eq!(plan.pinot.tables[0].parameters["type"], "REALTIME");
    assert_eq!(plan.pinot.tables[0].parameters["downtime"], "true");
    assert_eq!(plan.pinot.tables[0].servers_after, 9);

    assert!(!plan.has_failed_checks(), "{:#?}", plan.prechecks);
    let status = |id: &str| plan.prechecks.iter().find(|c| c.id == id).unwrap().status;
    assert_eq!(status("values-drift"), CheckStatus::Pass);
    assert_eq!(status("kraft-cluster-id"), CheckStatus::Pass);
    assert_eq!(
        status("workloads-present"),
        CheckStatus::Warn,
        "envoy-gateway is missing"
    );
    assert_eq!(plan.summary.to_add, 3 + 3 + 108);
    assert_eq!(plan.summary.to_destroy, 0);
}

#[test]
fn a_fixed_partition_factor_grows_nothing_when_the_pool_keeps_its_size() {
    let snapshot = example(EKS);
    let profile = Profile::builtin("kraft")
        .unwrap()
        .with_overrides(&serde_json::json!({"kafka": {"partition_factor": 2.0}}), "test")
        .unwrap();
    let plan = plan(&snapshot, Intent::Nodes(6), &profile).unwrap();
    let topics: Vec<_> = plan.values.changes.iter().filter(|c| c.rule == "partitions").collect();
    assert!(topics.is_empty(), "{topics:?}");
}

#[test]
fn the_broker_disk_grows_when_partitions_outgrow_the_brokers() {
    let snapshot = example(EKS);
    let profile = Profile::builtin("kraft")
        .unwrap()
        .with_overrides(&serde_json::json!({"kafka": {"partition_factor": 2.0}}), "test")
        .unwrap();
    let plan = plan(&snapshot, Intent::AddNodes(3), &profile).unwrap();
    let disk = plan.values.changes.iter().find(|c| c.rule == "disk").unwrap();
    assert_eq!(
        (disk.old.as_str(), disk.new.as_str()),
        ("400Gi", "480Gi"),
        "9 x 48 replicas / 9 brokers x 10 GiB"
    );
    assert!(
        disk.reason
            .contains("432 partition replicas over 9 brokers = 48 per broker"),
        "{}",
        disk.reason
    );
    let topic = plan.values.changes.iter().find(|c| c.rule == "partitions").unwrap();
    assert_eq!(topic.new, "48");
    // The six existing broker claims grow; the StatefulSet template alone cannot change them.
    let claims: Vec<&str> = plan.kafka.volumes.iter().map(|v| v.claim.as_str()).collect();
    assert_eq!(claims.len(), 6, "{claims:?}");
    assert!(plan.kafka.volumes.iter().all(|v| v.from == "400Gi" && v.to == "480Gi"));
    let check = plan
        .prechecks
        .iter()
        .find(|c| c.id == "broker-volume-expansion")
        .unwrap();
    assert_eq!(
        check.status,
        kfscale::plan::CheckStatus::Pass,
        "gp3-kafka allows expansion"
    );

    let mut fixed_class = snapshot.clone();
    for class in &mut fixed_class.kubernetes.storage_classes {
        class.allow_volume_expansion = false;
    }
    let refused = kfscale::plan::plan(&fixed_class, Intent::AddNodes(3), &profile).unwrap();
    assert!(refused.has_failed_checks(), "a volume that cannot grow stops the plan");
}

#[test]
fn gke_legacy_three_to_four() {
    let snapshot = example(GKE);
    let plan = plan(&snapshot, Intent::Nodes(4), &Profile::builtin("legacy").unwrap()).unwrap();
    assert!(
        matches!(plan.node_pool.after, PoolSize::Gke { per_zone: 4, .. }),
        "{:?}",
        plan.node_pool.after
    );
    assert_eq!(plan.kafka.brokers_after, vec![0, 1, 2, 3]);
    let reassignment = plan.kafka.reassignment.as_ref().unwrap();
    for load in reassignment.after.values() {
        assert_eq!(
            load.replicas, 36,
            "144 replicas over 4 brokers: {:?}",
            reassignment.after
        );
    }
    let partitions: Vec<(String, String)> = plan
        .values
        .changes
        .iter()
        .filter(|c| c.rule == "partitions")
        .map(|c| (c.old.clone(), c.new.clone()))
        .collect();
    assert_eq!(partitions[0], ("12".to_string(), "16".to_string()));
    assert_eq!(partitions[4], ("6".to_string(), "8".to_string()));
    assert!(
        plan.prechecks
            .iter()
            .any(|c| c.id == "hook-jobs" && c.status == CheckStatus::Warn),
        "the leftover topic job is reported"
    );
}

#[test]
fn the_planner_is_deterministic_and_the_cli_agrees_with_the_library() {
    let first = kfscale(&["plan", "--snapshot", EKS, "--add-nodes", "3", "--json"]);
    let second = kfscale(&["plan", "--snapshot", EKS, "--nodes", "9", "--json"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let strip_intent = |output: &Output| {
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut value = document["plan"].clone();
        value.as_object_mut().unwrap().remove("intent");
        value
    };
    assert_eq!(
        strip_intent(&first),
        strip_intent(&second),
        "--add-nodes 3 and --nodes 9 plan the same change"
    );
    let again = kfscale(&["plan", "--snapshot", EKS, "--add-nodes", "3", "--json"]);
    assert_eq!(first.stdout, again.stdout, "byte-identical plans from the same inputs");
}

#[test]
fn human_output_and_exit_codes() {
    let output = kfscale(&["plan", "--snapshot", EKS, "--add-nodes", "3", "--detailed-exitcode"]);
    assert_eq!(output.status.code(), Some(2), "changes present");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no colours with NO_COLOR");
    for expected in [
        "Pre-checks:",
        "kfscale will perform the following actions:",
        "~ global.numNodes",
        "+  numNodes: 9",
        "-  numNodes: 6",
        "brokers 106, 107, 108",
        "rebalance kf_metrics_REALTIME",
        "Plan: 114 to add,",
        "0 to destroy.",
    ] {
        assert!(text.contains(expected), "output lacks {expected:?}:\n{text}");
    }
    for secret in [
        "s3cr3t-Pa55word",
        "hunter2-db-pass",
        "okta-client-secret-value",
        "MIIBszCCAVmg",
    ] {
        assert!(!text.contains(secret), "a secret leaked into the plan output: {secret}");
    }
    let plain = kfscale(&["plan", "--snapshot", EKS, "--add-nodes", "3"]);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "without --detailed-exitcode a successful plan exits 0"
    );
    let terraform_style = kfscale(&["plan", "-snapshot", EKS, "--add-nodes", "3", "-detailed-exitcode"]);
    assert_eq!(terraform_style.status.code(), Some(2));
}

#[test]
fn no_changes_when_the_cluster_is_already_there() {
    let output = kfscale(&["plan", "--snapshot", EKS, "--nodes", "6", "--detailed-exitcode"]);
    let text = String::from_utf8_lossy(&output.stdout);
    // The example's customer topic is balanced over the six brokers and nothing else changes.
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("No changes."), "{text}");
}

#[test]
fn plan_files_round_trip_and_refuse_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scale.plan");
    let output = kfscale(&[
        "plan",
        "--snapshot",
        EKS,
        "--add-nodes",
        "3",
        "-out",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("kfscale apply"));
    let plan = read_plan_file(&path).unwrap();
    assert_eq!(plan.to_nodes, 9);
    write_plan_file(&dir.path().join("again.plan"), &plan).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(dir.path().join("again.plan")).unwrap()
    );

    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"to_nodes\":9", "\"to_nodes\":12", 1)).unwrap();
    let err = read_plan_file(&path).unwrap_err().to_string();
    assert!(err.contains("checksum mismatch") && err.contains("fix:"), "{err}");
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = read_plan_file(&path).unwrap_err().to_string();
    assert!(err.contains("truncated or damaged"), "{err}");
    std::fs::write(&path, text.replacen("\"format_version\":1", "\"format_version\":7", 1)).unwrap();
    let err = read_plan_file(&path).unwrap_err().to_string();
    assert!(err.contains("newer") && err.contains("0.1.0"), "{err}");
}

#[test]
fn scale_values_prints_the_file_and_the_changes() {
    let output = kfscale(&[
        "scale-values",
        "--values",
        "examples/values/kraft-values.yaml",
        "--from-nodes",
        "6",
        "--to-nodes",
        "9",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/values/kraft-values.yaml"))
            .unwrap();
    let new = String::from_utf8(output.stdout).unwrap();
    assert!(
        new.contains("s3cr3t-Pa55word"),
        "the file itself keeps its secrets: it is the customer's file"
    );
    let changed: Vec<(&str, &str)> = original.lines().zip(new.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 27, "one line per change, nothing else");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("27 change(s)") && stderr.contains("3 × 9/6 = 4.5 → rounded up to 5"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}
