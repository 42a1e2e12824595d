//! The one door to stderr: diagnostics, progress lines, logs (the tracing writer) and the final
//! error all go through here, and every registered secret (src/scrub/) is scrubbed on the way
//! out, whoever wrote the text (kfscale, or helm and git, whose stderr reaches the user inside
//! kfscale's errors). clippy.toml forbids `eprint!` and `eprintln!`.
use std::fmt;
use std::io::{self, Write};

/// Prints to stderr through [`crate::stderr`], secrets scrubbed; `eprint!` for kfscale.
#[macro_export]
macro_rules! eout {
    ($($arg:tt)*) => {
        $crate::stderr::write_fmt(format_args!($($arg)*), false)
    };
}

/// Prints a line to stderr through [`crate::stderr`], secrets scrubbed; `eprintln!` for kfscale.
#[macro_export]
macro_rules! eoutln {
    () => {
        $crate::stderr::write_fmt(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::stderr::write_fmt(format_args!($($arg)*), true)
    };
}

/// Writes formatted text (and a newline) to stderr, scrubbed, in one write so lines from two
/// threads never interleave. A failed write to stderr is dropped: there is nowhere left to say so.
pub fn write_fmt(args: fmt::Arguments<'_>, newline: bool) {
    let mut text = fmt::format(args);
    if newline {
        text.push('\n');
    }
    let _ = io::stderr().lock().write_all(crate::scrub::text(&text).as_bytes());
}

/// The writer tracing logs through (src/logging.rs): it gathers one event's bytes and writes them
/// scrubbed when tracing drops it at the end of the event.
#[derive(Default)]
pub struct LogWriter {
    buffer: Vec<u8>,
}

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            let bytes = std::mem::take(&mut self.buffer);
            io::stderr().lock().write_all(&crate::scrub::bytes(&bytes))?;
        }
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// For the panic hook (src/main.rs): a panic's message may quote a value too.
pub fn panic_hook() -> Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync + 'static> {
    Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::capture();
        let shown = match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => format!("\n{backtrace}"),
            _ => "\nnote: run with `RUST_BACKTRACE=1` to display a backtrace".to_string(),
        };
        write_fmt(
            format_args!(
                "thread '{}' {info}{shown}",
                std::thread::current().name().unwrap_or("<unnamed>")
            ),
            true,
        );
    })
}
