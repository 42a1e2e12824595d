//! Runs helm as a child with a clock limit: a helm stuck on a silent API server (or a prompt) must
//! end in an error, not hang the apply. helm gets a process group of its own so the limit can end
//! it together with anything it started, and so a Ctrl-C meant for kfscale does not cut an upgrade
//! in half (kfscale stops at the next safe point instead).
use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How `run_within` ended.
pub enum Ended {
    Exited(Output),
    /// Still running at the limit: killed with its process group.
    TimedOut,
}

pub fn run_within(command: &mut Command, limit: Duration) -> std::io::Result<Ended> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    own_process_group(command);
    let mut child = command.spawn()?;
    // Drained while helm runs: a full pipe would block it.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= limit {
            kill_group(&mut child);
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(match status {
        Some(status) => Ended::Exited(Output { status, stdout, stderr }),
        None => Ended::TimedOut,
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

#[cfg(unix)]
fn own_process_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_command: &mut Command) {}

#[cfg(target_os = "linux")]
fn kill_group(child: &mut std::process::Child) {
    // The group's id is the child's pid (process_group(0)); its children hold the pipes too.
    let group = child.id() as libc::pid_t;
    // SAFETY: kill has no memory effects; a group that is gone gives ESRCH.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let _ = child.kill();
}

#[cfg(not(target_os = "linux"))]
fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
}
