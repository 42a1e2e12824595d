//! One JSON contract (#17 item 2): `plan --json`, `show --json` and the plan file are one document
//! that `show` and `apply` read back; under `--json` every command's errors are diagnostic lines
//! on stdout (Terraform's shape) with the exit code unchanged; `apply --json` never prompts.
//! Each case runs the real binary; none needs a cluster.
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const EKS: &str = "examples/snapshots/eks-kraft-6-nodes.json";

fn kfscale(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .current_dir(dir)
        .env_remove("KFSCALE_CONFIG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn repo(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file).display().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Each stdout line as JSON.
fn lines(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}")))
        .collect()
}

/// The same JSON laid out over many lines, as `jq .` would: whitespace between tokens only.
fn reindented(json: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in json.chars() {
        out.push(c);
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, '{' | '[' | ',') {
            out.push_str("\n  ");
        } else if c == ':' {
            out.push(' ');
        }
    }
    out
}

fn is_rfc3339(value: &Value) -> bool {
    value.as_str().and_then(kfscale::time::parse_rfc3339).is_some()
}

#[test]
fn plan_json_show_json_and_the_plan_file_are_one_document_show_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scale.plan");
    let planned = kfscale(
        &[
            "plan",
            "--snapshot",
            &repo(EKS),
            "--add-nodes",
            "3",
            "--json",
            "-out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    let saved = std::fs::read(&out).unwrap();
    assert_eq!(planned.stdout, saved, "plan --json prints the plan file byte for byte");
    let document: Value = serde_json::from_slice(&planned.stdout).unwrap();
    assert_eq!(
        (document["kind"].as_str(), document["format_version"].as_u64()),
        (Some("kfscale-plan"), Some(1))
    );

    // What `plan --json` printed is a plan `show` reads, in every format, and shows the same.
    let printed = dir.path().join("printed.json");
    std::fs::write(&printed, &planned.stdout).unwrap();
    for format in ["text", "json", "markdown"] {
        let from_file = kfscale(&["show", out.to_str().unwrap(), "--format", format], dir.path());
        let from_stdout = kfscale(&["show", printed.to_str().unwrap(), "--format", format], dir.path());
        assert!(from_stdout.status.success(), "{format}: {}", text(&from_stdout.stderr));
        let shown = |o: &Output, path: &Path| text(&o.stdout).replace(path.to_str().unwrap(), "PLAN");
        assert_eq!(shown(&from_file, &out), shown(&from_stdout, &printed), "{format}");
    }
    let json = kfscale(&["show", printed.to_str().unwrap(), "--json"], dir.path());
    assert_eq!(json.stdout, saved, "show --json is the same document");

    // Re-indented (`jq .`), it is still the plan: only the layout changed.
    let pretty = dir.path().join("pretty.json");
    std::fs::write(&pretty, reindented(&text(&saved))).unwrap();
    assert!(std::fs::read_to_string(&pretty).unwrap().lines().count() > 100);
    let shown = kfscale(&["show", pretty.to_str().unwrap(), "--json"], dir.path());
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert_eq!(shown.stdout, saved);
}

#[test]
fn a_failed_precheck_prints_the_plan_then_an_error_line_and_show_still_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut snapshot: Value = serde_json::from_str(&std::fs::read_to_string(repo(EKS)).unwrap()).unwrap();
    snapshot["helm"]["status"] = "pending-upgrade".into();
    let file = dir.path().join("pending.json");
    std::fs::write(&file, snapshot.to_string()).unwrap();
    let output = kfscale(
        &[
            "plan",
            "--snapshot",
            file.to_str().unwrap(),
            "--add-nodes",
            "3",
            "--json",
            "-out",
            "p.plan",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = lines(&output);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["kind"], "kfscale-plan");
    let error = &lines[1];
    assert_eq!(error["type"], "diagnostic");
    let summary = error["diagnostic"]["summary"].as_str().unwrap();
    assert!(summary.starts_with("a pre-check failed: helm-status: "), "{summary}");
    let detail = error["diagnostic"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("helm rollback") && detail.contains("No plan file was written to p.plan"),
        "{detail}"
    );
    assert!(!dir.path().join("p.plan").exists());

    let printed = dir.path().join("printed.json");
    std::fs::write(&printed, &output.stdout).unwrap();
    let shown = kfscale(&["show", printed.to_str().unwrap()], dir.path());
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        text(&shown.stdout).contains("✗ FAIL  helm-status"),
        "{}",
        text(&shown.stdout)
    );
}

#[test]
fn an_older_bare_plan_and_text_after_the_plan_are_refused_naming_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let saved = std::fs::read_to_string(repo("examples/plans/eks-kraft-6-to-9.plan.json")).unwrap();
    let document: Value = serde_json::from_str(&saved).unwrap();
    let bare = dir.path().join("bare.json");
    std::fs::write(&bare, serde_json::to_string_pretty(&document["plan"]).unwrap()).unwrap();
    let output = kfscale(&["show", bare.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("is a bare plan, as an older `kfscale plan --json` printed it")
            && stderr.contains("fix: make the plan again"),
        "{stderr}"
    );
    assert!(!stderr.contains("truncated or damaged"), "{stderr}");

    let trailing = dir.path().join("trailing.json");
    std::fs::write(&trailing, format!("{saved}{{\"event\":\"planned\"}}\n")).unwrap();
    let output = kfscale(&["show", trailing.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("trailing.json:2: only kfscale's error lines may follow the plan"),
        "{stderr}"
    );
}

#[test]
fn every_json_command_reports_its_errors_as_diagnostic_lines_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 10] = [
        &["plan", "--add-nodes", "3", "--json"],
        &["plan", "--snapshot", "missing.json", "--nodes", "9", "-json"],
        &["apply", "--json", "--auto-approve", "--nodes", "9"],
        &["show", "missing.plan", "--format", "json"],
        &["status", "--json"],
        &["verify", "--json"],
        &["propose", "missing.plan", "--json"],
        &["redact", "--values", "missing.yaml", "--json"],
        &["state", "show", "node_pool", "--json"],
        // Found before the arguments parse.
        &["plan", "--json", "--no-such-flag"],
    ];
    for args in cases {
        let json = kfscale(args, dir.path());
        assert_eq!(json.status.code(), Some(1), "{args:?}: {}", text(&json.stdout));
        let lines = lines(&json);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:#?}");
        let line = &lines[0];
        assert_eq!(
            (
                &line["@level"],
                &line["@module"],
                &line["type"],
                &line["diagnostic"]["severity"]
            ),
            (
                &"error".into(),
                &"kfscale".into(),
                &"diagnostic".into(),
                &"error".into()
            ),
            "{args:?}: {line}"
        );
        let summary = line["diagnostic"]["summary"].as_str().unwrap();
        assert_eq!(line["@message"], format!("Error: {summary}"), "{args:?}");
        assert!(!summary.is_empty() && !summary.contains("fix:"), "{args:?}: {summary}");
        assert!(
            line["diagnostic"]["detail"].as_str().unwrap().starts_with("fix: "),
            "{args:?}: {line}"
        );
        assert!(is_rfc3339(&line["@timestamp"]), "{args:?}: {line}");
        assert!(
            !text(&json.stderr).contains("Error"),
            "{args:?}: {}",
            text(&json.stderr)
        );

        // Without --json: the same exit code, the error on stderr, stdout empty.
        let plain: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| !["--json", "-json"].contains(a))
            .map(|a| if a == "json" { "text" } else { a })
            .collect();
        let human = kfscale(&plain, dir.path());
        assert_eq!(human.status.code(), Some(1), "{plain:?}");
        assert!(human.stdout.is_empty(), "{plain:?}: {}", text(&human.stdout));
        assert!(text(&human.stderr).to_lowercase().contains("error"), "{plain:?}");
    }
}

#[test]
fn apply_json_without_auto_approve_or_a_plan_file_is_refused_before_anything_is_contacted() {
    let dir = tempfile::tempdir().unwrap();
    // An API server that would see any connection.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    server.set_nonblocking(true).unwrap();
    let port = server.local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("kubeconfig"),
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\n\
             users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("kfscale.yaml"),
        "cluster:\n  aws: {region: us-east-1, cluster: acme, nodegroup: kfuse}\nkubernetes: {kubeconfig: kubeconfig}\n",
    )
    .unwrap();
    for args in [
        &["apply", "--json", "--nodes", "9"][..],
        &["apply", "-json"],
        &["apply", "--json", "--add-nodes", "3"],
    ] {
        let output = kfscale(args, dir.path());
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let lines = lines(&output);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:#?}");
        let diagnostic = &lines[0]["diagnostic"];
        assert!(
            diagnostic["summary"]
                .as_str()
                .unwrap()
                .contains("cannot ask for approval"),
            "{diagnostic}"
        );
        let detail = diagnostic["detail"].as_str().unwrap();
        assert!(
            detail.contains("--auto-approve") && detail.contains("-out FILE"),
            "{detail}"
        );
        assert!(server.accept().is_err(), "{args:?}: the API server was contacted");
        assert!(
            !dir.path().join(".kfscale").exists(),
            "{args:?}: the state directory was touched"
        );
    }
}
