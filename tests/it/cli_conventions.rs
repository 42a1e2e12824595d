//! The conventions of the tools operators use every day (#17): error texts, flags, colour,
//! completions. Each case runs the real binary.
use std::path::Path;
use std::process::{Command, Output};

fn kfscale(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
    command.args(args).current_dir(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn example(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file).display().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_file_names_its_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 5] = [
        &["show", "missing.json"],
        &["plan", "--snapshot", "missing.json", "--add-nodes", "3"],
        &["plan", "--config", "missing.yaml", "--nodes", "6"],
        &[
            "scale-values",
            "--values",
            "missing.yaml",
            "--from-nodes",
            "3",
            "--to-nodes",
            "6",
        ],
        &[
            "scale-values",
            "--values",
            "missing.yaml",
            "--from-nodes",
            "3",
            "--to-nodes",
            "6",
            "--profile",
            "missing-profile.yaml",
        ],
    ];
    for args in cases {
        let output = kfscale(args, dir.path(), &[]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert_eq!(text.matches("(os error 2)").count(), 1, "{args:?}: {text}");
        assert!(text.contains("fix: check the path"), "{args:?}: {text}");
    }
}

#[test]
fn scale_values_speaks_of_its_own_flags_and_refuses_a_file_without_workloads() {
    let dir = tempfile::tempdir().unwrap();
    let values = example("examples/values/kraft-values.yaml");
    let output = kfscale(
        &[
            "scale-values",
            "--values",
            &values,
            "--from-nodes",
            "9",
            "--to-nodes",
            "6",
        ],
        dir.path(),
        &[],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("--to-nodes 6 is fewer than --from-nodes 9"), "{text}");
    assert!(!text.contains("--nodes 6"), "{text}");

    for file in [
        "examples/snapshots/eks-kraft-6-nodes.json",
        "examples/plans/eks-kraft-6-to-9.plan.json",
    ] {
        let output = kfscale(
            &[
                "scale-values",
                "--values",
                &example(file),
                "--from-nodes",
                "6",
                "--to-nodes",
                "9",
                "--profile",
                "kraft",
            ],
            dir.path(),
            &[],
        );
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{file}: {text}");
        assert!(text.contains("no workload of profile `kraft`"), "{file}: {text}");
        assert!(output.stdout.is_empty(), "{file}: wrote a values file");
    }
}

#[test]
fn show_on_a_snapshot_says_it_is_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = example("examples/snapshots/eks-kraft-6-nodes.json");
    let output = kfscale(&["show", &snapshot], dir.path(), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("is a snapshot"), "{text}");
    assert!(text.contains("kfscale plan --snapshot"), "{text}");
}

#[test]
fn verify_help_names_the_real_window_default() {
    let dir = tempfile::tempdir().unwrap();
    let output = kfscale(&["verify", "--help"], dir.path(), &[]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("validate.lag_window_seconds, 15)"), "{help}");
}

#[test]
fn colour_follows_the_flag_and_the_environment_never_a_pipe_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let plan = example("examples/plans/eks-kraft-6-to-9.plan.json");
    let painted = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["show", plan.as_str()];
        all.extend_from_slice(args);
        let output = kfscale(&all, dir.path(), env);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        output.stdout.contains(&0x1b)
    };
    // stdout is a pipe here: plain unless forced.
    assert!(!painted(&[], &[]));
    assert!(painted(&["--color", "always"], &[]));
    assert!(painted(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!painted(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!painted(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(!painted(&["--no-color", "--color", "always"], &[]));
    // Errors on stderr follow the same rule.
    let output = kfscale(&["show", "missing.json", "--color", "always"], dir.path(), &[]);
    assert!(stderr(&output).starts_with("\x1b["), "{}", stderr(&output));
    let output = kfscale(&["show", "missing.json"], dir.path(), &[]);
    assert!(stderr(&output).starts_with("Error: "), "{}", stderr(&output));
}
