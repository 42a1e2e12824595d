//! A pseudo-terminal for tests that must see what an operator's terminal shows: opened with
//! libc's `posix_openpt` (nothing to install: no tmux, no script(1)), with a window size set so
//! programs that lay out a line to the terminal's width have one.
use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, bail, ensure};

/// Runs `command` with its stdout and stderr on a fresh terminal of `columns` x 50 (stdin empty,
/// `TERM=xterm-256color`) until it exits; returns its status and every byte the terminal
/// received. The terminal's own line discipline turns each `\n` into `\r\n`, as a real one does.
pub fn run_on_terminal(mut command: Command, columns: u16) -> Result<(ExitStatus, Vec<u8>)> {
    let (mut master, slave) = open(columns, 50)?;
    command
        .stdin(Stdio::null())
        .stdout(slave.try_clone()?)
        .stderr(slave.try_clone()?)
        .env("TERM", "xterm-256color");
    let mut child = command.spawn().context("starting the command on the terminal")?;
    // Only the child may hold the terminal's other end now: reading the master ends (EIO) once
    // the child and everything it started have closed it.
    drop(command);
    drop(slave);
    let reader = std::thread::spawn(move || {
        let mut received = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match master.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                // EIO: no writer is left.
                Err(_) => break,
            }
        }
        received
    });
    let status = child.wait()?;
    let received = match reader.join() {
        Ok(received) => received,
        Err(_) => bail!("the terminal's reader panicked"),
    };
    Ok((status, received))
}

/// The master and slave ends of a new pseudo-terminal.
fn open(columns: u16, rows: u16) -> Result<(File, File)> {
    // SAFETY: plain libc calls on a descriptor this function owns from the first line on; the
    // name buffer is NUL-terminated by ptsname_r on success.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        ensure!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        let master = File::from(OwnedFd::from_raw_fd(fd));
        ensure!(libc::grantpt(fd) == 0, "grantpt: {}", std::io::Error::last_os_error());
        ensure!(libc::unlockpt(fd) == 0, "unlockpt: {}", std::io::Error::last_os_error());
        let mut name = [0 as libc::c_char; 256];
        ensure!(
            libc::ptsname_r(fd, name.as_mut_ptr(), name.len()) == 0,
            "ptsname_r: {}",
            std::io::Error::last_os_error()
        );
        let path = CStr::from_ptr(name.as_ptr()).to_str()?.to_string();
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&path)
            .with_context(|| format!("opening {path}"))?;
        let size = libc::winsize {
            ws_row: rows,
            ws_col: columns,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        ensure!(
            libc::ioctl(slave.as_raw_fd(), libc::TIOCSWINSZ, &size) == 0,
            "TIOCSWINSZ: {}",
            std::io::Error::last_os_error()
        );
        Ok((master, slave))
    }
}

/// `bytes` as text without its escape sequences (colours, cursor moves, line clears), each
/// carriage return a line break: what the terminal showed, frame by frame.
pub fn frames(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ parameters, ended by a byte in @..~; else ESC and one more char.
                if chars.next_if_eq(&'[').is_some() {
                    for end in chars.by_ref() {
                        if ('@'..='~').contains(&end) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => plain.push('\n'),
            c => plain.push(c),
        }
    }
    plain
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn frames_drop_escapes_and_split_at_carriage_returns() {
    let drawn = b"\x1b[2K\x1b[32m/\x1b[0m waiting [==> ] 1 B\r\x1b[2K| waiting [===>] 2 B\r\n";
    assert_eq!(frames(drawn), vec!["/ waiting [==> ] 1 B", "| waiting [===>] 2 B"]);
}
