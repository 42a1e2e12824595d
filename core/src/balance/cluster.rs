//! The request as dense indices: brokers, racks and topics become small integers, every replica a
//! slot in one flat array. The balancer works only on this form, so hot loops touch integers and
//! never strings.
use std::ops::Range;

/// Marks a slot of a partition that does not exist yet (a partition to create).
pub(crate) const UNPLACED: u32 = u32::MAX;

pub(crate) struct Cluster<'a> {
    /// Broker ids, ascending; a broker's index is its position here.
    pub broker_ids: Vec<i32>,
    /// Rack index of each broker; empty when the cluster declares no racks.
    pub broker_rack: Vec<u32>,
    /// Rack names, ascending; a rack's index is its position here.
    pub rack_names: Vec<&'a str>,
    /// Topics in name order.
    pub topics: Vec<Topic<'a>>,
    /// Partitions grouped by topic, each topic's sorted by partition number.
    pub partitions: Vec<PartitionInfo>,
    /// Current replicas, preferred leader first, each partition's replicas contiguous at
    /// `PartitionInfo::slots`. `UNPLACED` for partitions to create.
    pub current: Vec<u32>,
}

pub(crate) struct Topic<'a> {
    pub name: &'a str,
    /// This topic's partitions within `Cluster::partitions`.
    pub partitions: Range<usize>,
}

pub(crate) struct PartitionInfo {
    pub topic: u32,
    pub id: i32,
    pub first_slot: usize,
    pub replication_factor: usize,
    /// Bytes one copy moves; 0 when unknown.
    pub size: u64,
    pub size_known: bool,
    /// A partition the plan creates: its slots start `UNPLACED`.
    pub created: bool,
}

impl PartitionInfo {
    pub fn slots(&self) -> Range<usize> {
        self.first_slot..self.first_slot + self.replication_factor
    }

    /// Sort key that puts small partitions first and unknown sizes last, so the balancer moves
    /// the replicas that copy the least data.
    pub fn size_order(&self) -> u64 {
        if self.size_known { self.size } else { u64::MAX }
    }
}

impl Cluster<'_> {
    pub fn broker_count(&self) -> usize {
        self.broker_ids.len()
    }

    pub fn rack_count(&self) -> usize {
        self.rack_names.len()
    }

    pub fn rack_aware(&self) -> bool {
        !self.broker_rack.is_empty()
    }

    /// Rack of a broker; 0 (one rack holding everything) when racks are unknown.
    pub fn rack_of(&self, broker: u32) -> u32 {
        self.broker_rack.get(broker as usize).copied().unwrap_or(0)
    }

    /// Number of rack groups (1 when racks are unknown: all brokers form one group).
    pub fn rack_groups(&self) -> usize {
        self.rack_count().max(1)
    }

    pub fn topic_partitions(&self, topic: usize) -> &[PartitionInfo] {
        &self.partitions[self.topics[topic].partitions.clone()]
    }
}
