//! Offsets that move on the model clock: a partition's log end offset grows at its produce rate, a
//! consumer group's committed offset at its consume rate but never past the log end. Rates are
//! piecewise constant, so every quantity is a straight line between two rate changes, and a rate
//! change starts a new line where the old one ended (no jumps).
use serde::Serialize;

/// `base + per_sec * (t - base_ms)`, for `t >= base_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Line {
    pub base_ms: u64,
    pub base: f64,
    pub per_sec: f64,
}

impl Line {
    pub fn new(base_ms: u64, base: f64, per_sec: f64) -> Line {
        Line {
            base_ms,
            base,
            per_sec: per_sec.max(0.0),
        }
    }

    pub fn at(&self, ms: u64) -> f64 {
        self.base + self.per_sec * (ms.saturating_sub(self.base_ms) as f64 / 1000.0)
    }

    /// Continues at `now_ms` from the current value with a new rate.
    pub fn rebased(&self, now_ms: u64, per_sec: f64) -> Line {
        Line::new(now_ms, self.at(now_ms), per_sec)
    }
}

/// A partition's log: offsets `[log_start_offset, log_end_offset)`; records are produced at a
/// constant rate per segment of the history, which also answers ListOffsets by timestamp.
#[derive(Debug, Clone, Serialize)]
pub struct LogOffsets {
    pub log_start_offset: i64,
    /// Every produce line the log went through, oldest first; the last one is current.
    pub history: Vec<Line>,
}

impl LogOffsets {
    pub fn new(now_ms: u64, log_start_offset: i64, log_end_offset: i64, produce_per_sec: f64) -> LogOffsets {
        LogOffsets {
            log_start_offset,
            history: vec![Line::new(now_ms, log_end_offset as f64, produce_per_sec)],
        }
    }

    pub fn current(&self) -> Line {
        // Invariant: `new` puts one line in and nothing removes lines.
        self.history[self.history.len() - 1]
    }

    pub fn log_end_offset(&self, now_ms: u64) -> i64 {
        self.current().at(now_ms).floor() as i64
    }

    pub fn produce_per_sec(&self) -> f64 {
        self.current().per_sec
    }

    pub fn set_produce_rate(&mut self, now_ms: u64, per_sec: f64) {
        let next = self.current().rebased(now_ms, per_sec);
        self.history.push(next);
    }

    /// The first offset whose record has a model timestamp `>= at_ms`, or None when every record is
    /// older (Kafka then answers offset -1).
    pub fn offset_for_time(&self, at_ms: u64, now_ms: u64) -> Option<i64> {
        if at_ms > now_ms {
            return None;
        }
        // The segment that was current at `at_ms`: the last one that started at or before it.
        let line = self
            .history
            .iter()
            .rev()
            .find(|line| line.base_ms <= at_ms)
            .unwrap_or(&self.history[0]);
        let offset = line.at(at_ms).ceil() as i64;
        let end = self.log_end_offset(now_ms);
        if offset >= end {
            None
        } else {
            Some(offset.max(self.log_start_offset))
        }
    }
}

/// A consumer group's position on one partition: its own line, capped by the log end offset.
#[derive(Debug, Clone, Serialize)]
pub struct Commit {
    pub line: Line,
    pub metadata: String,
    pub leader_epoch: i32,
}

impl Commit {
    pub fn new(now_ms: u64, offset: i64, consume_per_sec: f64) -> Commit {
        Commit {
            line: Line::new(now_ms, offset as f64, consume_per_sec),
            metadata: String::new(),
            leader_epoch: -1,
        }
    }

    /// The committed offset at `now_ms`. Exact while the log's produce line and this line are both
    /// unchanged since the later of their bases: a consumer faster than the producer catches up and
    /// then stays at the log end (min of two lines), a slower one never reaches it.
    pub fn offset(&self, now_ms: u64, log: &LogOffsets) -> i64 {
        let end = log.log_end_offset(now_ms);
        (self.line.at(now_ms).floor() as i64).min(end)
    }

    pub fn consume_per_sec(&self) -> f64 {
        self.line.per_sec
    }

    /// Starts a new line at `now_ms` (from the capped position) with `per_sec`; called on every
    /// rate change of either the consumer or the partition's producer, which keeps `offset` exact.
    pub fn rebase(&mut self, now_ms: u64, log: &LogOffsets, per_sec: f64) {
        let position = self.offset(now_ms, log);
        self.line = Line::new(now_ms, position as f64, per_sec);
    }

    pub fn set_offset(&mut self, now_ms: u64, offset: i64) {
        self.line = Line::new(now_ms, offset as f64, self.line.per_sec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_end_offset_grows_at_the_produce_rate() {
        let mut log = LogOffsets::new(0, 0, 100, 10.0);
        assert_eq!(log.log_end_offset(0), 100);
        assert_eq!(log.log_end_offset(2_500), 125);
        log.set_produce_rate(2_500, 0.0);
        assert_eq!(log.log_end_offset(60_000), 125);
    }

    #[test]
    fn lag_grows_with_a_slow_consumer_and_shrinks_to_zero_with_a_fast_one() {
        let mut log = LogOffsets::new(0, 0, 1_000, 100.0);
        let mut commit = Commit::new(0, 1_000, 50.0);
        let lag = |c: &Commit, log: &LogOffsets, t| log.log_end_offset(t) - c.offset(t, log);
        assert_eq!(lag(&commit, &log, 10_000), 500);
        commit.rebase(10_000, &log, 200.0);
        assert_eq!(lag(&commit, &log, 12_000), 300);
        // Caught up after 5 s more; from then on it follows the log end.
        assert_eq!(lag(&commit, &log, 15_000), 0);
        assert_eq!(lag(&commit, &log, 40_000), 0);
        // The producer speeds up past the consumer: lag grows again from zero, not from a debt.
        commit.rebase(40_000, &log, 200.0);
        log.set_produce_rate(40_000, 300.0);
        assert_eq!(lag(&commit, &log, 41_000), 100);
    }

    #[test]
    fn offsets_by_timestamp_follow_the_produce_history() {
        let mut log = LogOffsets::new(0, 0, 0, 10.0);
        log.set_produce_rate(10_000, 1.0);
        assert_eq!(log.offset_for_time(0, 20_000), Some(0));
        assert_eq!(log.offset_for_time(5_000, 20_000), Some(50));
        assert_eq!(log.offset_for_time(15_000, 20_000), Some(105));
        assert_eq!(log.offset_for_time(25_000, 20_000), None);
    }
}
