//! How waits are shown, decided once per command: JSON events under `--json` (stderr stays quiet);
//! a bar redrawn in place where stderr is a terminal that can move its cursor; plain lines
//! everywhere else (a pipe, a file, a CI log, `TERM=dumb`), which carry no carriage return and no
//! escape code.
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStyle {
    Json,
    /// `colour`: whether the bar may be painted (`--color`, `NO_COLOR`: see `crate::color`).
    Bar {
        colour: bool,
    },
    Lines,
}

/// The style for this process's stderr and environment.
pub fn for_this_process(json: bool) -> WaitStyle {
    choose(
        json,
        std::io::stderr().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
        crate::color::stderr(),
    )
}

/// A terminal whose `TERM` is unset or `dumb` cannot redraw a line: it gets lines, as indicatif
/// (which would hide its bar there) and other CLIs judge it. Colour does not decide: `--color
/// always` into a pipe paints nothing that moves, `--color never` on a terminal keeps its bar.
pub fn choose(json: bool, stderr_is_terminal: bool, term: Option<&str>, colour: bool) -> WaitStyle {
    let redraws = stderr_is_terminal && term.is_some_and(|term| !term.is_empty() && term != "dumb");
    match (json, redraws) {
        (true, _) => WaitStyle::Json,
        (false, true) => WaitStyle::Bar { colour },
        (false, false) => WaitStyle::Lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_only_on_a_terminal_that_can_redraw() {
        assert_eq!(
            choose(false, true, Some("xterm-256color"), true),
            WaitStyle::Bar { colour: true }
        );
        assert_eq!(
            choose(false, true, Some("xterm"), false),
            WaitStyle::Bar { colour: false }
        );
        assert_eq!(choose(false, true, Some("dumb"), false), WaitStyle::Lines);
        assert_eq!(choose(false, true, None, false), WaitStyle::Lines);
        assert_eq!(choose(false, false, Some("xterm"), true), WaitStyle::Lines);
        assert_eq!(choose(true, true, Some("xterm"), true), WaitStyle::Json);
        assert_eq!(choose(true, false, None, false), WaitStyle::Json);
    }
}
