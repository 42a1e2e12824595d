//! The one retry policy of kfscale and its clients: capped exponential backoff with jitter, so
//! clients that failed together (several kfscale runs, helm and kfscale, the Kafka client's many
//! connections) do not come back together, and a budget that stops trying after a time.
//!
//! The engine's steps and pushes, the observation, the Kafka client and the Kubernetes client's
//! retry layer all take their pauses from a [`RetryPolicy`]. (backon was weighed for this: its
//! builders make the same curve, but each of kfscale's loops records and shows its state between
//! tries and sleeps cancellably, which a closure-wrapping retry combinator does not leave room for.)
use std::time::{Duration, Instant};

/// How a pause is made random.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Jitter {
    /// A pause in [ceiling / 2, ceiling]: never longer than the curve, on average 3/4 of it.
    Halving,
    /// A pause in [ceiling x (1 - f), ceiling x (1 + f)] (Kafka's clients spread ±20 %).
    Around(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The pause after the first failure (before jitter).
    pub initial: Duration,
    /// No pause is longer than this (before jitter).
    pub max: Duration,
    pub jitter: Jitter,
}

impl RetryPolicy {
    /// The pause after the `failures`-th failure (1-based), before jitter: doubling from `initial`
    /// up to `max`, never overflowing.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The pause after the `failures`-th failure, jittered.
    pub fn pause(&self, failures: u32) -> Duration {
        let ceiling = self.ceiling(failures);
        match self.jitter {
            Jitter::Halving => ceiling.mul_f64(0.5 + fastrand::f64() / 2.0),
            Jitter::Around(spread) => ceiling.mul_f64((1.0 + spread * (2.0 * fastrand::f64() - 1.0)).max(0.0)),
        }
    }

    pub fn backoff(self) -> Backoff {
        Backoff {
            policy: self,
            failures: 0,
        }
    }

    /// The retries of one thing, given up `limit` after its first failure.
    pub fn budget(self, limit: Duration) -> RetryBudget {
        RetryBudget {
            backoff: self.backoff(),
            limit,
            first_failure: None,
        }
    }
}

/// Failures counted, each answered by a longer pause.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    failures: u32,
}

impl Backoff {
    /// The pause after one more failure.
    pub fn pause_after_failure(&mut self) -> Duration {
        self.failures += 1;
        self.policy.pause(self.failures)
    }

    /// A success: the next failure starts from the initial pause again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// A pause after each failure, until `limit` has passed since the first one.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    backoff: Backoff,
    limit: Duration,
    first_failure: Option<Instant>,
}

impl RetryBudget {
    /// Counts one more failure: the pause before the next try (never past the budget's end), or
    /// None once the budget is spent.
    pub fn next_pause(&mut self) -> Option<Duration> {
        let first = *self.first_failure.get_or_insert_with(Instant::now);
        let pause = self.backoff.pause_after_failure();
        let left = self.limit.saturating_sub(first.elapsed());
        (!left.is_zero()).then(|| pause.min(left))
    }

    /// Failed tries so far.
    pub fn failures(&self) -> u32 {
        self.backoff.failures()
    }

    pub fn since_first_failure(&self) -> Duration {
        self.first_failure.map_or(Duration::ZERO, |first| first.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALVING: RetryPolicy = RetryPolicy {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        jitter: Jitter::Halving,
    };

    #[test]
    fn the_curve_doubles_to_its_cap_and_never_overflows() {
        let ceilings: Vec<u128> = (1..=6).map(|n| HALVING.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(HALVING.ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn each_jitter_stays_in_its_band_and_varies() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let halved = HALVING.pause(1).as_millis();
            assert!((50..=100).contains(&halved), "{halved}");
            seen.insert(halved);
            let around = RetryPolicy {
                jitter: Jitter::Around(0.2),
                ..HALVING
            }
            .pause(1)
            .as_millis();
            assert!((80..=120).contains(&around), "{around}");
        }
        assert!(seen.len() > 10, "jitter varies: {seen:?}");
    }

    #[test]
    fn a_backoff_starts_over_after_a_success() {
        let mut backoff = HALVING.backoff();
        for _ in 0..5 {
            backoff.pause_after_failure();
        }
        assert_eq!(backoff.failures(), 5);
        backoff.reset();
        assert!(backoff.pause_after_failure() <= Duration::from_millis(100));
    }

    #[test]
    fn a_budget_is_spent_after_its_limit() {
        let mut budget = HALVING.budget(Duration::ZERO);
        assert_eq!(budget.next_pause(), None);
        assert_eq!(budget.failures(), 1);
        let mut generous = HALVING.budget(Duration::from_secs(3600));
        assert!(generous.next_pause().is_some());
    }
}
