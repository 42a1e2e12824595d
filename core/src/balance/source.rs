//! Where the balancer reads its partitions from: any list it can index, not only a
//! `Vec<Partition>`. The planner's list is the snapshot's own partitions plus the ones the plan
//! creates (core/src/plan/planned_partitions.rs): read in place, a million partitions are never
//! copied into owned topic names and replica lists (the peak memory of a big plan, issue #18).
use super::model::Partition;

/// One partition as the balancer reads it, borrowed from wherever it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRef<'a> {
    pub topic: &'a str,
    pub partition: i32,
    /// Current replicas, preferred leader first; empty for a partition to create.
    pub replicas: &'a [i32],
    pub replication_factor: usize,
    pub size_bytes: Option<u64>,
}

/// The partitions of a balancing request, by position (the request's order: errors name the
/// first offending partition in it).
pub trait PartitionSource {
    fn len(&self) -> usize;
    /// The partition at `index` (< `len()`).
    fn get(&self, index: usize) -> PartitionRef<'_>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Partition {
    pub fn view(&self) -> PartitionRef<'_> {
        PartitionRef {
            topic: &self.topic,
            partition: self.partition,
            replicas: &self.replicas,
            replication_factor: self.replication_factor,
            size_bytes: self.size_bytes,
        }
    }
}

impl PartitionSource for [Partition] {
    fn len(&self) -> usize {
        <[Partition]>::len(self)
    }

    fn get(&self, index: usize) -> PartitionRef<'_> {
        self[index].view()
    }
}
