//! stdout's reader may go away (`kfscale plan --json | head -c 10`) or its file may fill up: the
//! command ends quietly with 141 (128 + SIGPIPE, as a shell reports `git log | head`) or names
//! the write error with exit 1, never a panic (#14 item 8). Each case runs the real binary.
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

const CLOSED_PIPE_EXIT: i32 = 141;

fn example(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file).display().to_string()
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs kfscale with stdout a pipe whose reader reads `keep` bytes and then closes it (0: closed
/// before kfscale starts), and returns the exit code and stderr.
fn with_reader_gone_after(args: &[&str], keep: usize) -> (Option<i32>, String) {
    if keep == 0 {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = command(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        return (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
    }
    let mut child = command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut kept = vec![0; keep];
    stdout.read_exact(&mut kept).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_goes_away_ends_every_command_quietly() {
    let snapshot = example("examples/snapshots/eks-kraft-6-nodes.json");
    let plan_file = example("examples/plans/eks-kraft-6-to-9.plan.json");
    let big_plan = ["plan", "--snapshot", &snapshot, "--add-nodes", "400"];
    let cases: [(Vec<&str>, usize); 5] = [
        // Closed before the first byte is written.
        ([&big_plan[..], &["--json"]].concat(), 0),
        (vec!["show", &plan_file], 0),
        (vec!["show", &plan_file, "--format", "markdown"], 0),
        (big_plan.to_vec(), 0),
        // Closed after the first bytes, as `head -c 10` does: the rest of a JSON plan this big
        // (3.5 MB, far more than a pipe's 64 KiB buffer) then meets a closed pipe.
        ([&big_plan[..], &["--json"]].concat(), 10),
    ];
    for (args, keep) in cases {
        let (code, stderr) = with_reader_gone_after(&args, keep);
        assert_eq!(code, Some(CLOSED_PIPE_EXIT), "{args:?} after {keep} bytes: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Error"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_disk_behind_stdout_is_an_error_not_a_panic() {
    let plan_file = example("examples/plans/eks-kraft-6-to-9.plan.json");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = command(&["show", &plan_file]).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Error: writing to stdout"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
