//! The APIs kfscale speaks and the versions of each it handles, and the choice of a version per
//! connection: the highest that the broker (ApiVersions) and kfscale both support.
use std::collections::BTreeMap;

use kafka_protocol::messages::*;
use kafka_protocol::protocol::Request;

/// A Kafka API kfscale sends, with the version window its request builders and response readers
/// were written for (inside what the kafka-protocol crate encodes and decodes).
pub trait Api: Request + Send + 'static {
    /// Kafka's name of the API (ApiKeys), used in errors and request counts.
    const NAME: &'static str;
    /// Lowest version kfscale sends: older ones lack a field kfscale needs.
    const MIN: i16;
    /// Highest version kfscale sends.
    const MAX: i16;
}

macro_rules! apis {
    ($($request:ty => $name:literal, $min:literal..=$max:literal;)*) => {
        $(impl Api for $request {
            const NAME: &'static str = $name;
            const MIN: i16 = $min;
            const MAX: i16 = $max;
        })*

        /// (name, key, min, max) of every API kfscale speaks, for documentation and tests.
        pub fn spoken() -> Vec<(&'static str, i16, i16, i16)> {
            vec![$(($name, <$request as Request>::KEY, $min, $max)),*]
        }
    };
}

apis! {
    // v3+ carries the client's name; the response is read for its version ranges only.
    ApiVersionsRequest => "ApiVersions", 0..=4;
    // v1: controller id, racks, internal flag; v2: cluster id; v13: a top-level error code.
    MetadataRequest => "Metadata", 1..=13;
    DescribeClusterRequest => "DescribeCluster", 0..=2;
    DescribeLogDirsRequest => "DescribeLogDirs", 1..=4;
    ListPartitionReassignmentsRequest => "ListPartitionReassignments", 0..=0;
    AlterPartitionReassignmentsRequest => "AlterPartitionReassignments", 0..=1;
    // v0 means PREFERRED (no election type); v1: the type and a request-wide error code.
    ElectLeadersRequest => "ElectLeaders", 0..=2;
    CreatePartitionsRequest => "CreatePartitions", 0..=3;
    // v1: config sources (v0 only had is_default).
    DescribeConfigsRequest => "DescribeConfigs", 1..=4;
    IncrementalAlterConfigsRequest => "IncrementalAlterConfigs", 0..=1;
    ListGroupsRequest => "ListGroups", 0..=5;
    // v4+: several keys in one request.
    FindCoordinatorRequest => "FindCoordinator", 0..=6;
    // v2: all of a group's committed partitions (null topics); v8+: several groups in one request.
    OffsetFetchRequest => "OffsetFetch", 2..=9;
    // v1: a single offset per partition (v0 returned a list).
    ListOffsetsRequest => "ListOffsets", 1..=10;
}

/// The version ranges a broker announced in ApiVersions, by API key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerVersions(pub BTreeMap<i16, (i16, i16)>);

impl BrokerVersions {
    /// The version to send `R` at, or the two ranges that do not meet.
    pub fn pick<R: Api>(&self) -> Result<i16, VersionMismatch> {
        self.pick_key(R::KEY, R::MIN, R::MAX)
    }

    /// The highest version of API `key` within both the broker's range and `min..=max`.
    pub fn pick_key(&self, key: i16, min: i16, max: i16) -> Result<i16, VersionMismatch> {
        let ours = (min, max);
        let Some(&(min, max)) = self.0.get(&key) else {
            return Err(VersionMismatch {
                broker: "none (the broker does not offer this API)".into(),
                ours: format!("{}-{}", ours.0, ours.1),
            });
        };
        let (low, high) = (min.max(ours.0), max.min(ours.1));
        if low > high {
            return Err(VersionMismatch {
                broker: format!("{min}-{max}"),
                ours: format!("{}-{}", ours.0, ours.1),
            });
        }
        Ok(high)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMismatch {
    pub broker: String,
    pub ours: String,
}

#[cfg(test)]
mod tests {
    use kafka_protocol::protocol::Message;

    use super::*;

    /// Every window lies inside what the crate's request and response codecs handle.
    #[test]
    fn our_windows_are_inside_the_codecs() {
        fn check<R: Api>() {
            let request = <R as Message>::VERSIONS;
            let response = <R::Response as Message>::VERSIONS;
            assert!(R::MIN <= R::MAX, "{}", R::NAME);
            assert!(R::MIN >= request.min && R::MIN >= response.min, "{}", R::NAME);
            assert!(R::MAX <= request.max && R::MAX <= response.max, "{}", R::NAME);
        }
        check::<ApiVersionsRequest>();
        check::<MetadataRequest>();
        check::<DescribeClusterRequest>();
        check::<DescribeLogDirsRequest>();
        check::<ListPartitionReassignmentsRequest>();
        check::<AlterPartitionReassignmentsRequest>();
        check::<ElectLeadersRequest>();
        check::<CreatePartitionsRequest>();
        check::<DescribeConfigsRequest>();
        check::<IncrementalAlterConfigsRequest>();
        check::<ListGroupsRequest>();
        check::<FindCoordinatorRequest>();
        check::<OffsetFetchRequest>();
        check::<ListOffsetsRequest>();
        assert_eq!(spoken().len(), 14);
    }

    #[test]
    fn picks_the_highest_common_version() {
        let broker = BrokerVersions(BTreeMap::from([(3, (0, 12)), (2, (0, 8)), (9, (0, 1))]));
        assert_eq!(broker.pick::<MetadataRequest>(), Ok(12));
        assert_eq!(broker.pick::<ListOffsetsRequest>(), Ok(8));
        let mismatch = broker.pick::<OffsetFetchRequest>().unwrap_err();
        assert_eq!(mismatch.broker, "0-1");
        assert_eq!(mismatch.ours, "2-9");
        assert!(broker.pick::<DescribeLogDirsRequest>().is_err());
    }
}
