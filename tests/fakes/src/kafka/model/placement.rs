//! Where new partitions go when CreateTopics/CreatePartitions give no assignment. Kafka's KRaft
//! controller uses `StripedReplicaPlacer` with a random start; the fake uses the classic
//! rack-unaware `AdminUtils.assignReplicasToBrokers` with the start index and replica shift fixed
//! at 0, so a run always places the same way (racks are not considered).
use kafka_protocol::ResponseError;

use crate::kafka::errors::{ApiError, ApiResult};

/// Replicas of partitions `start..start+count` over `brokers` (live ids first, sorted).
pub fn place(
    brokers: &[i32],
    registered: usize,
    start: i32,
    count: i32,
    replication_factor: i16,
) -> ApiResult<Vec<Vec<i32>>> {
    let rf = i32::from(replication_factor);
    if rf <= 0 {
        return Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            format!("Invalid replication factor {rf}: the replication factor must be positive."),
        ));
    }
    if brokers.is_empty() {
        return Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            "All brokers are currently fenced.",
        ));
    }
    if rf as usize > registered.max(brokers.len()) {
        return Err(ApiError::new(
            ResponseError::InvalidReplicationFactor,
            format!(
                "Unable to replicate the partition {rf} time(s): The target replication factor of {rf} cannot be \
                 reached because only {registered} broker(s) are registered."
            ),
        ));
    }
    let n = brokers.len() as i32;
    let mut next_replica_shift = 0;
    let mut out = Vec::with_capacity(count.max(0) as usize);
    for partition in start..start + count {
        if partition > 0 && partition % n == 0 {
            next_replica_shift += 1;
        }
        let first = partition % n;
        let mut replicas = vec![brokers[first as usize]];
        for j in 0..(rf - 1).min(n - 1) {
            let shift = 1 + (next_replica_shift + j) % (n - 1);
            replicas.push(brokers[((first + shift) % n) as usize]);
        }
        out.push(replicas);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_leaders_and_followers_like_admin_utils() {
        let placed = place(&[100, 101, 102], 3, 0, 4, 2).unwrap();
        assert_eq!(
            placed,
            vec![vec![100, 101], vec![101, 102], vec![102, 100], vec![100, 102]]
        );
    }

    #[test]
    fn refuses_more_replicas_than_brokers() {
        let err = place(&[100, 101], 2, 0, 1, 3).unwrap_err();
        assert_eq!(err.code, ResponseError::InvalidReplicationFactor.code());
    }
}
