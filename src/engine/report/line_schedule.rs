//! When a plain progress line is due where no bar can be drawn (a pipe, a CI log, `TERM=dumb`):
//! at a wait's first figures, then each time another tenth is done, and at least every 30 s. A log
//! shows a long wait moving, and a wait polled every 5 s for an hour does not fill it. Pure.
use std::time::{Duration, Instant};

/// The longest a wait goes without a line.
pub const AT_LEAST_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct LineSchedule {
    /// When the last line was printed, and the tenths done it showed.
    last: Option<(Instant, Option<u8>)>,
}

impl LineSchedule {
    /// Whether a line is due at `now` for a wait `fraction` done; a due line counts as printed.
    pub fn due(&mut self, now: Instant, fraction: Option<f64>) -> bool {
        let tenths = fraction.map(|f| (f.clamp(0.0, 1.0) * 10.0).floor() as u8);
        let due = match self.last {
            None => true,
            // `None < Some(_)`: figures that appear mid-wait get a line at once.
            Some((at, shown)) => now.saturating_duration_since(at) >= AT_LEAST_EVERY || tenths > shown,
        };
        if due {
            self.last = Some((now, tenths));
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[test]
    fn a_line_for_the_first_figures_and_each_tenth_done() {
        let start = Instant::now();
        let mut schedule = LineSchedule::default();
        assert!(schedule.due(start, Some(0.02)));
        assert!(!schedule.due(at(start, 1), Some(0.05)));
        assert!(!schedule.due(at(start, 2), Some(0.099)));
        assert!(schedule.due(at(start, 3), Some(0.10)));
        assert!(!schedule.due(at(start, 4), Some(0.19)));
        // Jumping several tenths at once is one line.
        assert!(schedule.due(at(start, 5), Some(0.75)));
        assert!(!schedule.due(at(start, 6), Some(0.79)));
        assert!(schedule.due(at(start, 7), Some(1.0)));
        assert!(!schedule.due(at(start, 8), Some(1.0)));
    }

    #[test]
    fn at_least_every_30_seconds_whatever_the_figures() {
        let start = Instant::now();
        let mut schedule = LineSchedule::default();
        assert!(schedule.due(start, None));
        assert!(!schedule.due(at(start, 29), None));
        assert!(schedule.due(at(start, 30), None));
        assert!(!schedule.due(at(start, 59), None));
        assert!(schedule.due(at(start, 61), None));
        // A count standing still is shown again after 30 s too.
        let mut counted = LineSchedule::default();
        assert!(counted.due(start, Some(0.5)));
        assert!(!counted.due(at(start, 20), Some(0.5)));
        assert!(counted.due(at(start, 30), Some(0.5)));
    }

    #[test]
    fn figures_appearing_mid_wait_get_a_line() {
        let start = Instant::now();
        let mut schedule = LineSchedule::default();
        assert!(schedule.due(start, None));
        assert!(schedule.due(at(start, 1), Some(0.0)));
        assert!(!schedule.due(at(start, 2), Some(0.01)));
    }
}
