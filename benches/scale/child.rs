//! Whole commands measured from outside: wall time and peak resident memory of a child process
//! (`wait4`'s rusage), the median of several runs.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    pub peak_rss_bytes: u64,
}

/// Runs the command `runs` times (stdout and stderr dropped; it must exit 0) and returns the
/// median wall time and the largest peak RSS. The caller must stay small itself: the peak `wait4`
/// reports for a child may include its parent's memory at the moment of the fork.
// `wait4` reaps each child itself (std's `wait` cannot report its rusage).
#[allow(clippy::zombie_processes)]
pub fn measure(runs: usize, make: impl Fn() -> Command) -> Sample {
    let mut walls = Vec::new();
    let mut peak = 0;
    for _ in 0..runs.max(1) {
        let mut command = make();
        let start = Instant::now();
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));
        let (status, usage) = wait_with_rusage(child.id());
        walls.push(start.elapsed());
        assert!(status == 0 || status == 2, "{command:?} exited {status}");
        peak = peak.max(usage.ru_maxrss as u64 * 1024);
    }
    walls.sort();
    Sample {
        wall: walls[walls.len() / 2],
        peak_rss_bytes: peak,
    }
}

/// Waits for one child and returns its exit status and resource usage.
fn wait_with_rusage(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for the child we spawned and still own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid as libc::pid_t, "wait4");
    (libc::WEXITSTATUS(status), usage)
}

/// This benchmark binary again, in one of its child modes (see main.rs).
pub fn self_command(mode: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the benchmark binary's path"));
    command.env(super::CHILD_MODE, mode);
    command
}
