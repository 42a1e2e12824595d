//! Retries: capped exponential backoff with jitter (Kafka's `retry.backoff.ms` 100 ms doubling to
//! `retry.backoff.max.ms` 1 s, ±20 %), bounded by the operation's deadline. Only errors that
//! another attempt can fix are retried: leadership and coordinator moves, timeouts, lost
//! connections. Everything else comes back at once.
use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::time::Instant;

use crate::error::KafkaError;

use kfscale_retry::Jitter;
pub use kfscale_retry::RetryPolicy;

/// Kafka's own client defaults: `retry.backoff.ms` 100 ms doubling to `retry.backoff.max.ms` 1 s,
/// ±20 %.
pub const KAFKA_RETRY: RetryPolicy = RetryPolicy {
    initial: Duration::from_millis(100),
    max: Duration::from_secs(1),
    jitter: Jitter::Around(0.2),
};

/// Error codes the client retries (after refreshing what they say is stale).
const RETRIED: &[ResponseError] = &[
    ResponseError::NotController,
    ResponseError::RequestTimedOut,
    ResponseError::LeaderNotAvailable,
    ResponseError::NotLeaderOrFollower,
    ResponseError::FencedLeaderEpoch,
    ResponseError::UnknownLeaderEpoch,
    ResponseError::OffsetNotAvailable,
    ResponseError::CoordinatorNotAvailable,
    ResponseError::CoordinatorLoadInProgress,
    ResponseError::NotCoordinator,
    ResponseError::NetworkException,
    ResponseError::ThrottlingQuotaExceeded,
];

/// Whether the client tries again on `error`.
pub fn retried(error: &KafkaError) -> bool {
    match error {
        KafkaError::Api { code, .. } => RETRIED.iter().any(|e| e.code() == *code),
        KafkaError::Network { .. } | KafkaError::Timeout { .. } => true,
        _ => false,
    }
}

/// The attempts of one operation.
pub struct Attempts {
    policy: RetryPolicy,
    started: Instant,
    deadline: Instant,
    failures: u32,
}

impl Attempts {
    pub fn new(policy: RetryPolicy, timeout: Duration) -> Attempts {
        let started = Instant::now();
        Attempts {
            policy,
            started,
            deadline: started + timeout,
            failures: 0,
        }
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// After a failed attempt: waits the backoff and returns Ok when another attempt is worth it,
    /// else the error to report.
    pub async fn failed(&mut self, error: KafkaError) -> Result<(), KafkaError> {
        self.failures += 1;
        if !retried(&error) {
            return Err(error);
        }
        let wait = self.policy.pause(self.failures);
        if Instant::now() + wait >= self.deadline {
            return Err(KafkaError::GaveUp {
                last: Box::new(error),
                attempts: self.failures,
                elapsed: self.started.elapsed(),
            });
        }
        tracing::debug!(%error, ?wait, "Kafka: retrying");
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = KAFKA_RETRY;
        let waits: Vec<u128> = (1..=6).map(|n| policy.ceiling(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.ceiling(1000), Duration::from_secs(1));
        for _ in 0..100 {
            let wait = policy.pause(1).as_millis();
            assert!((80..=120).contains(&wait), "{wait}");
        }
    }

    #[test]
    fn only_transient_errors_are_retried() {
        assert!(retried(&KafkaError::api("CreatePartitions", "", 41, None)));
        assert!(retried(&KafkaError::api("ListOffsets", "", 6, None)));
        assert!(!retried(&KafkaError::api("CreatePartitions", "", 37, None)));
        // Retriable for Kafka, but for an admin call it means the topic is not there.
        assert!(!retried(&KafkaError::api("AlterPartitionReassignments", "", 3, None)));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline_with_the_last_error() {
        let mut attempts = Attempts::new(KAFKA_RETRY, Duration::from_secs(2));
        let mut tries = 0;
        let error = loop {
            tries += 1;
            if let Err(error) = attempts.failed(KafkaError::api("Metadata", "", 7, None)).await {
                break error;
            }
        };
        assert!(matches!(error, KafkaError::GaveUp { .. }), "{error}");
        assert!(error.to_string().contains("REQUEST_TIMED_OUT"), "{error}");
        assert!(error.to_string().contains("kafka.timeout_seconds"), "{error}");
        assert!((3..=6).contains(&tries), "{tries}");
        assert!(error.is_retriable());
    }
}
