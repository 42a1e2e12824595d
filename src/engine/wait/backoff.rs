//! The engine's retries (steps, the record's push, waits, the observation): the one retry policy
//! (`kfscale-retry`), capped exponential backoff with jitter in [ceiling/2, ceiling], shaped by
//! the `apply.retry_*` settings.
use kfscale_retry::Jitter;
pub use kfscale_retry::{Backoff, RetryBudget, RetryPolicy};

use crate::engine::settings::ApplySettings;

impl ApplySettings {
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            initial: self.retry_base,
            max: self.retry_cap,
            jitter: Jitter::Halving,
        }
    }

    pub fn backoff(&self) -> Backoff {
        self.retry_policy().backoff()
    }

    /// The retries of one thing (a step, the record's push), until `retry_for` has passed since
    /// its first failure.
    pub fn retry_budget(&self) -> RetryBudget {
        self.retry_policy().budget(self.retry_for)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn backoff(base_ms: u64, cap_ms: u64) -> Backoff {
        let settings = ApplySettings {
            retry_base: Duration::from_millis(base_ms),
            retry_cap: Duration::from_millis(cap_ms),
            ..ApplySettings::default()
        };
        settings.backoff()
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
        let mut budget = settings.retry_budget();
        for failures in 1..=5 {
            let pause = budget.next_pause().expect("time is left");
            assert!(pause <= Duration::from_millis(400), "{pause:?}");
            assert_eq!(budget.failures(), failures);
        }
        let spent = ApplySettings {
            retry_for: Duration::ZERO,
            ..settings
        };
        let mut budget = spent.retry_budget();
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
