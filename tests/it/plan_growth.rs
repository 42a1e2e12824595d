//! Kafka partitions grow by the node ratio and the expected growth in volume, per stream (#16
//! item 9): the real binary on the bundled EKS snapshot (6 -> 9 nodes, nine topics of 24
//! partitions). The default stays (n+m)/n; `--expected-growth F` multiplies it; kfscale.yaml's
//! `partition_growth` sets it per topic, per stream or for all, the most specific winning (topic >
//! stream > flag > partition_growth.expected); a bad setting is refused and nothing is written.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const EKS: &str = "examples/snapshots/eks-kraft-6-nodes.json";

fn snapshot() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(EKS).display().to_string()
}

/// kfscale in `dir`, with no config, kubeconfig or cloud of the machine running the tests.
fn kfscale_in(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"));
    for var in ["KFSCALE_CONFIG", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"] {
        command.env_remove(var);
    }
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `kfscale plan --snapshot EKS --add-nodes 3 --json ARGS` in `dir`: the plan document.
fn plan_json(dir: &Path, args: &[&str]) -> Value {
    let snapshot = snapshot();
    let mut all = vec!["plan", "--snapshot", snapshot.as_str(), "--add-nodes", "3", "--json"];
    all.extend_from_slice(args);
    let output = kfscale_in(dir, &all);
    assert!(output.status.success(), "{}", stderr(&output));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    document["plan"].clone()
}

/// Topic -> (partitions after, the setting its expected growth came from).
fn topics(plan: &Value) -> BTreeMap<String, (u64, Option<String>)> {
    plan["values"]["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|topic| {
            let set_by = topic["expected_growth"]["set_by"].as_str().map(str::to_string);
            (
                topic["topic"].as_str().unwrap().to_string(),
                (topic["partitions_after"].as_u64().unwrap(), set_by),
            )
        })
        .collect()
}

fn after(plan: &Value, topic: &str) -> u64 {
    topics(plan)[topic].0
}

fn set_by(plan: &Value, topic: &str) -> Option<String> {
    topics(plan)[topic].1.clone()
}

/// A kfscale.yaml of nothing but `partition_growth` (a snapshot needs no cluster).
fn config(dir: &Path, name: &str, growth: &str) -> String {
    std::fs::write(dir.join(name), format!("partition_growth:\n{growth}")).unwrap();
    name.to_string()
}

#[test]
fn growth_by_default_is_the_node_ratio_alone() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_json(dir.path(), &[]);
    let topics = topics(&plan);
    assert_eq!(topics.len(), 9);
    for (topic, (after, set_by)) in &topics {
        assert_eq!(*after, 36, "{topic}: 24 × 9/6");
        assert_eq!(*set_by, None, "{topic}");
    }
    assert!(
        plan.get("expected_growth").is_none(),
        "nothing recorded when nothing is set"
    );
    assert_eq!(plan["kafka"]["partitions_created"], 9 * 12);
}

#[test]
fn growth_flag_multiplies_the_node_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_json(dir.path(), &["--expected-growth", "1.5"]);
    for (topic, (after, set_by)) in topics(&plan) {
        assert_eq!(after, 54, "{topic}: 24 × 9/6 × 1.5");
        assert_eq!(set_by.as_deref(), Some("--expected-growth"), "{topic}");
    }
    assert_eq!(plan["expected_growth"]["flag"], 1.5, "the plan records its input");
    assert_eq!(plan["kafka"]["partitions_created"], 9 * 30);

    let rounded = plan_json(dir.path(), &["--expected-growth", "1.3"]);
    assert_eq!(
        after(&rounded, "kf_logs_topic"),
        47,
        "24 × 9/6 × 1.3 = 46.8, rounded up"
    );

    // Planning the size the pool has grows nothing, whatever the expected growth.
    let snapshot = snapshot();
    let same = kfscale_in(
        dir.path(),
        &[
            "plan",
            "--snapshot",
            &snapshot,
            "--nodes",
            "6",
            "--expected-growth",
            "2",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert!(String::from_utf8_lossy(&same.stdout).contains("No changes."));

    // The human plan shows the arithmetic and the source on each topic.
    let text = kfscale_in(
        dir.path(),
        &[
            "plan",
            "--snapshot",
            &snapshot,
            "--add-nodes",
            "3",
            "--expected-growth",
            "1.5",
        ],
    );
    let text = String::from_utf8(text.stdout).unwrap();
    for expected in [
        "24 × 9/6 × 1.5 = 54; 1.5 = expected growth (--expected-growth)",
        "+ topic kf_events_topic partitions 24 -> 54 (+30 created, no data copied; ×1.5 expected growth (--expected-growth))",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }

    // scale-values takes the flag too.
    let values = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/values/kraft-values.yaml");
    let output = kfscale_in(
        dir.path(),
        &[
            "scale-values",
            "--values",
            values.to_str().unwrap(),
            "--from-nodes",
            "6",
            "--to-nodes",
            "9",
            "--expected-growth",
            "1.5",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let new = String::from_utf8(output.stdout).unwrap();
    assert!(
        new.contains("{name: kf_logs_topic, partitions: 54, replicationFactor: 1}"),
        "{new}"
    );
}

#[test]
fn growth_settings_topic_beats_stream_beats_flag_beats_expected() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        "kfscale.yaml",
        "  expected: 1.2\n  streams:\n    logs: 2\n    metrics: 1.25\n  topics:\n    kf_logs_topic: 3\n",
    );
    let with_flag = plan_json(dir.path(), &["--config", &file, "--expected-growth", "1.5"]);
    let expect = |plan: &Value, topic: &str, partitions: u64, source: &str| {
        assert_eq!(
            (after(plan, topic), set_by(plan, topic).as_deref()),
            (partitions, Some(source)),
            "{topic}"
        );
    };
    expect(
        &with_flag,
        "kf_logs_topic",
        108,
        "partition_growth.topics.kf_logs_topic",
    ); // 24 × 9/6 × 3
    expect(&with_flag, "logs_ingest_topic", 72, "partition_growth.streams.logs"); // × 2
    expect(
        &with_flag,
        "kf_metrics_rollup_topic",
        45,
        "partition_growth.streams.metrics",
    ); // × 1.25
    expect(&with_flag, "kf_traces_topic", 54, "--expected-growth"); // × 1.5
    expect(&with_flag, "kf_events_topic", 54, "--expected-growth");
    assert_eq!(with_flag["expected_growth"]["flag"], 1.5);
    assert_eq!(with_flag["expected_growth"]["settings"]["streams"]["logs"], 2.0);

    let without_flag = plan_json(dir.path(), &["--config", &file]);
    expect(
        &without_flag,
        "kf_logs_topic",
        108,
        "partition_growth.topics.kf_logs_topic",
    );
    expect(
        &without_flag,
        "kf_logs_metric_topic",
        72,
        "partition_growth.streams.logs",
    );
    expect(&without_flag, "kf_traces_topic", 44, "partition_growth.expected"); // 43.2 rounded up
    expect(&without_flag, "kf_events_topic", 44, "partition_growth.expected");

    let notes: Vec<&str> = with_flag["values"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("it replaces partition_growth.expected 1.2 for this plan")),
        "{notes:?}"
    );
}

#[test]
fn growth_plan_files_record_it_and_apply_refuses_a_changed_setting() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), "kfscale.yaml", "  streams: {traces: 2}\n");
    let snapshot = snapshot();
    let output = kfscale_in(
        dir.path(),
        &[
            "plan",
            "--snapshot",
            &snapshot,
            "--add-nodes",
            "3",
            "--config",
            &file,
            "--expected-growth",
            "1.5",
            "-out",
            "g.plan",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let markdown = kfscale_in(dir.path(), &["show", "g.plan", "--format", "markdown"]);
    let markdown = String::from_utf8(markdown.stdout).unwrap();
    for expected in [
        "`--add-nodes 3` `--expected-growth 1.5`",
        "- topic `kf_traces_topic`: partitions 24 -> 72 (+48 created, no data copied; ×2 expected growth (partition_growth.streams.traces))",
        "- topic `kf_logs_topic`: partitions 24 -> 54 (+30 created, no data copied; ×1.5 expected growth (--expected-growth))",
    ] {
        assert!(markdown.contains(expected), "lacks {expected:?}:\n{markdown}");
    }

    // The setting changed since the plan: refused before anything is contacted.
    config(dir.path(), "kfscale.yaml", "  streams: {traces: 2.5}\n");
    let apply = kfscale_in(dir.path(), &["apply", "g.plan", "--config", &file, "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1));
    let err = stderr(&apply);
    assert!(
        err.contains("the saved plan g.plan is stale: kfscale.yaml changed since the plan was made (partition_growth.streams.traces: 2 in the plan, 2.5 now)")
            && err.contains("fix: make a new plan"),
        "{err}"
    );
    // A plan file carries its own expected growth.
    let both = kfscale_in(
        dir.path(),
        &["apply", "g.plan", "--config", &file, "--expected-growth", "2"],
    );
    assert_eq!(both.status.code(), Some(1));
    assert!(stderr(&both).contains("cannot be used with"), "{}", stderr(&both));
}

#[test]
fn growth_bad_values_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = snapshot();
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "--snapshot",
            snapshot.as_str(),
            "--add-nodes",
            "3",
            "-out",
            "x.plan",
        ];
        args.extend_from_slice(extra);
        let output = kfscale_in(dir.path(), &args);
        assert_ne!(output.status.code(), Some(0), "{extra:?} was accepted");
        assert!(
            output.stdout.is_empty(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(!dir.path().join("x.plan").exists(), "{extra:?} wrote a plan file");
        stderr(&output)
    };
    for (flag, words) in [
        ("0.5", "0.5 is below 1: it would shrink the partitions"),
        (
            "50%",
            "`50%` is a percentage, not a factor; for 50% more volume write 1.5",
        ),
        ("50", "50 is more than 10 times today's volume"),
        ("NaN", "not a number"),
    ] {
        let err = plan(&["--expected-growth", flag]);
        assert!(
            err.contains("--expected-growth") && err.contains(words),
            "{flag}: {err}"
        );
    }

    let bad = config(dir.path(), "bad.yaml", "  streams:\n    logs: 0.8\n");
    let err = plan(&["--config", &bad]);
    assert!(
        err.contains("bad.yaml:3: key `partition_growth.streams.logs`: 0.8 is below 1")
            && err.contains("write 1 for no growth beyond the node ratio")
            && err.contains("fix:"),
        "{err}"
    );

    let typo = config(
        dir.path(),
        "typo.yaml",
        "  streams: {apm: 2}\n  topics: {kf_logs_topik: 2}\n",
    );
    let err = plan(&["--config", &typo]);
    assert!(
        err.contains("typo.yaml: `partition_growth.streams.apm` names no stream of the profile")
            && err.contains(
                "`partition_growth.topics.kf_logs_topik` names a topic that is not in the values file's topic list"
            )
            && err.contains("fix: use a stream the profile has (events, logs, metrics, traces)"),
        "{err}"
    );
}
