//! Whether kfscale paints its output, decided once per stream the way other CLIs do (through
//! anstream): `--color always|never` wins; under `auto` (the default) `NO_COLOR` turns colour off,
//! `CLICOLOR_FORCE=1` turns it on even into a pipe (CI logs), `TERM=dumb` and a stream that is
//! not a terminal turn it off. Every painted byte kfscale writes asks here.
use std::io::{Stderr, Stdout};

/// The operator's choice (`--color`); the CLI maps its flag onto this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Records the choice for the whole process (before anything is printed).
pub fn set_choice(choice: ColorChoice) {
    anstream::ColorChoice::write_global(match choice {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    });
}

/// Whether what goes to stdout is painted.
pub fn stdout() -> bool {
    anstream::AutoStream::<Stdout>::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Whether what goes to stderr (logs, progress, errors) is painted.
pub fn stderr() -> bool {
    anstream::AutoStream::<Stderr>::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}
