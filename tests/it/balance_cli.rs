//! `kfscale kafka-balance` end to end: the built binary on files in tests/data/balance/.
use crate::balance_check as check;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kfscale::balance::BalanceRequest;
use kfscale::balance::tool_json::{brokers_with_racks, parse_assignment};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/balance")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .arg("kafka-balance")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kfscale")
}

fn run_file(file: &Path, brokers: &str, extra: &[&str]) -> Output {
    let mut args = vec!["--assignment", file.to_str().expect("utf-8 path"), "--brokers", brokers];
    args.extend_from_slice(extra);
    run(&args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The checks `kafka-reassign-partitions --execute` applies to its file
/// (ReassignPartitionsCommand.parsePartitionReassignmentData / parseExecuteAssignmentArgs):
/// version 1, a non-empty list, non-empty replica lists without duplicates, no partition twice,
/// `log_dirs` (if any) as long as `replicas`. Returns (topic, partition) -> replicas.
fn accepted_by_kafka(stdout: &[u8]) -> BTreeMap<(String, i64), Vec<i64>> {
    let json: Value = serde_json::from_slice(stdout).expect("stdout is JSON");
    assert_eq!(json["version"], 1);
    let partitions = json["partitions"].as_array().expect("partitions list");
    assert!(!partitions.is_empty(), "Kafka refuses an empty reassignment");
    let mut seen = BTreeMap::new();
    for p in partitions {
        let topic = p["topic"].as_str().expect("topic").to_string();
        let partition = p["partition"].as_i64().expect("partition");
        let replicas: Vec<i64> = p["replicas"]
            .as_array()
            .expect("replicas")
            .iter()
            .map(|r| r.as_i64().expect("broker id"))
            .collect();
        assert!(!replicas.is_empty());
        assert_eq!(replicas.iter().collect::<BTreeSet<_>>().len(), replicas.len());
        if let Some(dirs) = p.get("log_dirs") {
            assert_eq!(dirs.as_array().map(Vec::len), Some(replicas.len()));
        }
        assert!(
            seen.insert((topic, partition), replicas).is_none(),
            "duplicate partition"
        );
    }
    let keys: Vec<_> = seen.keys().cloned().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by topic then partition");
    seen
}

/// The input with the proposal applied.
fn applied(
    file: &Path,
    brokers: &[i32],
    racks: &[String],
    stdout: &[u8],
) -> (BalanceRequest, BTreeMap<check::Key, Vec<i32>>) {
    let partitions = parse_assignment(&std::fs::read_to_string(file).expect("read")).expect("parse");
    let request = BalanceRequest {
        partitions,
        brokers: brokers_with_racks(brokers, racks).expect("brokers"),
    };
    let mut assignment: BTreeMap<check::Key, Vec<i32>> = request
        .partitions
        .iter()
        .map(|p| ((p.topic.clone(), p.partition), p.replicas.clone()))
        .collect();
    for ((topic, partition), replicas) in accepted_by_kafka(stdout) {
        let key = (topic, partition as i32);
        assert!(assignment.contains_key(&key), "unknown partition {key:?}");
        assignment.insert(key, replicas.into_iter().map(|b| b as i32).collect());
    }
    (request, assignment)
}

#[test]
fn three_to_four_brokers_prints_a_kafka_reassignment_and_a_summary() {
    let file = data("three_brokers.json");
    let output = run_file(&file, "1,2,3,4", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (request, assignment) = applied(&file, &[1, 2, 3, 4], &[], &output.stdout);
    assert!(check::replicas_balanced(&request, &assignment));
    assert!(check::leaders_balanced(&request, &assignment));
    let summary = stderr(&output);
    // 48 replicas on 3 brokers -> 12 each on 4: 12 moves.
    assert!(summary.contains("replicas moved:   12 (lower bound 12"), "{summary}");
    assert!(summary.contains("leaders changed:"), "{summary}");
    assert!(summary.contains("0 -> 12"), "the new broker's row: {summary}");
    assert!(summary.contains("kafka-reassign-partitions"), "{summary}");
}

#[test]
fn output_is_deterministic() {
    let file = data("three_brokers.json");
    let first = run_file(&file, "1,2,3,4", &[]);
    let second = run_file(&file, "4,3,2,1", &[]);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.stderr, second.stderr);
}

#[test]
fn racks_keep_partitions_spread() {
    let file = data("three_brokers.json");
    let racks = ["1=az-a", "2=az-b", "3=az-c", "4=az-a"];
    let output = run_file(&file, "1,2,3,4", &["--racks", &racks.join(",")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let racks: Vec<String> = racks.iter().map(|r| r.to_string()).collect();
    let (request, assignment) = applied(&file, &[1, 2, 3, 4], &racks, &output.stdout);
    for replicas in assignment.values() {
        assert!(check::rack_valid(&request, replicas), "{replicas:?}");
    }
    assert!(stderr(&output).contains("(rack-aware)"));
}

#[test]
fn sizes_give_bytes_moved_and_small_partitions_move() {
    let output = run_file(&data("sized.json"), "1,2,3", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let moved = accepted_by_kafka(&output.stdout);
    // The two smallest partitions (0 and 1, 1 GiB and 2 GiB) go to the new broker.
    let names: Vec<i64> = moved.keys().map(|k| k.1).collect();
    assert_eq!(names, vec![0, 1]);
    assert!(
        stderr(&output).contains("bytes moved:      3 GiB"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn new_partitions_are_left_out_of_the_reassignment_and_explained() {
    let output = run_file(&data("growing.json"), "1,2,3,4", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("\"partition\":3"), "{text}");
    let summary = stderr(&output);
    assert!(
        summary.contains("kafka-topics --bootstrap-server HOST:PORT --alter --topic traces --partitions 4 --replica-assignment 1,2,3,4"),
        "{summary}"
    );
    assert!(summary.contains("nothing to reassign"), "{summary}");
}

#[test]
fn balanced_input_prints_an_empty_reassignment() {
    let output = run_file(&data("balanced.json"), "1,2", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["partitions"].as_array().map(Vec::len), Some(0));
    assert!(stderr(&output).contains("nothing to reassign"));
}

/// Exit 1, nothing on stdout, and an error that names the place and the fix.
fn assert_fails(output: &Output, expected: &[&str]) {
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    assert!(output.stdout.is_empty(), "stdout must stay empty");
    let message = stderr(output);
    assert!(message.starts_with("Error: "), "{message}");
    for part in expected {
        assert!(message.contains(part), "missing {part:?} in {message}");
    }
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let file = data("malformed.json");
    let output = run_file(&file, "1,2", &[]);
    assert_fails(
        &output,
        &[
            "malformed.json",
            "line 3 column 1",
            "expected Kafka's reassignment format",
        ],
    );
}

#[test]
fn missing_field_is_named() {
    let output = run_file(&data("missing_replicas.json"), "1,2", &[]);
    assert_fails(
        &output,
        &["missing_replicas.json", "line 2", "missing field `replicas`"],
    );
}

#[test]
fn wrong_version_and_topics_file_are_explained() {
    assert_fails(
        &run_file(&data("version_2.json"), "1", &[]),
        &["version_2.json", "unsupported \"version\": 2", "set \"version\": 1"],
    );
    assert_fails(
        &run_file(&data("topics_to_move.json"), "1", &[]),
        &["topics_to_move.json", "topics-to-move file", "--generate"],
    );
}

#[test]
fn partition_errors_name_the_partition() {
    assert_fails(
        &run_file(&data("duplicate_partition.json"), "1,2", &[]),
        &["duplicate_partition.json", "partition a-0 appears twice"],
    );
    assert_fails(
        &run_file(&data("duplicate_replica.json"), "1,2", &[]),
        &["partition a-0 lists broker 1 twice"],
    );
    assert_fails(
        &run_file(&data("unknown_broker.json"), "1,2", &[]),
        &[
            "unknown_broker.json",
            "partition a-0 is on broker 7",
            "add broker 7 to the broker list",
        ],
    );
    let output = run_file(&data("rf_too_high.json"), "1,2", &[]);
    assert_fails(
        &output,
        &[
            "partition a-0 has replication factor 3 but only 2 brokers",
            "add brokers",
        ],
    );
}

#[test]
fn broker_and_rack_errors_name_the_flag() {
    let file = data("three_brokers.json");
    assert_fails(
        &run(&["--assignment", file.to_str().unwrap(), "--brokers=-1,2"]),
        &["--brokers", "negative"],
    );
    assert_fails(
        &run_file(&file, "1,2,3,3", &[]),
        &["--brokers", "broker 3 appears twice"],
    );
    assert_fails(
        &run_file(&file, "1,2,3", &["--racks", "1:a"]),
        &["--racks", "not of the form id=rack"],
    );
    assert_fails(
        &run_file(&file, "1,2,3", &["--racks", "9=a"]),
        &["--racks", "broker 9, which is not in the broker list"],
    );
    assert_fails(
        &run_file(&file, "1,2,3", &["--racks", "1=a,2=b"]),
        &[
            "--brokers/--racks",
            "brokers [1, 2] have a rack but brokers [3] have none",
        ],
    );
    // clap reports unparsable ids itself (its own "error:" prefix), also with exit 1.
    let output = run_file(&file, "1,x", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("invalid value 'x' for '--brokers"));
}

#[test]
fn unreadable_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope.json");
    assert_fails(
        &run_file(&missing, "1", &[]),
        &["nope.json: cannot read the assignment file"],
    );
}

#[test]
fn large_generated_input_round_trips() {
    // 60 topics on 6 brokers -> 9, written to a temp file.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("current.json");
    let mut entries = Vec::new();
    for t in 0..60 {
        for p in 0..24 {
            let rf = 1 + t % 3;
            let replicas: Vec<String> = (0..rf).map(|j| (1 + (p + j + t) % 6).to_string()).collect();
            entries.push(format!(
                "{{\"topic\":\"t{t:02}\",\"partition\":{p},\"replicas\":[{}]}}",
                replicas.join(",")
            ));
        }
    }
    std::fs::write(
        &file,
        format!("{{\"version\":1,\"partitions\":[{}]}}", entries.join(",")),
    )
    .expect("write");
    let output = run_file(&file, "1,2,3,4,5,6,7,8,9", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let brokers: Vec<i32> = (1..=9).collect();
    let (request, assignment) = applied(&file, &brokers, &[], &output.stdout);
    assert!(check::replicas_balanced(&request, &assignment));
    assert!(check::leaders_balanced(&request, &assignment));
}
