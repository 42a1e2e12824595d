//! One update of a wait as the operator sees it, whoever draws it: the terminal's bar
//! (`live_bar.rs`) and the plain progress lines (`line_schedule.rs` says when) show the same
//! figures, formatted here once.
use std::time::Duration;

use indicatif::BinaryBytes;

use super::progress::duration_text;

#[derive(Debug, Clone, PartialEq)]
pub struct WaitView<'a> {
    /// What is waited for (`partition moves`) and the system's latest words on it.
    pub what: &'a str,
    pub text: &'a str,
    pub elapsed: Duration,
    /// Done and total, when the step counts them.
    pub counted: Option<Counted<'a>>,
    /// The rate seen during this wait, in the counted unit per second.
    pub per_second: Option<f64>,
    /// Seconds left: the step's own figure (bytes left at the throttle), else at the rate seen.
    pub eta_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counted<'a> {
    pub done: f64,
    pub total: f64,
    /// `bytes`, `nodes`, `segments`.
    pub unit: &'a str,
}

pub const BYTES: &str = "bytes";

impl WaitView<'_> {
    /// The share done, 0..=1, when counted.
    pub fn fraction(&self) -> Option<f64> {
        self.counted
            .filter(|c| c.total > 0.0)
            .map(|c| (c.done / c.total).clamp(0.0, 1.0))
    }

    /// Whether the figures are bytes: a data copy, shown with sizes and a rate.
    pub fn counts_bytes(&self) -> bool {
        self.counted.is_some_and(|c| c.unit == BYTES && c.total > 0.0)
    }

    /// The wait as one line of plain text for a log (no carriage return, no escape code):
    /// `  waiting for partition moves (33%): 1.20 GiB of 3.60 GiB at 98.20 MiB/s, about 2m 51s
    /// left; 6/18 partitions moved, 4 in flight, 8 waiting (12s)`.
    pub fn line(&self) -> String {
        let mut head = format!("  waiting for {}", self.what);
        if let Some(fraction) = self.fraction() {
            // Rounded down: 100% only once it is all done.
            head += &format!(" ({:.0}%)", (fraction * 100.0).floor());
        }
        let mut figures = Vec::new();
        if let Some(counted) = self.counted.filter(|_| self.counts_bytes()) {
            let mut copied = format!("{} of {}", bytes_text(counted.done), bytes_text(counted.total));
            if let Some(rate) = self.per_second {
                copied += &format!(" at {}", rate_text(rate));
            }
            figures.push(copied);
        }
        if let Some(eta) = self.eta_seconds {
            figures.push(format!("about {} left", duration_text(eta)));
        }
        let figures = if figures.is_empty() {
            String::new()
        } else {
            format!("{}; ", figures.join(", "))
        };
        format!("{head}: {figures}{} ({}s)", self.text, self.elapsed.as_secs())
    }
}

/// `1.20 GiB`: powers of 1024, as Kafka's sizes and the throttle are counted.
pub fn bytes_text(bytes: f64) -> String {
    BinaryBytes(bytes.max(0.0) as u64).to_string()
}

/// `98.20 MiB/s`.
pub fn rate_text(bytes_per_second: f64) -> String {
    format!("{}/s", bytes_text(bytes_per_second))
}

/// `2m 51s`, or `-` while unknown.
pub fn eta_text(seconds: Option<u64>) -> String {
    seconds.map_or_else(|| "-".to_string(), duration_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    fn view<'a>(counted: Option<Counted<'a>>, per_second: Option<f64>, eta_seconds: Option<u64>) -> WaitView<'a> {
        WaitView {
            what: "partition moves",
            text: "6/18 partitions moved, 4 in flight, 8 waiting",
            elapsed: Duration::from_millis(12_700),
            counted,
            per_second,
            eta_seconds,
        }
    }

    #[test]
    fn a_data_copy_shows_sizes_rate_and_time_left() {
        let copied = Counted {
            done: 1.2 * GIB,
            total: 3.6 * GIB,
            unit: BYTES,
        };
        assert_eq!(
            view(Some(copied), Some(98.2 * 1024.0 * 1024.0), Some(171)).line(),
            "  waiting for partition moves (33%): 1.20 GiB of 3.60 GiB at 98.20 MiB/s, about 2m 51s left; \
             6/18 partitions moved, 4 in flight, 8 waiting (12s)"
        );
        // Before anything finished: no rate, no ETA yet.
        let nothing = Counted { done: 0.0, ..copied };
        assert_eq!(
            view(Some(nothing), None, None).line(),
            "  waiting for partition moves (0%): 0 B of 3.60 GiB; 6/18 partitions moved, 4 in flight, 8 waiting (12s)"
        );
    }

    #[test]
    fn other_counts_show_their_share_and_uncounted_waits_their_text() {
        let nodes = Counted {
            done: 8.0,
            total: 9.0,
            unit: "nodes",
        };
        assert_eq!(
            view(Some(nodes), Some(0.5), None).line(),
            "  waiting for partition moves (88%): 6/18 partitions moved, 4 in flight, 8 waiting (12s)"
        );
        assert_eq!(
            view(None, None, None).line(),
            "  waiting for partition moves: 6/18 partitions moved, 4 in flight, 8 waiting (12s)"
        );
        // 99.9% is not done.
        let almost = Counted {
            done: 999.0,
            total: 1000.0,
            unit: "segments",
        };
        assert!(
            view(Some(almost), None, Some(5))
                .line()
                .contains("(99%): about 5s left; ")
        );
    }

    #[test]
    fn figures_format_for_people() {
        assert_eq!(bytes_text(512.0), "512 B");
        assert_eq!(bytes_text(1.5 * GIB), "1.50 GiB");
        assert_eq!(rate_text(100.0 * 1024.0 * 1024.0), "100.00 MiB/s");
        assert_eq!(eta_text(Some(3 * 3600 + 300)), "3h 05m");
        assert_eq!(eta_text(None), "-");
    }
}
