//! The rate a wait's counted figure moves at, seen since the wait began: what the operator's bar,
//! the plain progress lines and the JSON `waiting` event show as `per_second`, and the ETA when
//! the step has no better figure of its own. Pure: the caller passes the instants.
use std::time::Instant;

/// Measures from the first figure of a wait, not from zero: a resumed wait starts with what an
/// earlier attempt already did, and counting that as this wait's speed would flatter it.
#[derive(Debug, Default)]
pub struct RateMeter {
    first: Option<(Instant, f64)>,
}

impl RateMeter {
    /// Units per second from the first figure to `done` at `now`; None until the figure moved.
    pub fn observe(&mut self, now: Instant, done: f64) -> Option<f64> {
        let (since, from) = *self.first.get_or_insert((now, done));
        let seconds = now.saturating_duration_since(since).as_secs_f64();
        (seconds > 0.0 && done > from).then(|| (done - from) / seconds)
    }
}

/// Seconds until `remaining` is done at `per_second`; None without a rate.
pub fn eta_at_rate(remaining: f64, per_second: Option<f64>) -> Option<u64> {
    per_second
        .filter(|rate| *rate > 0.0)
        .map(|rate| (remaining.max(0.0) / rate).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_rate_counts_from_the_first_figure_of_the_wait() {
        let start = Instant::now();
        let mut meter = RateMeter::default();
        // A resumed wait starts at 40 bytes already copied: no rate yet.
        assert_eq!(meter.observe(start, 40.0), None);
        assert_eq!(meter.observe(start + Duration::from_secs(2), 40.0), None);
        assert_eq!(meter.observe(start + Duration::from_secs(4), 240.0), Some(50.0));
        assert_eq!(meter.observe(start + Duration::from_secs(10), 540.0), Some(50.0));
    }

    #[test]
    fn the_eta_at_a_rate_rounds_up_and_needs_a_rate() {
        assert_eq!(eta_at_rate(100.0, Some(30.0)), Some(4));
        assert_eq!(eta_at_rate(0.0, Some(30.0)), Some(0));
        assert_eq!(eta_at_rate(100.0, None), None);
        assert_eq!(eta_at_rate(100.0, Some(0.0)), None);
    }
}
