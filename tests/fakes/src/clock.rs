//! The model clock: fake time that runs `speed` times faster than real time and can be pushed
//! forward from a test, so a 30-minute rebalance takes seconds and a test can make it finish now.
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct ModelClock {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    started: Instant,
    speed: f64,
    /// Model time added by `advance`.
    offset: Duration,
}

impl ModelClock {
    /// `speed`: model seconds per real second (1.0 = real time).
    pub fn new(speed: f64) -> ModelClock {
        ModelClock {
            inner: Arc::new(Mutex::new(Inner {
                started: Instant::now(),
                speed,
                offset: Duration::ZERO,
            })),
        }
    }

    /// Model time since the fake started.
    pub fn now(&self) -> Duration {
        let inner = self.lock();
        inner.started.elapsed().mul_f64(inner.speed) + inner.offset
    }

    /// Model time in milliseconds since the fake started.
    pub fn now_ms(&self) -> u64 {
        self.now().as_millis() as u64
    }

    pub fn advance(&self, by: Duration) {
        self.lock().offset += by;
    }

    pub fn speed(&self) -> f64 {
        self.lock().speed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere in a test fake; the data stays usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_model_time_forward() {
        let clock = ModelClock::new(0.0);
        assert_eq!(clock.now(), Duration::ZERO);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_ms(), 90_000);
    }
}
