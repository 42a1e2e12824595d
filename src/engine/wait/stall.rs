//! Whether something that should move has stopped: the last figures seen, and how long they have
//! stayed the same. Long waits (a Pinot rebalance can take hours) fail on a stall long before their
//! overall limit, naming the figures that stopped moving.
use std::time::{Duration, Instant};

pub struct StallWatch<T> {
    last: Option<T>,
    since: Instant,
    limit: Duration,
}

impl<T: PartialEq> StallWatch<T> {
    pub fn new(limit: Duration) -> StallWatch<T> {
        StallWatch {
            last: None,
            since: Instant::now(),
            limit,
        }
    }

    /// Notes the figures seen now (`None`: none could be read, which is no progress either).
    /// Returns how long they have been flat once that reaches the limit.
    pub fn note(&mut self, now: Option<T>) -> Option<Duration> {
        if let Some(now) = now
            && self.last.as_ref() != Some(&now)
        {
            self.last = Some(now);
            self.since = Instant::now();
            return None;
        }
        let flat = self.since.elapsed();
        (flat >= self.limit).then_some(flat)
    }
}

/// `12.5 min`, `40 s`: how long something was flat, for messages.
pub fn shown(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds >= 120.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{seconds:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_restarts_the_watch() {
        let mut watch = StallWatch::new(Duration::from_secs(3600));
        assert_eq!(watch.note(Some(1)), None);
        assert_eq!(watch.note(Some(1)), None, "flat, but not for long");
        assert_eq!(watch.note(None), None);

        let mut watch = StallWatch::new(Duration::ZERO);
        assert_eq!(watch.note(Some(1)), None, "the first figures are a change");
        assert!(watch.note(Some(1)).is_some(), "flat for the (zero) limit");
        assert_eq!(watch.note(Some(2)), None);
        assert!(watch.note(None).is_some(), "unreadable counts as no progress");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(shown(Duration::from_secs(40)), "40 s");
        assert_eq!(shown(Duration::from_secs(30 * 60)), "30.0 min");
    }
}
