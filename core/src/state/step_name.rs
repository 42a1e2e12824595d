//! The runbook's steps, by name: the one list of them. The state stores these names, the runner
//! runs them in this order, and an unknown name in a state file is refused when it is read.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    NodePool,
    ValuesFile,
    HookJobs,
    BrokerVolumes,
    HelmUpgrade,
    Rollout,
    KafkaPartitions,
    KafkaReassignment,
    KafkaLeaders,
    PinotRebalance,
    Validate,
}

impl StepName {
    /// Every step, in runbook order.
    pub const ALL: [StepName; 11] = [
        StepName::NodePool,
        StepName::ValuesFile,
        StepName::HookJobs,
        StepName::BrokerVolumes,
        StepName::HelmUpgrade,
        StepName::Rollout,
        StepName::KafkaPartitions,
        StepName::KafkaReassignment,
        StepName::KafkaLeaders,
        StepName::PinotRebalance,
        StepName::Validate,
    ];

    /// The name as the state file, events and messages spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::NodePool => "node_pool",
            StepName::ValuesFile => "values_file",
            StepName::HookJobs => "hook_jobs",
            StepName::BrokerVolumes => "broker_volumes",
            StepName::HelmUpgrade => "helm_upgrade",
            StepName::Rollout => "rollout",
            StepName::KafkaPartitions => "kafka_partitions",
            StepName::KafkaReassignment => "kafka_reassignment",
            StepName::KafkaLeaders => "kafka_leaders",
            StepName::PinotRebalance => "pinot_rebalance",
            StepName::Validate => "validate",
        }
    }

    /// What the step does, for the operator.
    pub fn describe(self) -> &'static str {
        match self {
            StepName::NodePool => "grow the node pool and wait for its nodes to be Ready",
            StepName::ValuesFile => "write the new values file",
            StepName::HookJobs => "delete leftover Helm hook jobs",
            StepName::BrokerVolumes => "grow the Kafka broker volumes",
            StepName::HelmUpgrade => "helm upgrade at the installed chart version",
            StepName::Rollout => "wait for every workload to be Ready and spread over the nodes",
            StepName::KafkaPartitions => "make sure every topic has its planned partitions",
            StepName::KafkaReassignment => "move partition replicas onto the new brokers, throttled, in batches",
            StepName::KafkaLeaders => "elect the preferred leaders of the partitions moved, in batches",
            StepName::PinotRebalance => "rebalance the Pinot tables onto the new servers",
            StepName::Validate => "check pods, consumer lag and segments before recording",
        }
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_spells_each_step_as_its_name() {
        for step in StepName::ALL {
            assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
        }
        assert!(serde_json::from_str::<StepName>("\"resize\"").is_err());
    }
}
