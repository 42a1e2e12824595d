//! The one door to stdout. Every byte a command prints for its reader goes through here (the
//! `out!` and `outln!` macros; clippy.toml forbids `print!` and `println!`), so a reader that goes
//! away is handled once, not at each of forty call sites.
//!
//! A reader that goes away (`kfscale plan --json | head -c 10`) closes the pipe. std's `println!`
//! panics then ("failed printing to stdout: Broken pipe", exit 101). Here the first write that
//! finds the pipe closed marks stdout closed: later writes are dropped, whoever registered with
//! [`when_closed`] is told (a running apply stops at its next safe point, as on SIGTERM: kfscale
//! never dies between an action and the checkpoint of its handle), and the process exits
//! [`CLOSED_PIPE_EXIT`] (141, 128 + SIGPIPE, what a shell reports for `git log | head` or
//! `terraform show | head`) without a word. Any other write error (a full disk behind `> file`)
//! is an error: it is named on stderr once and the command exits 1.
//!
//! Every byte is scrubbed of the registered secrets on its way (src/scrub/), except the
//! customer's own values file when a command is asked to print it ([`write_customer_file`]).
use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of a command whose stdout reader went away: 128 + SIGPIPE (13), as a shell
/// reports a program that SIGPIPE ended.
pub const CLOSED_PIPE_EXIT: u8 = 141;

/// Prints to stdout through [`crate::output`]; `print!` that survives a closed pipe.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_fmt(format_args!($($arg)*))
    };
}

/// Prints a line to stdout through [`crate::output`]; `println!` that survives a closed pipe.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_bytes(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

static CLOSED: AtomicBool = AtomicBool::new(false);
static FAILED: AtomicBool = AtomicBool::new(false);
type Hook = Box<dyn Fn() + Send>;
static HOOKS: Mutex<Vec<Hook>> = Mutex::new(Vec::new());

/// Writes formatted text to stdout, secrets scrubbed (see the module's comment for a closed pipe).
pub fn write_fmt(args: fmt::Arguments<'_>) {
    let text = fmt::format(args);
    write_with(|out| out.write_all(crate::scrub::text(&text).as_bytes()));
}

/// Writes formatted text and a newline to stdout, secrets scrubbed, in one write so lines never
/// interleave.
pub fn write_line(args: fmt::Arguments<'_>) {
    let mut text = fmt::format(args);
    text.push('\n');
    write_with(|out| out.write_all(crate::scrub::text(&text).as_bytes()));
}

/// Writes bytes to stdout, secrets scrubbed.
pub fn write_bytes(bytes: &[u8]) {
    write_with(|out| out.write_all(&crate::scrub::bytes(bytes)));
}

/// Writes the customer's values file to stdout as it is, secrets included: `scale-values` prints
/// the rewritten file for the operator to save, and a file with `(sensitive)` in place of its
/// passwords would break the release it is applied to. The one unscrubbed way to stdout.
pub fn write_customer_file(text: &str) {
    write_with(|out| out.write_all(text.as_bytes()));
}

/// Flushes stdout: before a prompt, and before the process exits (so a closed pipe or a full
/// disk is noticed by [`exit_code`], not swallowed by std's silent flush at exit).
pub fn flush() {
    write_with(|out| out.flush());
}

/// Whether the reader of stdout has gone away.
pub fn is_closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Calls `hook` once when stdout is found closed (at once when it already is): a long-running
/// command stops early instead of working on for nobody.
pub fn when_closed(hook: impl Fn() + Send + 'static) {
    if is_closed() {
        hook();
        return;
    }
    lock_hooks().push(Box::new(hook));
}

/// The exit code the output forces, if any: [`CLOSED_PIPE_EXIT`] when the reader went away, 1
/// when a write failed otherwise. Flushes first.
pub fn exit_code() -> Option<u8> {
    flush();
    if is_closed() {
        Some(CLOSED_PIPE_EXIT)
    } else if FAILED.load(Ordering::SeqCst) {
        Some(1)
    } else {
        None
    }
}

fn write_with(write: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>) {
    if is_closed() || FAILED.load(Ordering::SeqCst) {
        return;
    }
    let result = write(&mut io::stdout().lock());
    if let Err(err) = result {
        failed(&err);
    }
}

fn failed(err: &io::Error) {
    if err.kind() == io::ErrorKind::BrokenPipe {
        if !CLOSED.swap(true, Ordering::SeqCst) {
            // The hooks run once; taking them out means a hook may itself print.
            let hooks = std::mem::take(&mut *lock_hooks());
            for hook in hooks {
                hook();
            }
        }
    } else if !FAILED.swap(true, Ordering::SeqCst) {
        crate::eoutln!("Error: writing to stdout: {err}\nfix: check where stdout goes (a full disk, a closed file)");
    }
}

/// The hook list stays usable after a panic elsewhere: it holds no invariant a panic could break.
fn lock_hooks() -> std::sync::MutexGuard<'static, Vec<Hook>> {
    HOOKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_quiet_and_any_other_error_is_named() {
        // One process-wide state: both cases in one test, in order.
        let told = std::sync::Arc::new(AtomicBool::new(false));
        let seen = told.clone();
        when_closed(move || seen.store(true, Ordering::SeqCst));
        failed(&io::Error::other("disk full"));
        assert_eq!(exit_code(), Some(1));
        assert!(!told.load(Ordering::SeqCst));
        failed(&io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(told.load(Ordering::SeqCst));
        assert_eq!(exit_code(), Some(CLOSED_PIPE_EXIT));
        let late = std::sync::Arc::new(AtomicBool::new(false));
        let late_seen = late.clone();
        when_closed(move || late_seen.store(true, Ordering::SeqCst));
        assert!(
            late.load(Ordering::SeqCst),
            "a hook registered after the close runs at once"
        );
    }
}
