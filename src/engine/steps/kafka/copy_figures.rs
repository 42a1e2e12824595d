//! How far a reassignment's data copy got and when it should end, from the partition sizes Kafka
//! reported (DescribeLogDirs, in the recorded moves) and the replication throttle: the figures
//! `kfscale status` shows while the moves run. Pure.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::moves::{Key, Move};
use crate::engine::report::progress::{eta_at_observed_rate, eta_at_throttle};

#[derive(Debug, PartialEq)]
pub struct CopyFigures {
    pub done_bytes: u64,
    pub total_bytes: u64,
    pub eta_seconds: Option<u64>,
    /// Which figure the ETA comes from.
    pub eta_from: String,
}

/// Bytes of the finished moves' new replicas.
pub fn copied_bytes(moves: &[Move], finished: &[Key]) -> u64 {
    copy_figures(moves, finished, 0, 0, Duration::ZERO).done_bytes
}

/// Bytes are counted per new replica (a move adding two replicas copies its partition twice).
/// With a throttle, the broker with the most bytes still to receive sets the ETA; without one,
/// the rate seen so far in this attempt does (`done_before`: bytes finished when it started,
/// `elapsed` since then).
pub fn copy_figures(
    moves: &[Move],
    finished: &[Key],
    throttle_bytes_per_second: u64,
    done_before: u64,
    elapsed: Duration,
) -> CopyFigures {
    let finished: BTreeSet<&Key> = finished.iter().collect();
    let (mut done_bytes, mut total_bytes) = (0u64, 0u64);
    let mut remaining: BTreeMap<i32, u64> = BTreeMap::new();
    for one in moves {
        let bytes = one.bytes.unwrap_or(0);
        for broker in one.adding() {
            total_bytes += bytes;
            if finished.contains(&one.key()) {
                done_bytes += bytes;
            } else {
                *remaining.entry(broker).or_default() += bytes;
            }
        }
    }
    let left = total_bytes - done_bytes;
    let (eta_seconds, eta_from) = if left == 0 {
        (Some(0), "nothing left to copy".to_string())
    } else if throttle_bytes_per_second > 0 {
        (
            eta_at_throttle(remaining.into_values(), throttle_bytes_per_second),
            format!("bytes left on the busiest broker at the {throttle_bytes_per_second} B/s throttle"),
        )
    } else {
        (
            eta_at_observed_rate(
                done_bytes.saturating_sub(done_before) as f64,
                left as f64,
                elapsed.as_secs_f64(),
            ),
            "bytes left at the rate seen so far".to_string(),
        )
    };
    CopyFigures {
        done_bytes,
        total_bytes,
        eta_seconds,
        eta_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(partition: i32, from: &[i32], to: &[i32], bytes: u64) -> Move {
        Move {
            topic: "t".into(),
            partition,
            from: from.to_vec(),
            to: to.to_vec(),
            bytes: Some(bytes),
        }
    }

    #[test]
    fn the_busiest_receiver_sets_the_eta_at_the_throttle() {
        let moves = [
            one(0, &[1, 2], &[3, 2], 100),
            one(1, &[1, 2], &[3, 4], 50),
            one(2, &[2, 1], &[2, 4], 40),
        ];
        let finished = [("t".to_string(), 2)];
        let figures = copy_figures(&moves, &finished, 10, 0, Duration::ZERO);
        // Broker 3 still receives 150 bytes, broker 4 receives 50: 15 s at 10 B/s.
        assert_eq!((figures.done_bytes, figures.total_bytes), (40, 240));
        assert_eq!(figures.eta_seconds, Some(15));
    }

    #[test]
    fn without_a_throttle_the_observed_rate_sets_it() {
        let moves = [one(0, &[1], &[2], 100), one(1, &[1], &[3], 300)];
        let finished = [("t".to_string(), 0)];
        let figures = copy_figures(&moves, &finished, 0, 0, Duration::from_secs(10));
        assert_eq!(figures.eta_seconds, Some(30));
        // Copied before this attempt: no rate seen yet.
        assert_eq!(copied_bytes(&moves, &finished), 100);
        let resumed = copy_figures(&moves, &finished, 0, 100, Duration::from_secs(10));
        assert_eq!(resumed.eta_seconds, None);
        let nothing_yet = copy_figures(&moves, &[], 0, 0, Duration::from_secs(10));
        assert_eq!(nothing_yet.eta_seconds, None);
        let all = copy_figures(&moves, &[("t".into(), 0), ("t".into(), 1)], 0, 0, Duration::ZERO);
        assert_eq!(all.eta_seconds, Some(0));
    }
}
