//! The command line's surface as operators of other tools expect it (#17 items 3, 5, 6):
//! completions, the manual page, `--version`, `kfscale schema`, Terraform's spellings
//! (`-lock-timeout`, hints for its other flags, `state list`/`state show`, the note after a plan
//! without `-out`), kubectl's `--kubeconfig`/`--context`/`-n` and KFSCALE_CONFIG. Each case runs
//! the real binary; none needs a cluster (the API server named is 127.0.0.1 with nothing there).
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kfscale::state::{
    ApplyRun, RunStatus, STATE_FORMAT_VERSION, State, StepName, StepRecord, StepStatus, encode_state,
};

fn kfscale(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
    command.args(args).current_dir(dir).env_remove("KFSCALE_CONFIG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn example(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file).display().to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A kubeconfig with two contexts whose API server is a closed port on 127.0.0.1.
const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: 'https://127.0.0.1:9'}
users:
- name: nobody
  user: {token: t}
contexts:
- name: staging
  context: {cluster: nowhere, user: nobody, namespace: kfuse}
- name: production
  context: {cluster: nowhere, user: nobody, namespace: kfuse}
current-context: staging
";

/// A workspace: kfscale.yaml (EKS cluster acme-prod in us-east-1) and the kubeconfig above.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubeconfig"), KUBECONFIG).unwrap();
    std::fs::copy(
        example("examples/values/kraft-values.yaml"),
        dir.path().join("values.yaml"),
    )
    .unwrap();
    // helm: a file that is only that (validate checks it is there, nothing runs it).
    let helm = dir.path().join("helm");
    std::fs::write(&helm, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&helm, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("kfscale.yaml"),
        format!(
            "cluster:\n  aws: {{region: us-east-1, cluster: acme-prod, nodegroup: kfuse}}\n\
             kubernetes: {{kubeconfig: kubeconfig}}\nvalues: {{file: values.yaml}}\n\
             helm: {{chart: oci://registry.example/kfuse, binary: {}}}\n",
            helm.display()
        ),
    )
    .unwrap();
    dir
}

#[test]
fn completions_are_generated_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "_kfscale()"),
        ("zsh", "#compdef kfscale"),
        ("fish", "complete -c kfscale"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = kfscale(&["completions", shell], dir.path(), &[]);
        let script = stdout(&output);
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr(&output));
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        assert!(
            script.contains("lock-timeout"),
            "{shell}: the script lacks apply's flags"
        );
    }
    let output = kfscale(&["completions", "tcsh"], dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_manual_page_is_printed_or_written_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let output = kfscale(&["man"], dir.path(), &[]);
    let page = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(page.contains(".TH kfscale 1"), "{page}");
    assert!(page.contains("kfscale\\-plan(1)") || page.contains("plan"), "{page}");

    let pages = dir.path().join("man1");
    let output = kfscale(&["man", "--out-dir", pages.to_str().unwrap()], dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for page in ["kfscale.1", "kfscale-plan.1", "kfscale-apply.1", "kfscale-state-show.1"] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap_or_default();
        assert!(text.starts_with(".ie \\n(.g") || text.contains(".TH"), "{page}: {text}");
    }
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let dir = tempfile::tempdir().unwrap();
    let output = kfscale(&["--version"], dir.path(), &[]);
    let text = stdout(&output);
    // kfscale 0.1.0 (commit 0123456789ab, built 2026-12-06)
    let rest = text
        .trim()
        .strip_prefix(&format!("kfscale {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{text}"));
    let (commit, rest) = rest.split_once(", built ").unwrap_or_else(|| panic!("{text}"));
    let date = rest.strip_suffix(')').unwrap_or_else(|| panic!("{text}"));
    assert!(
        commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{text}"
    );
    let parts: Vec<&str> = date.split('-').collect();
    assert!(
        parts.len() == 3 && [4, 2, 2] == [parts[0].len(), parts[1].len(), parts[2].len()],
        "{text}"
    );
    // This checkout has git: the commit is its HEAD's.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|out| out.status.success());
    if let Some(head) = head {
        assert_eq!(commit, String::from_utf8_lossy(&head.stdout).trim(), "{text}");
    }
}

#[test]
fn schema_is_listed_and_named_by_the_errors_about_a_key() {
    let dir = workspace();
    let help = stdout(&kfscale(&["--help"], dir.path(), &[]));
    assert!(help.contains("schema"), "{help}");
    let output = kfscale(&["schema", "config"], dir.path(), &[]);
    assert!(stdout(&output).contains("\"kubernetes\""));

    let config = dir.path().join("kfscale.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text + "kubernetes_typo: {}\n").unwrap();
    let output = kfscale(&["validate"], dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("`kfscale schema config`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn terraform_flags_kfscale_lacks_get_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = example("examples/snapshots/eks-kraft-6-nodes.json");
    for flag in ["-target=module.kafka", "-refresh-only", "-var", "-chdir=/tmp"] {
        let output = kfscale(
            &["plan", "--snapshot", &snapshot, "--add-nodes", "3", flag],
            dir.path(),
            &[],
        );
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{flag}: {text}");
        let name = flag.split('=').next().unwrap();
        assert!(
            text.contains(&format!("`{name}` is a Terraform flag kfscale does not have")),
            "{text}"
        );
        assert!(!text.contains("unexpected argument"), "{text}");
        assert!(text.contains("fix: "), "{text}");
    }
    let output = kfscale(&["apply", "-lock-timeout=soon"], dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("not a duration"), "{}", stderr(&output));
}

#[test]
fn a_plan_without_out_says_so_as_terraform_does() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = example("examples/snapshots/eks-kraft-6-nodes.json");
    let note = "Note: You didn't use the -out option to save this plan";
    let output = kfscale(&["plan", "--snapshot", &snapshot, "--add-nodes", "3"], dir.path(), &[]);
    assert!(
        stdout(&output)
            .trim_end()
            .ends_with("if you run \"kfscale apply\" now."),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains(note));
    let output = kfscale(
        &["plan", "--snapshot", &snapshot, "--add-nodes", "3", "-out", "p.json"],
        dir.path(),
        &[],
    );
    assert!(!stdout(&output).contains(note));
    let output = kfscale(
        &["plan", "--snapshot", &snapshot, "--add-nodes", "3", "-json"],
        dir.path(),
        &[],
    );
    assert!(!stdout(&output).contains(note));
    let output = kfscale(&["plan", "--snapshot", &snapshot, "--nodes", "6"], dir.path(), &[]);
    assert!(!stdout(&output).contains(note), "no changes, nothing to save");
}

fn write_state(dir: &Path) {
    let plan =
        kfscale::files::read_plan_file(Path::new(&example("examples/plans/eks-kraft-6-to-9.plan.json"))).unwrap();
    let mut steps: Vec<StepRecord> = StepName::ALL.iter().map(|name| StepRecord::pending(*name)).collect();
    steps[0].status = StepStatus::Done;
    steps[0].started_at = Some("2026-12-06T00:00:00Z".into());
    steps[0].handles.insert("update_id".into(), "upd-123".into());
    steps[1].status = StepStatus::Failed;
    steps[1].message = Some("the disk is full".into());
    let state = State {
        format_version: STATE_FORMAT_VERSION,
        lineage: "lineage-1".into(),
        serial: 3,
        cluster: "acme-prod/kfuse".into(),
        run: Some(ApplyRun {
            id: "apply-1".into(),
            operator: "ops@laptop".into(),
            plan_checksum: "sha256:00".into(),
            plan,
            started_at: "2026-12-06T00:00:00Z".into(),
            updated_at: "2026-12-06T00:01:00Z".into(),
            finished_at: None,
            status: RunStatus::Failed,
            steps,
            alerting_before: None,
            review: None,
        }),
    };
    let state_dir = dir.join(".kfscale");
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join("state.json"), encode_state(&state).unwrap()).unwrap();
}

#[test]
fn state_list_and_show_read_the_state() {
    let dir = workspace();
    let output = kfscale(&["state", "list"], dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("has no state file"), "{}", stderr(&output));

    write_state(dir.path());
    let before = std::fs::read(dir.path().join(".kfscale/state.json")).unwrap();
    let output = kfscale(&["state", "list"], dir.path(), &[]);
    let list = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), StepName::ALL.len(), "{list}");
    assert!(
        lines[0].starts_with("node_pool") && lines[0].ends_with("done"),
        "{list}"
    );
    assert!(
        lines[1].starts_with("values_file") && lines[1].ends_with("failed"),
        "{list}"
    );

    let output = kfscale(&["state", "show", "node_pool"], dir.path(), &[]);
    let shown = stdout(&output);
    assert!(shown.contains("status       = done"), "{shown}");
    assert!(shown.contains("update_id = \"upd-123\""), "{shown}");
    let output = kfscale(&["state", "show", "values_file", "--json"], dir.path(), &[]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["message"], "the disk is full");

    let output = kfscale(&["state", "show", "nodepool"], dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("fix: name one of: node_pool, values_file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(dir.path().join(".kfscale/state.json")).unwrap(),
        before,
        "read-only"
    );
}

/// `apply` while another kfscale of this machine holds the state directory's lock file.
fn apply_against_held_lock(dir: &Path, timeout: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(["apply", "--nodes", "9", "--auto-approve", timeout])
        .current_dir(dir)
        .env_remove("KFSCALE_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn hold_local_lock(dir: &Path) -> std::fs::File {
    let state_dir = dir.join(".kfscale");
    std::fs::create_dir_all(&state_dir).unwrap();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state_dir.join("lock"))
        .unwrap();
    file.try_lock().unwrap();
    file
}

#[test]
fn lock_timeout_waits_for_a_held_lock_then_names_its_holder() {
    let dir = workspace();
    let held = hold_local_lock(dir.path());

    // No timeout: refused at once, as before.
    let output = apply_against_held_lock(dir.path(), "-lock-timeout=0s")
        .wait_with_output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("another kfscale on this machine holds"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("waiting"), "{}", stderr(&output));

    // A timeout that runs out: it waited, then refuses naming the holder.
    let started = Instant::now();
    let output = apply_against_held_lock(dir.path(), "-lock-timeout=1s")
        .wait_with_output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(text.contains("waiting up to"), "{text}");
    assert!(text.contains("another kfscale on this machine holds"), "{text}");

    // The lock freed while it waits: it goes on to the cluster's lease (here an API server that
    // is not there, so it stops there, past the lock).
    let mut child = apply_against_held_lock(dir.path(), "--lock-timeout=2m");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let waiting = line.contains("waiting up to");
        seen.push(line);
        if waiting {
            break;
        }
    }
    assert!(seen.iter().any(|line| line.contains("waiting up to 1")), "{seen:?}");
    drop(held);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let text = rest.join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(!text.contains("another kfscale on this machine holds"), "{text}");
    assert!(text.contains("Kubernetes API"), "{text}");
}

#[test]
fn kubectl_flags_and_kfscale_config_override_kfscale_yaml() {
    let dir = workspace();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.path().join("kfscale.yaml");
    let config = config.to_str().unwrap();

    // KFSCALE_CONFIG names the config when --config does not.
    let output = kfscale(&["validate"], elsewhere.path(), &[("KFSCALE_CONFIG", config)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(config), "{}", stdout(&output));
    let output = kfscale(&["validate"], elsewhere.path(), &[]);
    assert!(stderr(&output).contains("KFSCALE_CONFIG"), "{}", stderr(&output));

    // -n and --context reach what kfscale would connect to.
    let output = kfscale(
        &["validate", "-n", "kfuse-blue", "--context", "production"],
        dir.path(),
        &[],
    );
    let text = stdout(&output);
    assert!(text.contains("kfuse-blue") && text.contains("production"), "{text}");

    // An unknown context lists those there are.
    let output = kfscale(&["force-unlock", "id-1", "--context", "prod"], dir.path(), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("no context `prod`; it has: staging, production"),
        "{text}"
    );

    // A missing kubeconfig names the command that writes it, for the cluster in kfscale.yaml.
    let output = kfscale(
        &["force-unlock", "id-1", "--kubeconfig", "missing-kubeconfig"],
        dir.path(),
        &[],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("missing-kubeconfig does not exist"), "{text}");
    assert!(
        text.contains("`aws eks update-kubeconfig --name acme-prod --region us-east-1`"),
        "{text}"
    );
}
