//! Zones and node totals (#16 item 2): a GKE pool's size is per zone, so an uneven total becomes the
//! nearest even one, said in the plan; the multi-AZ step of 6 binds only installs that turned
//! `global.multiAzDeployment.enabled` on, not every node group that spans zones.
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn example(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/snapshots")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn plan(snapshot: &Value, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.json");
    std::fs::write(&file, serde_json::to_string(snapshot).unwrap()).unwrap();
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .arg("plan")
        .arg("--snapshot")
        .arg(&file)
        .args(args)
        .arg("--json")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn planned(snapshot: &Value, args: &[&str]) -> Value {
    let output = plan(snapshot, args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["kind"], "kfscale-plan", "plan --json prints the plan document");
    json["plan"].clone()
}

/// The GKE example (3 nodes in one zone) spread over three zones, one node in each.
fn gke_over_three_zones() -> Value {
    let mut snapshot = example("gke-legacy-3-nodes.json");
    let zones = ["us-central1-a", "us-central1-b", "us-central1-c"];
    snapshot["node_pool"]["locations"] = serde_json::json!(zones);
    snapshot["node_pool"]["node_count_per_zone"] = 1.into();
    for (node, zone) in snapshot["kubernetes"]["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(zones)
    {
        node["zone"] = zone.into();
    }
    snapshot
}

/// The EKS example with its six nodes over three zones, as a node group over three subnets runs.
fn eks_over_three_zones(multi_az: bool) -> Value {
    let mut snapshot = example("eks-kraft-6-nodes.json");
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    for (i, node) in snapshot["kubernetes"]["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        node["zone"] = zones[i % 3].into();
    }
    if multi_az {
        let text = snapshot["values"]["text"].as_str().unwrap().replacen(
            "global:\n",
            "global:\n  multiAzDeployment:\n    enabled: true\n",
            1,
        );
        snapshot["values"]["text"] = text.into();
    }
    snapshot
}

fn notes(plan: &Value) -> String {
    plan["node_pool"]["notes"].to_string()
}

#[test]
fn a_gke_total_that_does_not_split_over_the_zones_becomes_the_nearest_that_does() {
    let snapshot = gke_over_three_zones();
    // 4 over 3 zones: 3 would not grow the pool, so 6 (2 per zone).
    let four = planned(&snapshot, &["--nodes", "4"]);
    assert_eq!(four["to_nodes"], 6);
    assert_eq!(four["node_pool"]["after"]["per_zone"], 2);
    assert!(notes(&four).contains("per zone"), "{}", notes(&four));
    assert!(notes(&four).contains("takes 6 (2 per zone)"), "{}", notes(&four));
    // 10 over 3 zones: 9 is nearer than 12 and still grows the pool.
    let ten = planned(&snapshot, &["--nodes", "10"]);
    assert_eq!(ten["to_nodes"], 9);
    assert_eq!(ten["node_pool"]["after"]["per_zone"], 3);
    // An even total is planned as asked, with no note about zones.
    let six = planned(&snapshot, &["--nodes", "6"]);
    assert_eq!(six["to_nodes"], 6);
    assert!(!notes(&six).contains("per zone"), "{}", notes(&six));
}

#[test]
fn a_node_group_over_three_zones_grows_by_any_count_unless_the_install_is_multi_az() {
    let spread = eks_over_three_zones(false);
    let seven = planned(&spread, &["--nodes", "7"]);
    assert_eq!(seven["to_nodes"], 7);

    let multi_az = eks_over_three_zones(true);
    let refused = plan(&multi_az, &["--nodes", "7"]);
    assert_eq!(refused.status.code(), Some(1));
    // Under --json the error is a diagnostic line on stdout.
    let line: Value = serde_json::from_slice(&refused.stdout).unwrap();
    let error = format!("{} {}", line["diagnostic"]["summary"], line["diagnostic"]["detail"]);
    for expected in ["global.multiAzDeployment.enabled", "steps of 6", "fix: choose 12 nodes"] {
        assert!(error.contains(expected), "the error lacks {expected:?}:\n{error}");
    }
    assert_eq!(planned(&multi_az, &["--nodes", "12"])["to_nodes"], 12);
}
