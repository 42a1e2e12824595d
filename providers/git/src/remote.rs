//! Talking to a remote through the git CLI (push, fetch, ls-remote): by argument vector, so the
//! user's own credential helpers, ssh agent and proxies apply; never prompting, because an
//! unattended run must not wait on a terminal nobody watches; and given up after a timeout.
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::GitError;

/// How long a push may take before kfscale gives up on it (the commit is kept; a re-run pushes).
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(120);

/// What the record's push failures tell the operator to run again.
const RERUN_RECORD: &str = "`kfscale apply` to finish the record";

/// `git push REMOTE BRANCH` in `dir`, by argument vector, so the user's credential helpers apply.
pub fn push(dir: &Path, remote: &str, branch: &str) -> Result<(), GitError> {
    push_within(dir, remote, branch, PUSH_TIMEOUT)
}

/// As [`push`], given up after `timeout`.
pub fn push_within(dir: &Path, remote: &str, branch: &str, timeout: Duration) -> Result<(), GitError> {
    push_refspec_within(dir, remote, branch, branch, RERUN_RECORD, timeout)
}

/// `git push REMOTE REFSPEC` (e.g. `<commit>:refs/heads/<branch>`, which pushes a commit no local
/// branch points at); `branch` names the target in messages and `rerun` is what the fix says to
/// run again. Never forced: a branch that moved on the remote is refused, not overwritten.
pub fn push_refspec_within(
    dir: &Path,
    remote: &str,
    refspec: &str,
    branch: &str,
    rerun: &str,
    timeout: Duration,
) -> Result<(), GitError> {
    let Some(output) = run(dir, &["push", "--porcelain", remote, refspec], timeout)? else {
        return Err(GitError::PushTimeout {
            remote: remote.into(),
            branch: branch.into(),
            seconds: timeout.as_secs(),
            rerun: rerun.into(),
        });
    };
    if output.status.success() {
        return Ok(());
    }
    // With --porcelain the refused refs (`!\t<ref>\t[remote rejected] (reason)`) go to stdout:
    // they say why, so they join the message.
    let refused: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with('!'))
        .map(|line| line.split('\t').skip(1).collect::<Vec<_>>().join(" "))
        .collect();
    let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    for line in refused {
        stderr.push_str(&format!("\n{line}"));
    }
    Err(GitError::Push {
        remote: remote.into(),
        branch: branch.into(),
        code: output.status.code().unwrap_or(-1),
        stderr,
        rerun: rerun.into(),
    })
}

/// Pushes `commit` to the remote's `branch` and checks the remote's branch points at it afterwards:
/// a push that "succeeds" while a server hook or another writer leaves the branch elsewhere is an
/// error, never a silent success.
pub fn push_confirmed(
    dir: &Path,
    remote: &str,
    commit: &str,
    branch: &str,
    rerun: &str,
    timeout: Duration,
) -> Result<(), GitError> {
    push_refspec_within(
        dir,
        remote,
        &format!("{commit}:refs/heads/{branch}"),
        branch,
        rerun,
        timeout,
    )?;
    let found = remote_branch_head(dir, remote, branch, timeout)?;
    if found.as_deref() == Some(commit) {
        return Ok(());
    }
    Err(GitError::NotLanded {
        remote: remote.into(),
        branch: branch.into(),
        expected: commit.into(),
        found: found.unwrap_or_else(|| "nothing (the branch is gone)".into()),
        rerun: rerun.into(),
    })
}

/// `git fetch REMOTE +refs/heads/BRANCH:refs/remotes/REMOTE/BRANCH`: the remote-tracking ref is
/// brought to the remote's branch exactly (forced, as a plain `git fetch` does). Returns that ref.
pub fn fetch_branch(dir: &Path, remote: &str, branch: &str, timeout: Duration) -> Result<String, GitError> {
    let tracking = format!("refs/remotes/{remote}/{branch}");
    let refspec = format!("+refs/heads/{branch}:{tracking}");
    read(dir, &["fetch", "--quiet", "--no-tags", remote, &refspec], timeout)?;
    Ok(tracking)
}

/// The commit the remote's `BRANCH` points at now (`git ls-remote`), None when it has no such
/// branch.
pub fn remote_branch_head(
    dir: &Path,
    remote: &str,
    branch: &str,
    timeout: Duration,
) -> Result<Option<String>, GitError> {
    let wanted = format!("refs/heads/{branch}");
    let output = read(dir, &["ls-remote", remote, &wanted], timeout)?;
    Ok(String::from_utf8_lossy(&output.stdout).lines().find_map(|line| {
        let (id, name) = line.split_once('\t')?;
        (name.trim() == wanted).then(|| id.trim().to_string())
    }))
}

/// A command that only reads from the remote: a failure is [`GitError::RemoteRead`].
fn read(dir: &Path, args: &[&str], timeout: Duration) -> Result<Output, GitError> {
    let command = args.join(" ");
    let Some(output) = run(dir, args, timeout)? else {
        return Err(GitError::RemoteReadTimeout {
            command,
            seconds: timeout.as_secs(),
        });
    };
    if output.status.success() {
        return Ok(output);
    }
    Err(GitError::RemoteRead {
        command,
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
    })
}

/// Runs `git -C DIR ARGS`; None when it did not finish within `timeout` (it is killed).
fn run(dir: &Path, args: &[&str], timeout: Duration) -> Result<Option<Output>, GitError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        command.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let mut child = command.spawn().map_err(GitError::Spawn)?;
    // The pipes are drained while git runs, so a chatty git never blocks on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(GitError::Spawn)? {
            break status;
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // A helper git started (an ssh ControlMaster) may keep the pipes open after git exits: its
    // output is not waited for long.
    let collect = |pipe: mpsc::Receiver<Vec<u8>>| pipe.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    Ok(Some(Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    }))
}

fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = sender.send(bytes);
    });
    receiver
}
