//! `kafka-lag`: consumer lag (end offset minus committed offset) per group, topic and partition,
//! sampled a few times over a short window so each partition gets a trend (falling, flat, rising)
//! and the partitions whose consumer does not move are named. RED: a partition above
//! `validate.max_consumer_lag` that is not falling, or one whose consumer stands still while its
//! log grows. YELLOW: above the limit but falling, or a consumer standing still with lag left and no
//! new data (idle or stuck: look again). The apply's validate step waits on [`Lag`] first.
use std::collections::BTreeMap;
use std::fmt;

use crate::snapshot::ConsumerGroupOffsets;

use super::check::{Check, capped};

/// Partitions of consumer groups whose lag is above the limit, in one sample.
pub struct Lag {
    /// (group, topic, partition, lag), highest lag first.
    pub above: Vec<(String, String, i32, u64)>,
    pub highest: u64,
    pub partitions: usize,
}

impl Lag {
    /// Partitions without a committed offset or a known end offset have no lag to speak of.
    pub fn of(groups: &[ConsumerGroupOffsets], max: u64) -> Lag {
        let mut lag = Lag {
            above: Vec::new(),
            highest: 0,
            partitions: 0,
        };
        for ((group, topic, partition), (end, committed)) in offsets(groups) {
            let behind = (end - committed).max(0) as u64;
            lag.partitions += 1;
            lag.highest = lag.highest.max(behind);
            if behind > max {
                lag.above.push((group, topic, partition, behind));
            }
        }
        lag.above
            .sort_by(|a, b| b.3.cmp(&a.3).then_with(|| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2))));
        lag
    }

    pub fn describe(&self) -> String {
        let shown: Vec<String> = self
            .above
            .iter()
            .take(5)
            .map(|(group, topic, partition, lag)| format!("group {group} {topic}-{partition} lag {lag}"))
            .collect();
        let more = self.above.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "{} partition(s) above the limit: {}{more}",
            self.above.len(),
            shown.join(", ")
        )
    }
}

type Key = (String, String, i32);

/// (group, topic, partition) -> (end offset, committed offset), for partitions with both known.
fn offsets(groups: &[ConsumerGroupOffsets]) -> BTreeMap<Key, (i64, i64)> {
    groups
        .iter()
        .flat_map(|g| {
            g.partitions
                .iter()
                .filter(|p| p.committed_offset >= 0 && p.end_offset >= 0)
                .map(move |p| {
                    (
                        (g.group.clone(), p.topic.clone(), p.partition),
                        (p.end_offset, p.committed_offset),
                    )
                })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Falling,
    Flat,
    Rising,
    /// One sample only.
    Unknown,
}

impl fmt::Display for Trend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trend::Falling => "falling",
            Trend::Flat => "flat",
            Trend::Rising => "rising",
            Trend::Unknown => "one sample",
        })
    }
}

/// One partition over the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub first: u64,
    pub last: u64,
    pub trend: Trend,
    /// The committed offset did not move over the window while lag was left.
    pub not_consuming: bool,
    /// The log grew over the window.
    pub producing: bool,
}

impl PartitionLag {
    fn line(&self) -> String {
        let mut text = format!(
            "group {} {}-{}: lag {} -> {} ({})",
            self.group, self.topic, self.partition, self.first, self.last, self.trend
        );
        if self.not_consuming {
            text.push_str(if self.producing {
                ", not consuming while its log grows"
            } else {
                ", not consuming (no new data either)"
            });
        }
        text
    }
}

/// Each partition's lag from the first to the last sample (partitions missing from either are left
/// out: a group that appeared or went away in the window has no trend).
pub fn trends(samples: &[Vec<ConsumerGroupOffsets>]) -> Vec<PartitionLag> {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Vec::new();
    };
    let (first, last) = (offsets(first), offsets(last));
    let one_sample = samples.len() < 2;
    let mut out = Vec::new();
    for (key, (end1, committed1)) in &first {
        let Some((end2, committed2)) = last.get(key) else {
            continue;
        };
        let (lag1, lag2) = ((end1 - committed1).max(0) as u64, (end2 - committed2).max(0) as u64);
        let trend = if one_sample {
            Trend::Unknown
        } else if lag2 < lag1 {
            Trend::Falling
        } else if lag2 > lag1 {
            Trend::Rising
        } else {
            Trend::Flat
        };
        out.push(PartitionLag {
            group: key.0.clone(),
            topic: key.1.clone(),
            partition: key.2,
            first: lag1,
            last: lag2,
            trend,
            not_consuming: !one_sample && committed2 == committed1 && lag2 > 0,
            producing: end2 > end1,
        });
    }
    out
}

/// The check over `samples` taken `window_ms` apart in all.
pub fn check(samples: &[Vec<ConsumerGroupOffsets>], max: u64, window_ms: u64) -> Check {
    let partitions = trends(samples);
    let groups: std::collections::BTreeSet<&str> = partitions.iter().map(|p| p.group.as_str()).collect();
    let red: Vec<&PartitionLag> = partitions
        .iter()
        .filter(|p| (p.last > max && p.trend != Trend::Falling) || (p.not_consuming && p.producing))
        .collect();
    let yellow: Vec<&PartitionLag> = partitions
        .iter()
        .filter(|p| !red.contains(p) && (p.last > max || p.not_consuming))
        .collect();
    let highest = partitions.iter().map(|p| p.last).max().unwrap_or(0);
    let count = |t: Trend| partitions.iter().filter(|p| p.trend == t).count();
    let overview = format!(
        "{} partitions of {} groups over {:.1} s ({} samples): highest lag {highest} (limit {max}); {} falling, {} flat, {} rising",
        partitions.len(),
        groups.len(),
        window_ms as f64 / 1000.0,
        samples.len(),
        count(Trend::Falling),
        count(Trend::Flat),
        count(Trend::Rising)
    );
    let mut lines: Vec<String> = red.iter().chain(yellow.iter()).map(|p| p.line()).collect();
    if !red.is_empty() {
        lines.insert(0, overview);
        return Check::red(
            "kafka-lag",
            format!("{} partition(s) lag behind and do not catch up", red.len()),
        )
        .evidence(capped(lines))
        .fix("the consumers named are not keeping up: check that each group's consumers run and consume (for Kloudfuse: the Pinot servers of the table the group names, and the ingesters and transformers)");
    }
    if !yellow.is_empty() {
        lines.insert(0, overview);
        return Check::yellow(
            "kafka-lag",
            format!("{} partition(s) catching up or idle", yellow.len()),
        )
        .evidence(capped(lines))
        .fix("run `kfscale verify` again in a few minutes: the lag must fall");
    }
    if partitions.is_empty() {
        return Check::green("kafka-lag", "no consumer group has committed offsets");
    }
    Check::green("kafka-lag", format!("every partition consumes and lags at most {max}")).evidence([overview])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::PartitionOffsets;
    use crate::verify::Status;

    fn group(name: &str, offsets: &[(i32, i64, i64)]) -> ConsumerGroupOffsets {
        ConsumerGroupOffsets {
            group: name.into(),
            partitions: offsets
                .iter()
                .map(|&(partition, end_offset, committed_offset)| PartitionOffsets {
                    topic: "t".into(),
                    partition,
                    end_offset,
                    committed_offset,
                })
                .collect(),
        }
    }

    #[test]
    fn lag_is_end_minus_committed_per_partition() {
        let groups = [
            group("a", &[(0, 1000, 990), (1, 1000, -1), (2, -1, 5)]),
            group("b", &[(0, 5000, 0), (1, 900, 100)]),
        ];
        let lag = Lag::of(&groups, 500);
        assert_eq!((lag.partitions, lag.highest), (3, 5000));
        assert_eq!(
            lag.above,
            [
                ("b".to_string(), "t".to_string(), 0, 5000),
                ("b".to_string(), "t".to_string(), 1, 800)
            ]
        );
        assert_eq!(
            lag.describe(),
            "2 partition(s) above the limit: group b t-0 lag 5000, group b t-1 lag 800"
        );
        assert!(Lag::of(&groups, 5000).above.is_empty(), "at the limit is fine");
    }

    #[test]
    fn trends_name_partitions_that_do_not_consume() {
        // p0 consumes as fast as it grows; p1 stands still while its log grows; p2 catches up;
        // p3 is idle with lag left and nothing new.
        let before = [group(
            "g",
            &[(0, 1000, 800), (1, 1000, 800), (2, 9000, 0), (3, 500, 400)],
        )];
        let after = [group(
            "g",
            &[(0, 1500, 1300), (1, 1500, 800), (2, 9100, 5000), (3, 500, 400)],
        )];
        let partitions = trends(&[before.to_vec(), after.to_vec()]);
        let by = |p: i32| partitions.iter().find(|l| l.partition == p).unwrap().clone();
        assert_eq!((by(0).trend, by(0).not_consuming), (Trend::Flat, false));
        assert_eq!(
            (by(1).trend, by(1).not_consuming, by(1).producing),
            (Trend::Rising, true, true)
        );
        assert_eq!(by(2).trend, Trend::Falling);
        assert_eq!(
            (by(3).trend, by(3).not_consuming, by(3).producing),
            (Trend::Flat, true, false)
        );

        let check = check(&[before.to_vec(), after.to_vec()], 1000, 3000);
        assert_eq!(check.status, Status::Red, "{check:#?}");
        assert_eq!(
            check.evidence[1],
            "group g t-1: lag 200 -> 700 (rising), not consuming while its log grows"
        );
        assert_eq!(check.evidence[2], "group g t-2: lag 9000 -> 4100 (falling)");
        assert_eq!(
            check.evidence[3],
            "group g t-3: lag 100 -> 100 (flat), not consuming (no new data either)"
        );
    }

    #[test]
    fn above_the_limit_but_falling_is_yellow_and_steady_consumers_are_green() {
        let before = [group("g", &[(0, 9000, 0)])];
        let after = [group("g", &[(0, 9100, 5000)])];
        assert_eq!(
            check(&[before.to_vec(), after.to_vec()], 1000, 3000).status,
            Status::Yellow
        );
        let steady = [group("g", &[(0, 2000, 1900)])];
        let later = [group("g", &[(0, 2500, 2400)])];
        let green = check(&[steady.to_vec(), later.to_vec()], 1000, 3000);
        assert_eq!(green.status, Status::Green, "{green:#?}");
        assert!(green.evidence[0].contains("1 partitions of 1 groups over 3.0 s (2 samples): highest lag 100"));
        assert_eq!(
            check(&[steady.to_vec()], 50, 0).status,
            Status::Red,
            "one sample: above the limit is red"
        );
    }
}
