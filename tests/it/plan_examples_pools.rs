//! `kfscale plan --snapshot` on the AKS and external-pool examples: the pool's own numbers, the
//! autoscaler's bounds, and, for nodes kfscale does not add, the plain statement that it will not.
use std::path::Path;
use std::process::Command;

use kfscale::files::read_snapshot;
use kfscale::plan::{Bounds, CheckStatus, Intent, PoolSize, plan};
use kfscale::profile::Profile;

const AKS: &str = "examples/snapshots/aks-kraft-6-nodes.json";
const EXTERNAL: &str = "examples/snapshots/external-kraft-6-nodes.json";

fn example(path: &str) -> kfscale::snapshot::Snapshot {
    read_snapshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn plan_text(snapshot: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(["plan", "--snapshot", snapshot, "--add-nodes", "3"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn aks_six_to_nine_raises_the_autoscaler_max_in_the_same_put() {
    let plan = plan(&example(AKS), Intent::AddNodes(3), &Profile::builtin("kraft").unwrap()).unwrap();
    assert_eq!(
        (plan.node_pool.before.clone(), plan.node_pool.after.clone()),
        (
            PoolSize::Aks {
                count: 6,
                autoscaling: Some(Bounds { min: 3, max: 6 })
            },
            PoolSize::Aks {
                count: 9,
                autoscaling: Some(Bounds { min: 3, max: 9 })
            }
        )
    );
    assert!(plan.node_pool.resizes());
    assert!(
        plan.node_pool.notes.iter().any(|n| n.contains("3..6 -> 3..9")),
        "{:?}",
        plan.node_pool.notes
    );
    assert!(!plan.has_failed_checks(), "{:#?}", plan.prechecks);
    let uniform = plan.prechecks.iter().find(|c| c.id == "pool-uniform").unwrap();
    assert_eq!(uniform.status, CheckStatus::Pass, "{uniform:?}");

    // A cloud pool with one node labelled by hand: the runbook wants alike nodes, so the plan
    // fails and names the node and the label.
    let mut odd = example(AKS);
    let name = odd.kubernetes.nodes[0].name.clone();
    odd.kubernetes.nodes[0].labels.insert("kf_role".into(), "ingest".into());
    let refused = kfscale::plan::plan(&odd, Intent::AddNodes(3), &Profile::builtin("kraft").unwrap()).unwrap();
    let uniform = refused.prechecks.iter().find(|c| c.id == "pool-uniform").unwrap();
    assert_eq!(uniform.status, CheckStatus::Fail, "{uniform:?}");
    assert!(
        uniform.message.contains(&name) && uniform.message.contains("kf_role"),
        "{uniform:?}"
    );

    let text = plan_text(AKS);
    for expected in ["AKS agent pool kfuse", "max", "3..6 -> 3..9"] {
        assert!(text.contains(expected), "output lacks {expected:?}:\n{text}");
    }
}

#[test]
fn external_six_to_nine_says_kfscale_adds_no_node_and_waits_for_alike_ones() {
    let profile = Profile::builtin("kraft").unwrap();
    let snapshot = example(EXTERNAL);
    let planned = plan(&snapshot, Intent::AddNodes(3), &profile).unwrap();
    assert_eq!(planned.node_pool.after, PoolSize::External { nodes: 9 });
    assert!(!planned.node_pool.resizes());
    assert!(planned.node_pool.done_when().contains("kfscale adds none"));
    assert!(!planned.has_failed_checks(), "{:#?}", planned.prechecks);

    let text = plan_text(EXTERNAL);
    for expected in [
        "kfscale does not add these nodes: add 3 node(s)",
        "karpenter.sh/nodepool=kfuse",
    ] {
        assert!(text.contains(expected), "output lacks {expected:?}:\n{text}");
    }

    // One node of another instance type among them: named, and the plan stops.
    let mut odd = snapshot.clone();
    odd.kubernetes.nodes[4].instance_type = Some("r6i.2xlarge".into());
    let refused = plan(&odd, Intent::AddNodes(3), &profile).unwrap();
    let uniform = refused.prechecks.iter().find(|c| c.id == "pool-uniform").unwrap();
    assert_eq!(uniform.status, CheckStatus::Fail, "{uniform:?}");
    assert!(
        uniform.message.contains("ip-10-0-1-14.ec2.internal") && uniform.message.contains("r6i.2xlarge"),
        "{uniform:?}"
    );
}
