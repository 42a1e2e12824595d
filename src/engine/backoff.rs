//! Capped exponential backoff with jitter, for faults that may pass: each pause doubles from
//! `retry_base` up to `retry_cap`, then is scaled by a random factor in [0.5, 1], so many clients
//! that failed together (several kfscale runs, or helm and kfscale) do not come back together.
use std::time::{Duration, Instant};

use super::settings::ApplySettings;

pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(settings: &ApplySettings) -> Backoff {
        Backoff {
            base: settings.retry_base,
            cap: settings.retry_cap,
            failures: 0,
        }
    }

    /// The pause after one more failure.
    pub fn pause_after_failure(&mut self) -> Duration {
        self.failures += 1;
        self.ceiling(self.failures).mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    /// The pause before jitter after the `failures`-th failure (1-based).
    fn ceiling(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A success: the next failure starts from the base again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// The retries of one thing: a pause after each failure, until `retry_for` has passed since the
/// first one (a step, the record's push).
pub struct RetryBudget {
    backoff: Backoff,
    limit: Duration,
    first_failure: Option<Instant>,
    failures: u32,
}

impl RetryBudget {
    pub fn new(settings: &ApplySettings) -> RetryBudget {
        RetryBudget {
            backoff: Backoff::new(settings),
            limit: settings.retry_for,
            first_failure: None,
            failures: 0,
        }
    }

    /// Counts one more failure: the pause before the next try (never past the budget's end), or
    /// None once the budget is spent.
    pub fn next_pause(&mut self) -> Option<Duration> {
        self.failures += 1;
        let first = *self.first_failure.get_or_insert_with(Instant::now);
        let left = self.limit.saturating_sub(first.elapsed());
        (!left.is_zero()).then(|| self.backoff.pause_after_failure().min(left))
    }

    /// Failed tries so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn since_first_failure(&self) -> Duration {
        self.first_failure.map_or(Duration::ZERO, |first| first.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff(base_ms: u64, cap_ms: u64) -> Backoff {
        let settings = ApplySettings {
            retry_base: Duration::from_millis(base_ms),
            retry_cap: Duration::from_millis(cap_ms),
            ..ApplySettings::default()
        };
        Backoff::new(&settings)
    }

    #[test]
    fn pauses_double_up_to_the_cap_with_jitter_below_each_ceiling() {
        let mut backoff = backoff(100, 1_000);
        let ceilings = [100, 200, 400, 800, 1_000, 1_000, 1_000];
        for ceiling in ceilings {
            let pause = backoff.pause_after_failure().as_millis() as u64;
            assert!(
                (ceiling / 2..=ceiling).contains(&pause),
                "pause {pause} ms outside [{}, {ceiling}]",
                ceiling / 2
            );
        }
        assert_eq!(backoff.failures(), ceilings.len() as u32);
        backoff.reset();
        assert!(backoff.pause_after_failure() <= Duration::from_millis(100));
    }

    #[test]
    fn jitter_spreads_the_pauses() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let mut backoff = backoff(1_000, 60_000);
            seen.insert(backoff.pause_after_failure().as_millis());
        }
        // Fifty draws from [500, 1000] ms landing on a handful of values would mean no jitter.
        assert!(seen.len() > 10, "{seen:?}");
    }

    #[test]
    fn a_budget_gives_pauses_until_its_time_is_spent() {
        let settings = ApplySettings {
            retry_base: Duration::from_millis(100),
            retry_cap: Duration::from_millis(400),
            retry_for: Duration::from_secs(3600),
            ..ApplySettings::default()
        };
        let mut budget = RetryBudget::new(&settings);
        for failures in 1..=5 {
            let pause = budget.next_pause().expect("time is left");
            assert!(pause <= Duration::from_millis(400), "{pause:?}");
            assert_eq!(budget.failures(), failures);
        }
        let spent = ApplySettings {
            retry_for: Duration::ZERO,
            ..settings
        };
        let mut budget = RetryBudget::new(&spent);
        assert_eq!(budget.next_pause(), None);
        assert_eq!(budget.failures(), 1);
    }

    #[test]
    fn a_long_outage_never_overflows() {
        let mut backoff = backoff(2_000, 60_000);
        for _ in 0..10_000 {
            assert!(backoff.pause_after_failure() <= Duration::from_secs(60));
        }
    }
}
