//! The partitions with a replica outside the ISR (catching up, or on a broker that is away). The
//! replication model asks for them at every copy event; a big reassignment has a few hundred
//! copies in flight among hundreds of thousands of partitions, so walking every partition at
//! every event made a benchmark's run take hours.
//!
//! The index is a superset, pruned as it is read: every change of one partition goes through
//! [`Cluster::partition_mut`], which notes the partition; the changes that touch partitions in
//! bulk (a broker leaving or coming back, topics created or grown, a seed) drop the index, and the
//! next read rebuilds it from every partition. Debug builds check it against that full walk.
use std::cell::RefCell;
use std::collections::BTreeSet;

use super::partition::Partition;
use super::{Cluster, Topic};

/// (topic, partition) of every partition that may have a replica outside the ISR; None: unknown
/// (rebuilt from every partition at the next read).
#[derive(Debug, Default)]
pub struct OutOfSyncIndex {
    partitions: RefCell<Option<BTreeSet<(String, i32)>>>,
}

impl OutOfSyncIndex {
    /// `partition` of `topic` may have changed.
    pub fn note(&self, topic: &str, partition: i32) {
        if let Some(set) = self.partitions.borrow_mut().as_mut() {
            let key = (topic.to_string(), partition);
            if !set.contains(&key) {
                set.insert(key);
            }
        }
    }

    /// Any partition may have changed.
    pub fn forget(&self) {
        *self.partitions.borrow_mut() = None;
    }
}

impl Cluster {
    /// Every partition with a replica outside the ISR, in topic and partition order (the order of a
    /// walk over all of them).
    pub fn out_of_sync_partitions(&self) -> Vec<(&Topic, &Partition)> {
        let mut index = self.out_of_sync.partitions.borrow_mut();
        let set = index.get_or_insert_with(|| {
            self.every_partition()
                .filter(|(_, p)| p.out_of_sync().next().is_some())
                .map(|(t, p)| (t.name.clone(), p.index))
                .collect()
        });
        let mut found = Vec::new();
        set.retain(|(topic, partition)| {
            let Some(t) = self.topics.get(topic) else {
                return false;
            };
            let Some(p) = usize::try_from(*partition).ok().and_then(|i| t.partitions.get(i)) else {
                return false;
            };
            let keep = p.out_of_sync().next().is_some();
            if keep {
                found.push((t, p));
            }
            keep
        });
        debug_assert!(
            self.every_partition()
                .filter(|(_, p)| p.out_of_sync().next().is_some())
                .map(|(t, p)| (t.name.as_str(), p.index))
                .eq(found.iter().map(|(t, p)| (t.name.as_str(), p.index))),
            "a partition changed without Cluster::partition_mut or OutOfSyncIndex::forget"
        );
        found
    }

    fn every_partition(&self) -> impl Iterator<Item = (&Topic, &Partition)> {
        self.topics
            .values()
            .flat_map(|t| t.partitions.iter().map(move |p| (t, p)))
    }
}
