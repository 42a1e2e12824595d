//! A wait on a terminal: an indicatif bar redrawn in place on stderr. A data copy shows bytes done
//! and total, the rate and the time left; another counted wait its share; the rest a spinner with
//! the system's latest words. Only used where stderr is a terminal (`wait_style.rs`).
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::wait_view::{WaitView, eta_text, rate_text};

pub struct LiveBar {
    bar: ProgressBar,
    /// The style in use: set again only when the kind of figures changes, not on every poll.
    kind: Option<Kind>,
    figures: Arc<Mutex<OwnFigures>>,
    colour: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Bytes: sizes, rate, ETA.
    Copy,
    /// Another count (nodes, segments): the share done.
    Share,
    Spinner,
}

/// What the template's `{rate}` and `{left}` show: kfscale's figures (the ETA from the bytes left
/// at the throttle), not indicatif's estimate, so the bar, the log lines, the JSON events and
/// `kfscale status` agree.
#[derive(Debug, Default, Clone, Copy)]
struct OwnFigures {
    per_second: Option<f64>,
    eta_seconds: Option<u64>,
}

impl LiveBar {
    /// Draws on stderr (indicatif hides it by itself if stderr is no terminal after all).
    pub fn on_stderr(colour: bool) -> LiveBar {
        LiveBar::on(ProgressDrawTarget::stderr(), colour, Some(Duration::from_millis(200)))
    }

    /// `tick`: how often the spinner turns between updates (None: only on updates).
    fn on(target: ProgressDrawTarget, colour: bool, tick: Option<Duration>) -> LiveBar {
        let bar = ProgressBar::with_draw_target(None, target);
        if let Some(every) = tick {
            bar.enable_steady_tick(every);
        }
        LiveBar {
            bar,
            kind: None,
            figures: Arc::default(),
            colour,
        }
    }

    pub fn show(&mut self, view: &WaitView) {
        let kind = match view.counted {
            Some(_) if view.counts_bytes() => Kind::Copy,
            Some(_) if view.fraction().is_some() => Kind::Share,
            _ => Kind::Spinner,
        };
        if self.kind != Some(kind) {
            self.bar.set_style(style(kind, self.colour, &self.figures));
            self.kind = Some(kind);
        }
        *self.figures.lock().unwrap_or_else(|p| p.into_inner()) = OwnFigures {
            per_second: view.per_second,
            eta_seconds: view.eta_seconds,
        };
        if let Some(counted) = view.counted.filter(|_| kind != Kind::Spinner) {
            self.bar.set_length(counted.total.round() as u64);
            self.bar.set_position(counted.done.round() as u64);
        }
        // indicatif draws on stderr itself, past the stderr door (src/stderr.rs): the system's
        // words are scrubbed here instead.
        let prefix = format!("waiting for {}", view.what);
        self.bar.set_prefix(crate::scrub::owned(&prefix));
        let message = format!("{} ({}s)", view.text, view.elapsed.as_secs());
        self.bar.set_message(crate::scrub::owned(&message));
    }

    /// Prints something else (a step's line, a retry) above the bar.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bar.suspend(print)
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Colours only where `crate::color` allows them (`--color`, `NO_COLOR`): the bar itself is drawn
/// either way, a terminal being what it needs.
fn template(kind: Kind, colour: bool) -> &'static str {
    match (kind, colour) {
        (Kind::Copy, false) => "{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} {rate} ETA {left} {wide_msg}",
        (Kind::Copy, true) => {
            "{spinner:.green} {prefix} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {rate} ETA {left} {wide_msg}"
        }
        (Kind::Share, false) => "{spinner} {prefix} [{bar:30}] {percent:>3}% {wide_msg}",
        (Kind::Share, true) => "{spinner:.green} {prefix} [{bar:30.cyan/blue}] {percent:>3}% {wide_msg}",
        (Kind::Spinner, false) => "{spinner} {prefix}: {wide_msg}",
        (Kind::Spinner, true) => "{spinner:.green} {prefix}: {wide_msg}",
    }
}

fn style(kind: Kind, colour: bool, figures: &Arc<Mutex<OwnFigures>>) -> ProgressStyle {
    let read = |figures: &Arc<Mutex<OwnFigures>>| *figures.lock().unwrap_or_else(|p| p.into_inner());
    let for_rate = Arc::clone(figures);
    let for_left = Arc::clone(figures);
    // The templates are constants, every one parsed by the tests: the fallback is never taken.
    ProgressStyle::with_template(template(kind, colour))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .progress_chars("=> ")
        .with_key("rate", move |_: &ProgressState, out: &mut dyn Write| {
            let text = read(&for_rate).per_second.map_or_else(|| "-".to_string(), rate_text);
            let _ = out.write_str(&text);
        })
        .with_key("left", move |_: &ProgressState, out: &mut dyn Write| {
            let _ = out.write_str(&eta_text(read(&for_left).eta_seconds));
        })
}

#[cfg(test)]
mod tests {
    use std::io;

    use indicatif::TermLike;

    use super::super::wait_view::{BYTES, Counted};
    use super::*;

    /// A terminal 160 columns wide that keeps everything drawn on it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl Screen {
        fn line(&self) -> String {
            self.0.lock().unwrap().clone()
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            160
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        /// A redraw clears the line first: a new frame starts on a new line of the record.
        fn clear_line(&self) -> io::Result<()> {
            self.write_str("\n")
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    /// The last frame drawn after showing `views` in turn.
    fn shown(views: &[WaitView]) -> String {
        let screen = Screen::default();
        let mut bar = LiveBar::on(ProgressDrawTarget::term_like(Box::new(screen.clone())), false, None);
        for view in views {
            bar.show(view);
        }
        let drawn = screen.line();
        let mut frames = drawn.lines().filter(|frame| !frame.trim().is_empty());
        frames.next_back().unwrap_or_default().to_string()
    }

    fn view<'a>(counted: Option<Counted<'a>>, per_second: Option<f64>, eta_seconds: Option<u64>) -> WaitView<'a> {
        WaitView {
            what: "partition moves",
            text: "6/18 partitions moved",
            elapsed: Duration::from_secs(12),
            counted,
            per_second,
            eta_seconds,
        }
    }

    #[test]
    fn a_copy_shows_bytes_done_and_total_rate_and_eta() {
        let copied = Counted {
            done: GIB,
            total: 4.0 * GIB,
            unit: BYTES,
        };
        let line = shown(&[view(Some(copied), Some(50.0 * 1024.0 * 1024.0), Some(62))]);
        assert!(
            line.contains(
                "waiting for partition moves [=======>                      ] 1.00 GiB/4.00 GiB 50.00 MiB/s ETA 1m 02s 6/18 partitions moved (12s)"
            ),
            "{line:?}"
        );
        // Nothing copied yet: the bar is empty and says it does not know the rate yet.
        let nothing = Counted { done: 0.0, ..copied };
        let line = shown(&[view(Some(nothing), None, None)]);
        assert!(line.contains("0 B/4.00 GiB - ETA -"), "{line:?}");
    }

    #[test]
    fn other_waits_show_their_share_or_their_text() {
        let nodes = Counted {
            done: 3.0,
            total: 4.0,
            unit: "nodes",
        };
        let line = shown(&[view(Some(nodes), None, None)]);
        assert!(line.contains("[======================>       ]  75% 6/18"), "{line:?}");
        let line = shown(&[view(Some(nodes), None, None), view(None, None, None)]);
        assert!(
            line.contains("waiting for partition moves: 6/18 partitions moved (12s)") && !line.contains('['),
            "{line:?}"
        );
    }

    #[test]
    fn every_template_parses() {
        for kind in [Kind::Copy, Kind::Share, Kind::Spinner] {
            for colour in [false, true] {
                assert!(
                    ProgressStyle::with_template(template(kind, colour)).is_ok(),
                    "{kind:?} {colour}"
                );
            }
        }
    }
}
