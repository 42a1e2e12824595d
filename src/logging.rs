//! Diagnostics on stderr through `tracing`; `-v` raises the level, `RUST_LOG` overrides. Every
//! event goes out through the stderr door (src/stderr.rs), secrets scrubbed.
use tracing_subscriber::EnvFilter;

pub fn init(verbosity: u8) {
    // The AWS SDK logs every failed credential provider at warn level; kfscale reports the outcome.
    let default = match verbosity {
        // kube-rs logs every non-2xx answer at error level (a refused port-forward too); kfscale
        // reports what it means.
        0 => "warn,aws_config=error,aws_smithy_runtime=error,kube_client=off",
        1 => "info,aws_config=warn",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::stderr::LogWriter::default)
        // ANSI codes only where stderr is painted (a terminal, or --color always / CLICOLOR_FORCE):
        // never into a pipe or a log file.
        .with_ansi(crate::color::stderr())
        .try_init();
}
