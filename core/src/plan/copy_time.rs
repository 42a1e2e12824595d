//! The least time a reassignment's data copy can take under a replication throttle: every broker's
//! throttle caps what it receives and, separately, what it sends (each new replica is copied from
//! the partition's leader), so the copy cannot end before the broker with the most bytes to
//! receive or to send has moved them at its rate. The apply's scheduler aims at this bound; the
//! plan and `kfscale status` show it.
use std::collections::BTreeMap;

/// One new replica's copy: from the leader that sends it to the broker that receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaCopy {
    pub sender: i32,
    pub receiver: i32,
    pub bytes: u64,
}

/// The broker whose copies bound the reassignment, and how many bytes it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busiest {
    pub broker: i32,
    pub bytes: u64,
    /// Whether those bytes are received (else sent).
    pub receiving: bool,
}

impl Busiest {
    /// Seconds the busiest broker needs at `throttle` bytes per second (None without a throttle).
    pub fn seconds_at(&self, throttle_bytes_per_second: u64) -> Option<f64> {
        (throttle_bytes_per_second > 0).then(|| self.bytes as f64 / throttle_bytes_per_second as f64)
    }
}

/// The broker with the most bytes to receive or send (ties: receiving first, then the lowest id);
/// None when nothing is copied.
pub fn busiest(copies: impl IntoIterator<Item = ReplicaCopy>) -> Option<Busiest> {
    let mut received: BTreeMap<i32, u64> = BTreeMap::new();
    let mut sent: BTreeMap<i32, u64> = BTreeMap::new();
    for copy in copies {
        *received.entry(copy.receiver).or_default() += copy.bytes;
        *sent.entry(copy.sender).or_default() += copy.bytes;
    }
    let receiving = received.into_iter().map(|(broker, bytes)| (bytes, true, broker));
    let sending = sent.into_iter().map(|(broker, bytes)| (bytes, false, broker));
    receiving
        .chain(sending)
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)))
        .map(|(bytes, receiving, broker)| Busiest {
            broker,
            bytes,
            receiving,
        })
}

/// The copies of a plan's partition changes: each replica new to a partition is copied from its
/// preferred leader (the first old replica) at the partition's size per replica. Changes without a
/// size count 0 bytes.
pub fn replica_copies(changes: &[crate::balance::PartitionChange]) -> impl Iterator<Item = ReplicaCopy> + '_ {
    changes.iter().flat_map(|change| {
        let sender = change.old_replicas.first().copied();
        let per_replica = change.bytes_moved.unwrap_or(0) / change.replicas_moved.max(1) as u64;
        change
            .new_replicas
            .iter()
            .filter(|broker| !change.old_replicas.contains(broker))
            .filter_map(move |receiver| {
                sender.map(|sender| ReplicaCopy {
                    sender,
                    receiver: *receiver,
                    bytes: per_replica,
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(sender: i32, receiver: i32, bytes: u64) -> ReplicaCopy {
        ReplicaCopy {
            sender,
            receiver,
            bytes,
        }
    }

    #[test]
    fn the_busiest_side_of_any_broker_bounds_the_copy() {
        // Broker 1 sends 300 bytes (to 4 and 5); broker 4 receives 250.
        let copies = [copy(1, 4, 200), copy(1, 5, 100), copy(2, 4, 50)];
        let busiest = busiest(copies).expect("copies");
        assert_eq!(
            busiest,
            Busiest {
                broker: 1,
                bytes: 300,
                receiving: false
            }
        );
        assert_eq!(busiest.seconds_at(100), Some(3.0));
        assert_eq!(busiest.seconds_at(0), None);
        assert_eq!(super::busiest([]), None);
    }

    #[test]
    fn a_plan_change_copies_each_new_replica_from_its_preferred_leader() {
        let change = crate::balance::PartitionChange {
            topic: "t".into(),
            partition: 0,
            old_replicas: vec![1, 2],
            new_replicas: vec![3, 2, 4],
            replicas_moved: 2,
            bytes_moved: Some(200),
        };
        let copies: Vec<ReplicaCopy> = replica_copies(std::slice::from_ref(&change)).collect();
        assert_eq!(copies, vec![copy(1, 3, 100), copy(1, 4, 100)]);
    }
}
