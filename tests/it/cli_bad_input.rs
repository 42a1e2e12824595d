//! Bad input: every case exits 1 with a message that names the place and the fix, and writes nothing.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const EKS: &str = "examples/snapshots/eks-kraft-6-nodes.json";
const GKE: &str = "examples/snapshots/gke-legacy-3-nodes.json";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        for file in [EKS, GKE, "examples/values/kraft-values.yaml"] {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let name = Path::new(file).file_name().unwrap();
            std::fs::copy(source, dir.path().join(name)).unwrap();
        }
        Workspace { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        std::fs::write(self.path(name), contents).unwrap();
        name.to_string()
    }

    /// Every file's bytes: compared before and after to prove nothing was written.
    fn contents(&self) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    std::fs::read(entry.path()).unwrap(),
                )
            })
            .collect()
    }

    /// Runs kfscale in the workspace and asserts exit 1, each expected text on stderr, and no write.
    fn fails(&self, args: &[&str], expected: &[&str]) {
        let before = self.contents();
        let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?} should exit 1; stderr: {stderr}"
        );
        for text in expected {
            assert!(stderr.contains(text), "{args:?}: stderr lacks {text:?}:\n{stderr}");
        }
        assert_eq!(self.contents(), before, "{args:?} wrote or changed a file");
    }
}

/// `kfscale scale-values` arguments for a file, node counts and extra flags.
fn scale<'a>(file: &'a str, from: &'a str, to: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["scale-values", "--values", file, "--from-nodes", from, "--to-nodes", to];
    args.extend_from_slice(extra);
    args
}

fn snapshot_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EKS)).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut value);
    serde_json::to_string_pretty(&value).unwrap()
}

#[test]
fn bad_snapshots() {
    let ws = Workspace::new();
    ws.write(
        "truncated.json",
        &std::fs::read(ws.path("eks-kraft-6-nodes.json")).unwrap()[..5000],
    );
    ws.fails(
        &[
            "plan",
            "--snapshot",
            "truncated.json",
            "--add-nodes",
            "3",
            "-out",
            "p.plan",
        ],
        &["truncated.json:", "fix:"],
    );
    ws.write("garbage.json", [0xff, 0xfe, 0x00, 0x12, 0x80]);
    ws.fails(
        &["plan", "--snapshot", "garbage.json", "--add-nodes", "3"],
        &["garbage.json", "fix:"],
    );
    ws.fails(
        &["plan", "--snapshot", "missing.json", "--add-nodes", "3"],
        &["missing.json", "fix: check the path"],
    );
    let wrong_type = snapshot_with(|s| s["node_pool"]["desired_size"] = "six".into());
    ws.write("wrong-type.json", wrong_type);
    ws.fails(
        &["plan", "--snapshot", "wrong-type.json", "--add-nodes", "3"],
        &["wrong-type.json:", "node_pool", "fix:"],
    );
    let newer = snapshot_with(|s| s["format_version"] = 99.into());
    ws.write("newer.json", newer);
    ws.fails(
        &["plan", "--snapshot", "newer.json", "--add-nodes", "3"],
        &["newer than this kfscale", "upgrade kfscale"],
    );
    let bad_values = snapshot_with(|s| s["values"]["text"] = "global:\n  numNodes: 6\n  numNodes: 7\n".into());
    ws.write("dup-values.json", bad_values);
    ws.fails(
        &[
            "plan",
            "--snapshot",
            "dup-values.json",
            "--add-nodes",
            "3",
            "-out",
            "p.plan",
        ],
        &["values/kraft-values.yaml:3", "duplicate key `global.numNodes`", "fix:"],
    );
}

#[test]
fn bad_intents() {
    let ws = Workspace::new();
    ws.fails(
        &["plan", "--snapshot", "eks-kraft-6-nodes.json", "--add-nodes", "0"],
        &["adds nothing", "fix:"],
    );
    ws.fails(
        &[
            "plan",
            "--snapshot",
            "eks-kraft-6-nodes.json",
            "--nodes",
            "4",
            "-out",
            "p.plan",
        ],
        &["only scales out", "fix:"],
    );
    ws.fails(
        &["plan", "--snapshot", "eks-kraft-6-nodes.json", "--nodes", "-3"],
        &["--nodes"],
    );
    // #14 item 1: a count that wraps never becomes a scale-in, and nothing is saved.
    ws.fails(
        &[
            "plan",
            "--snapshot",
            "eks-kraft-6-nodes.json",
            "--add-nodes",
            "4294967295",
            "-out",
            "wrapped.plan",
        ],
        &["more nodes than any pool can hold", "fix:"],
    );
    assert!(!ws.path("wrapped.plan").exists(), "a refused plan was saved");
    // Past the provider's published per-group quota (EKS: 450 nodes per managed node group).
    ws.fails(
        &["plan", "--snapshot", "eks-kraft-6-nodes.json", "--nodes", "451"],
        &["past the 450 nodes", "max_nodes_per_group", "fix:"],
    );
    ws.fails(
        &["plan", "--snapshot", "eks-kraft-6-nodes.json"],
        &["--add-nodes", "--nodes"],
    );
    ws.fails(
        &[
            "plan",
            "--snapshot",
            "eks-kraft-6-nodes.json",
            "--add-nodes",
            "3",
            "--nodes",
            "9",
        ],
        &["cannot be used with"],
    );
}

#[test]
fn bad_values_for_scale_values() {
    let ws = Workspace::new();
    ws.fails(&scale("kraft-values.yaml", "0", "3", &[]), &["at least 1", "fix:"]);
    ws.fails(&scale("kraft-values.yaml", "6", "4", &[]), &["only scales out"]);
    ws.write("syntax.yaml", "global:\n  numNodes: 6\n kafka: [\n");
    ws.fails(
        &scale("syntax.yaml", "6", "9", &[]),
        &["syntax.yaml:", "YAML syntax error", "fix:"],
    );
    ws.write("words.yaml", "ingester:\n  replicaCount: six\n");
    ws.fails(
        &scale("words.yaml", "6", "9", &[]),
        &[
            "words.yaml:2",
            "`ingester.replicaCount` is `six`, not a whole number",
            "fix:",
        ],
    );
    ws.write("alias.yaml", "defaults: &r 3\ningester:\n  replicaCount: *r\n");
    ws.fails(&scale("alias.yaml", "6", "9", &[]), &["alias.yaml:", "alias", "fix:"]);
    ws.write("binary.yaml", [0u8, 159, 146, 150, 1, 2]);
    ws.fails(
        &scale("binary.yaml", "6", "9", &[]),
        &["binary.yaml", "not UTF-8", "fix:"],
    );
    ws.write("topics.yaml", "kafkaTopics:\n  replicas: 3\n");
    ws.fails(
        &scale("topics.yaml", "6", "9", &[]),
        &["topics.yaml:2", "not a list of topics"],
    );
    ws.fails(
        &scale("kraft-values.yaml", "6", "9", &["--profile", "nope"]),
        &["unknown built-in profile `nope`", "fix:"],
    );
    ws.write("bad-config.yaml", "profile:\n  kafka:\n    partition_factor: 0.5\n");
    ws.fails(
        &scale("kraft-values.yaml", "6", "9", &["--config", "bad-config.yaml"]),
        &["partition_factor", "fix:"],
    );
    ws.write("typo-config.yaml", "kubernetes:\n  namespace: kfuse\n  contxt: prod\n");
    ws.fails(
        &scale("kraft-values.yaml", "6", "9", &["--config", "typo-config.yaml"]),
        &["typo-config.yaml:3", "contxt", "fix:"],
    );
}

/// The example kfscale.yaml on a machine set up for it: its values file, the customer repo on
/// `main`, a kubeconfig with its context `acme-prod`, helm on PATH (a file that is only that).
fn machine_for_the_example() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    std::fs::create_dir_all(at("values")).unwrap();
    std::fs::create_dir_all(at("bin")).unwrap();
    std::fs::copy(root.join("examples/kfscale.yaml"), at("kfscale.yaml")).unwrap();
    std::fs::copy(
        root.join("examples/values/kraft-values.yaml"),
        at("values/kraft-values.yaml"),
    )
    .unwrap();
    std::fs::write(
        at("kubeconfig"),
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n\
         users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: acme-prod\n  context: {cluster: c, user: u}\n",
    )
    .unwrap();
    std::fs::write(at("bin/helm"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(at("bin/helm"), std::fs::Permissions::from_mode(0o755)).unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "."],
        &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ] {
        assert!(
            Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .status()
                .unwrap()
                .success()
        );
    }
    dir
}

#[test]
fn validate_prints_what_kfscale_would_use_and_names_bad_keys() {
    let machine = machine_for_the_example();
    let path = format!(
        "{}:{}",
        machine.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(["validate", "--config"])
        .arg(machine.path().join("kfscale.yaml"))
        .env("KUBECONFIG", machine.path().join("kubeconfig"))
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("EKS node group kfuse of cluster acme-prod in us-east-1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("port-forward to pods kafka-kraft-broker-0..2:9092"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was contacted"), "{stdout}");

    let ws = Workspace::new();
    ws.write("bad.yaml", "cluster:\n  aws: {region: us-east-1}\n");
    let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(["validate", "--config"])
        .arg(ws.path("bad.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bad.yaml:2") && stderr.contains("cluster.aws") && stderr.contains("missing field `cluster`"),
        "{stderr}"
    );
}

#[test]
fn verify_names_a_bad_grafana_section_before_contacting_anything() {
    let ws = Workspace::new();
    ws.fails(
        &["verify"],
        &["`kfscale verify` needs a kfscale.yaml", "fix: pass --config FILE"],
    );
    let config = ws.write(
        "kfscale.yaml",
        "kubernetes: {kubeconfig: no-such-kubeconfig}\ngrafana: {url: \"http://127.0.0.1:9\", token_file: missing-token}\n",
    );
    ws.fails(
        &["verify", "--config", &config],
        &[
            "kfscale.yaml: grafana.token_file",
            "missing-token",
            "fix: write the Grafana service account token",
        ],
    );
    let config = ws.write("kfscale.yaml", "grafana: {url: \"ftp://g\"}\n");
    ws.fails(&["verify", "--config", &config], &["grafana.url", "is invalid"]);
    let config = ws.write("kfscale.yaml", "grafana: {token_file: t}\n");
    ws.fails(&["verify", "--config", &config], &["url"]);
    let config = ws.write("kfscale.yaml", "validate: {lag_window_seconds: -1}\n");
    ws.fails(&["verify", "--config", &config], &["validate.lag_window_seconds is -1"]);
}
