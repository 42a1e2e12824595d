//! The committed JSON Schemas match the code, and the examples are valid against them.
use std::path::Path;
use std::process::Command;

use kfscale::values::{Document, json::to_json};

fn kfscale(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn read_json(path: &str) -> serde_json::Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
}

fn assert_valid(schema: &serde_json::Value, instance: &serde_json::Value, what: &str) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what} is not valid: {errors:#?}");
}

#[test]
fn committed_schemas_match_the_code() {
    for kind in ["snapshot", "plan", "config", "state", "diagnostic"] {
        let generated = kfscale(&["schema", kind]);
        assert!(generated.status.success());
        let committed =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("state/{kind}.schema.json")))
                .unwrap();
        assert_eq!(
            String::from_utf8(generated.stdout).unwrap(),
            committed,
            "state/{kind}.schema.json is stale: run `cargo run -q -- schema {kind} > state/{kind}.schema.json`"
        );
    }
}

#[test]
fn example_snapshots_are_valid() {
    let schema = read_json("state/snapshot.schema.json");
    for snapshot in [
        "examples/snapshots/eks-kraft-6-nodes.json",
        "examples/snapshots/gke-legacy-3-nodes.json",
    ] {
        assert_valid(&schema, &read_json(snapshot), snapshot);
    }
}

#[test]
fn example_config_is_valid() {
    let schema = read_json("state/config.schema.json");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kfscale.yaml")).unwrap();
    let document = Document::parse("examples/kfscale.yaml", &text).unwrap();
    assert_valid(&schema, &to_json(&document), "examples/kfscale.yaml");
    kfscale::config::Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kfscale.yaml")).unwrap();
}

#[test]
fn plan_json_is_valid() {
    let schema = read_json("state/plan.schema.json");
    for (snapshot, target) in [
        ("examples/snapshots/eks-kraft-6-nodes.json", "9"),
        ("examples/snapshots/gke-legacy-3-nodes.json", "4"),
    ] {
        let output = kfscale(&["plan", "--snapshot", snapshot, "--nodes", target, "--json"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(document["kind"], "kfscale-plan");
        assert_eq!(document["format_version"], 1);
        assert_eq!(document["plan"]["format_version"], 1);
        assert_valid(&schema, &document, snapshot);
    }
    let example = "examples/plans/eks-kraft-6-to-9.plan.json";
    assert_valid(&schema, &read_json(example), example);
}

#[test]
fn a_json_error_line_is_valid() {
    let schema = read_json("state/diagnostic.schema.json");
    let output = kfscale(&["show", "no-such-plan.json", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_valid(&schema, &line, "show's error line");
}

#[test]
fn the_sandbox_config_is_a_valid_kfscale_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sandbox-config"))
        .arg(dir.path())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:5000")
        .env("KUBECONFIG", "/tmp/rig/kubeconfig")
        .env("KFSCALE_RIG_HELM", "/cache/helm")
        .env("KFSCALE_RIG_CHART", "oci://127.0.0.1:5001/kfuse-helm/kfuse")
        .env("KFSCALE_RIG_KAFKA_BOOTSTRAP", "127.0.0.1:9101,127.0.0.1:9102")
        .env("KFSCALE_RIG_PINOT_URL", "http://127.0.0.1:9000")
        .env("KFSCALE_RIG_GRAFANA_URL", "http://127.0.0.1:3000")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let path = dir.path().join("kfscale.yaml");
    std::fs::write(&path, &output.stdout).unwrap();
    let config = kfscale::config::Config::load(&path).unwrap();
    assert!(config.helm.plain_http);
    assert_eq!(config.profile_base(), Some("kraft"));
    assert_eq!(
        config.kafka.map(|k| k.bootstrap),
        Some(vec!["127.0.0.1:9101".to_string(), "127.0.0.1:9102".to_string()])
    );
    assert_eq!(config.pinot.url.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(config.grafana.map(|g| g.url), Some("http://127.0.0.1:3000".to_string()));
}
