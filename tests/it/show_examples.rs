//! `kfscale show` on the committed example plan (examples/plans/, made from the bundled EKS
//! snapshot): the Markdown review document matches its golden file byte for byte, the JSON carries
//! the plan file's own checksum, and a damaged plan is refused. `KFSCALE_UPDATE_GOLDEN=1` rewrites
//! the golden file (review the diff before committing it).
use std::path::Path;
use std::process::{Command, Output};

use kfscale::files::read_snapshot;
use kfscale::files::write_plan_file;
use kfscale::plan::{Intent, plan};
use kfscale::profile::Profile;

const PLAN: &str = "examples/plans/eks-kraft-6-to-9.plan.json";
const GOLDEN: &str = "examples/plans/eks-kraft-6-to-9.md";

fn kfscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_example_plan_is_what_plan_makes_of_the_example_snapshot() {
    // Keeps the committed plan honest: a planner change that alters it fails here, not silently.
    let snapshot = read_snapshot(&repo("examples/snapshots/eks-kraft-6-nodes.json")).unwrap();
    let made = plan(&snapshot, Intent::AddNodes(3), &Profile::builtin("kraft").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("plan.json");
    write_plan_file(&fresh, &made).unwrap();
    assert_eq!(
        std::fs::read_to_string(&fresh).unwrap(),
        std::fs::read_to_string(repo(PLAN)).unwrap(),
        "regenerate it: kfscale plan --snapshot examples/snapshots/eks-kraft-6-nodes.json --add-nodes 3 --out {PLAN}"
    );
}

#[test]
fn the_markdown_report_matches_its_golden_file() {
    let output = kfscale(&["show", PLAN, "--format", "markdown"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let markdown = String::from_utf8(output.stdout).unwrap();
    if std::env::var_os("KFSCALE_UPDATE_GOLDEN").is_some() {
        std::fs::write(repo(GOLDEN), &markdown).unwrap();
    }
    let golden = std::fs::read_to_string(repo(GOLDEN)).unwrap();
    assert!(
        markdown == golden,
        "the Markdown report differs from {GOLDEN}; rerun with KFSCALE_UPDATE_GOLDEN=1 and review the diff"
    );
}

#[test]
fn the_markdown_report_is_well_formed_for_a_pull_request() {
    let markdown = std::fs::read_to_string(repo(GOLDEN)).unwrap();
    // Every table row has its header's number of cells (pipes inside cells are escaped).
    let mut columns = None;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        match columns {
            None => columns = Some(cells),
            Some(expected) => assert_eq!(cells, expected, "row with a different cell count: {line}"),
        }
    }
    // The values diff is one fenced block whose lines are all diff lines.
    let diff = markdown
        .split("```diff\n")
        .nth(1)
        .expect("a fenced diff")
        .split("\n```")
        .next()
        .unwrap();
    assert!(diff.starts_with("--- values/kraft-values.yaml\n+++ values/kraft-values.yaml (planned)\n"));
    for line in diff.lines() {
        assert!(
            line.is_empty() || ["+", "-", " ", "@@"].iter().any(|p| line.starts_with(p)),
            "not a diff line: {line:?}"
        );
    }
    for section in [
        "## kfscale plan: EKS node group kfuse (cluster acme-prod, us-east-1) from 6 to 9 nodes",
        "### Pre-checks",
        "### Node pool:",
        "### Values file `values/kraft-values.yaml`: 27 change(s)",
        "### Kafka: 6 -> 9 brokers",
        "**Reassignment:** 6 replica move(s) (lower bound 6)",
        "| 106 (new) | 0 | 38 |",
        "### Pinot",
        "| `kf_metrics_REALTIME` | REALTIME | 6 | 9 |",
        "### What the plan was made against",
        "```sh\nkfscale apply examples/plans/eks-kraft-6-to-9.plan.json\n```",
    ] {
        assert!(markdown.contains(section), "missing: {section}");
    }
}

#[test]
fn json_and_text_carry_the_plan_files_own_fingerprint() {
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(repo(PLAN)).unwrap()).unwrap();
    let checksum = file["checksum"].as_str().unwrap();
    let output = kfscale(&["show", PLAN, "--format", "json"]);
    assert!(output.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["checksum"], checksum);
    assert_eq!(shown["plan"], file["plan"]);
    let json_flag = kfscale(&["show", PLAN, "-json"]);
    assert_eq!(json_flag.stdout, output.stdout, "-json is --format json");

    let text = String::from_utf8(kfscale(&["show", PLAN]).stdout).unwrap();
    assert!(text.starts_with("kfscale plan: EKS node group kfuse"), "{text}");
    assert!(
        text.ends_with(&format!(
            "Plan fingerprint {checksum}. To apply exactly this plan: kfscale apply {PLAN}\n"
        )),
        "{text}"
    );
    let markdown = String::from_utf8(kfscale(&["show", PLAN, "--format", "markdown"]).stdout).unwrap();
    assert!(markdown.contains(&format!("| Plan fingerprint | `{checksum}` |")));
}

#[test]
fn a_damaged_plan_is_refused_naming_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let edited = dir.path().join("edited.json");
    let text = std::fs::read_to_string(repo(PLAN)).unwrap();
    std::fs::write(&edited, text.replacen("\"to_nodes\":9", "\"to_nodes\":19", 1)).unwrap();
    let output = kfscale(&["show", edited.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("checksum mismatch") && stderr.contains("kfscale plan -out FILE"),
        "{stderr}"
    );
    let missing = kfscale(&["show", "no-such-plan.json"]);
    assert_eq!(missing.status.code(), Some(1));
    let bad_format = kfscale(&["show", PLAN, "--format", "html"]);
    assert_eq!(bad_format.status.code(), Some(1));
}

#[test]
fn the_kafka_rollback_puts_each_moved_partition_back_on_its_old_replicas() {
    let output = kfscale(&["show", PLAN, "--format", "kafka-rollback"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rollback: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rollback["version"], 1);
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(repo(PLAN)).unwrap()).unwrap();
    let changes = plan["plan"]["kafka"]["reassignment"]["changes"].as_array().unwrap();
    let moved: Vec<_> = changes
        .iter()
        .filter(|c| !c["old_replicas"].as_array().unwrap().is_empty())
        .map(|c| (c["topic"].clone(), c["partition"].clone(), c["old_replicas"].clone()))
        .collect();
    let back: Vec<_> = rollback["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["topic"].clone(), p["partition"].clone(), p["replicas"].clone()))
        .collect();
    assert!(!moved.is_empty(), "the example plan moves replicas");
    assert!(
        moved.len() < changes.len(),
        "and creates partitions, which cannot be rolled back"
    );
    assert_eq!(back, moved);
}
