//! The partitions the plan balances: every partition of the snapshot's balanced topics, read in
//! place, then the partitions the topic list will create. A copy of the snapshot's partitions as
//! owned requests (a topic name and a replica list each) took more memory than the snapshot
//! itself on a million partitions (docs/performance.md, "Peak memory of a big plan").
use crate::balance::{PartitionRef, PartitionSource};
use crate::snapshot::KafkaPartition;

/// A stretch of consecutive partitions of one topic.
enum Run<'a> {
    /// Partitions that exist, as the snapshot holds them.
    Live {
        topic: &'a str,
        partitions: &'a [KafkaPartition],
    },
    /// Partitions `first..first + count` the plan creates: no replicas yet, no size.
    Created {
        topic: &'a str,
        first: u64,
        count: usize,
        replication_factor: usize,
    },
}

impl Run<'_> {
    fn len(&self) -> usize {
        match self {
            Run::Live { partitions, .. } => partitions.len(),
            Run::Created { count, .. } => *count,
        }
    }
}

/// The balancer's request, in the order runs were added (errors name the first bad partition in
/// that order).
#[derive(Default)]
pub(crate) struct PlannedPartitions<'a> {
    runs: Vec<Run<'a>>,
    /// The position of each run's first partition.
    starts: Vec<usize>,
    len: usize,
}

impl<'a> PlannedPartitions<'a> {
    pub fn push_live(&mut self, topic: &'a str, partitions: &'a [KafkaPartition]) {
        self.push(Run::Live { topic, partitions });
    }

    pub fn push_created(&mut self, topic: &'a str, first: u64, count: usize, replication_factor: usize) {
        self.push(Run::Created {
            topic,
            first,
            count,
            replication_factor,
        });
    }

    fn push(&mut self, run: Run<'a>) {
        let len = run.len();
        if len == 0 {
            return;
        }
        self.starts.push(self.len);
        self.runs.push(run);
        self.len += len;
    }
}

impl PartitionSource for PlannedPartitions<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, index: usize) -> PartitionRef<'_> {
        // Runs are few (one or two per topic): a binary search over their starts.
        let run = self.starts.partition_point(|&start| start <= index) - 1;
        let offset = index - self.starts[run];
        match &self.runs[run] {
            Run::Live { topic, partitions } => {
                let partition = &partitions[offset];
                PartitionRef {
                    topic,
                    partition: partition.partition,
                    replicas: &partition.replicas,
                    replication_factor: partition.replicas.len(),
                    size_bytes: partition.size_bytes,
                }
            }
            Run::Created {
                topic,
                first,
                replication_factor,
                ..
            } => PartitionRef {
                topic,
                // As the partition numbers of the topic list (`u64`) always were.
                partition: (first + offset as u64) as i32,
                replicas: &[],
                replication_factor: *replication_factor,
                size_bytes: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::Partition;

    fn live(partition: i32, replicas: &[i32], size_bytes: Option<u64>) -> KafkaPartition {
        KafkaPartition {
            partition,
            leader: replicas.first().copied().unwrap_or(-1),
            replicas: replicas.to_vec(),
            isr: replicas.to_vec(),
            size_bytes,
        }
    }

    #[test]
    fn runs_read_in_place_are_the_owned_request_partition_by_partition() {
        let a = [live(0, &[1, 2], Some(10)), live(1, &[2, 3], None)];
        let b = [live(3, &[3, 1, 2], Some(7))];
        let mut planned = PlannedPartitions::default();
        planned.push_live("a", &a);
        planned.push_live("empty", &[]);
        planned.push_created("a", 2, 3, 2);
        planned.push_live("b", &b);
        planned.push_created("c", 0, 0, 1);
        planned.push_created("c", 0, 1, 1);
        let owned = |topic: &str, partition: i32, replicas: &[i32], rf: usize, size_bytes: Option<u64>| Partition {
            topic: topic.into(),
            partition,
            replicas: replicas.to_vec(),
            replication_factor: rf,
            size_bytes,
        };
        let expected = [
            owned("a", 0, &[1, 2], 2, Some(10)),
            owned("a", 1, &[2, 3], 2, None),
            owned("a", 2, &[], 2, None),
            owned("a", 3, &[], 2, None),
            owned("a", 4, &[], 2, None),
            owned("b", 3, &[3, 1, 2], 3, Some(7)),
            owned("c", 0, &[], 1, None),
        ];
        assert_eq!(planned.len(), expected.len());
        let read: Vec<PartitionRef<'_>> = (0..planned.len()).map(|i| planned.get(i)).collect();
        let wanted: Vec<PartitionRef<'_>> = expected.iter().map(Partition::view).collect();
        assert_eq!(read, wanted);
        assert!(PlannedPartitions::default().is_empty());
    }
}
