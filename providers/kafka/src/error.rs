//! Errors of the Kafka admin client. Every message names the system (Kafka), the call and its
//! target, and what to do about it.
use std::time::Duration;

use kafka_protocol::ResponseError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KafkaError {
    /// A broker answered with an error code, for the whole request or for one of its entities.
    #[error("Kafka {api} {subject}: {name}{}; fix: {}", message_suffix(.message), fix_for_code(*.code))]
    Api {
        api: &'static str,
        /// What failed: `topic kf_logs_topic partition 3`, `broker 101`, `group kf_logs_REALTIME`.
        subject: String,
        code: i16,
        /// Kafka's name of the code (`NOT_CONTROLLER`).
        name: String,
        message: Option<String>,
    },

    /// No bootstrap server answered.
    #[error("Kafka: cannot reach any bootstrap server ({tried}): {detail}; fix: {fix}")]
    Unreachable { tried: String, detail: String, fix: String },

    /// A connection could not be opened, or broke during a request.
    #[error("Kafka {api} to {target}: {detail}; fix: {fix}")]
    Network {
        api: &'static str,
        target: String,
        detail: String,
        fix: String,
    },

    /// A request got no answer within the request timeout.
    #[error(
        "Kafka {api} to {target}: no answer within {timeout:?}; fix: check that the broker is up and not overloaded, or raise kafka.timeout_seconds in kfscale.yaml"
    )]
    Timeout {
        api: &'static str,
        target: String,
        timeout: Duration,
    },

    /// The broker and kfscale share no version of an API.
    #[error(
        "Kafka {api} to {target}: the broker supports versions {broker}, kfscale speaks {ours}; fix: kfscale needs a Kafka broker of version 2.4 or newer"
    )]
    UnsupportedVersion {
        api: &'static str,
        target: String,
        broker: String,
        ours: String,
    },

    /// The bytes on the wire are not the Kafka protocol kfscale expects.
    #[error("Kafka {api} with {target}: {detail}; fix: {fix}")]
    Protocol {
        api: &'static str,
        target: String,
        detail: String,
        fix: String,
    },

    /// The client cannot decide where a request goes (an unknown broker, a partition without a leader).
    #[error("Kafka {api}: {detail}; fix: {fix}")]
    Routing {
        api: &'static str,
        detail: String,
        fix: String,
    },

    /// A retriable error that kept coming back until the operation's deadline.
    #[error(
        "{last} (still failing after {attempts} attempts in {elapsed:.1?}; raise kafka.timeout_seconds in kfscale.yaml to wait longer)"
    )]
    GaveUp {
        last: Box<KafkaError>,
        attempts: u32,
        elapsed: Duration,
    },
}

/// The steps of opening a connection: failing there, no request of the caller's was written.
const NEVER_SENT: &[&str] = &["connect", "ApiVersions"];

impl KafkaError {
    /// Whether trying again later may succeed: Kafka's own classification for error codes
    /// (`RetriableException` in Errors.java), true for network failures and timeouts.
    pub fn is_retriable(&self) -> bool {
        match self {
            KafkaError::Api { code, .. } => ResponseError::try_from_code(*code).is_some_and(|e| e.is_retriable()),
            KafkaError::Network { .. } | KafkaError::Timeout { .. } => true,
            KafkaError::GaveUp { last, .. } => last.is_retriable(),
            KafkaError::Unreachable { .. }
            | KafkaError::UnsupportedVersion { .. }
            | KafkaError::Protocol { .. }
            | KafkaError::Routing { .. } => false,
        }
    }

    /// The Kafka error code, when a broker sent one.
    /// Whether a change's outcome is unknown after this error: the request may have been carried
    /// out with its answer lost (Kafka's REQUEST_TIMED_OUT and NETWORK_EXCEPTION, a connection
    /// that broke or stayed silent after the request was written). A change is never sent again on
    /// such an error: the caller reads what happened and sends only what is still missing. Failing
    /// to connect (or to agree on versions) means nothing was sent; every other retried error is a
    /// refusal that changed nothing.
    pub fn outcome_unknown(&self) -> bool {
        use kafka_protocol::ResponseError as E;
        match self {
            KafkaError::Api { code, .. } => [E::RequestTimedOut.code(), E::NetworkException.code()].contains(code),
            KafkaError::Network { api, .. } | KafkaError::Timeout { api, .. } => !NEVER_SENT.contains(api),
            KafkaError::GaveUp { last, .. } => last.outcome_unknown(),
            _ => false,
        }
    }

    pub fn code(&self) -> Option<i16> {
        match self {
            KafkaError::Api { code, .. } => Some(*code),
            KafkaError::GaveUp { last, .. } => last.code(),
            _ => None,
        }
    }

    /// Kafka's name of the error code (`INVALID_PARTITIONS`), when a broker sent one.
    pub fn code_name(&self) -> Option<&str> {
        match self {
            KafkaError::Api { name, .. } => Some(name),
            KafkaError::GaveUp { last, .. } => last.code_name(),
            _ => None,
        }
    }

    pub(crate) fn api(api: &'static str, subject: impl Into<String>, code: i16, message: Option<String>) -> KafkaError {
        KafkaError::Api {
            api,
            subject: subject.into(),
            code,
            name: error_name(code),
            message: message.filter(|m| !m.is_empty()),
        }
    }
}

/// Kafka's name of an error code, as Errors.java spells it (`NOT_LEADER_OR_FOLLOWER`).
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "NONE".to_string(),
        Some(ResponseError::Unknown(code)) => format!("UNKNOWN_ERROR_CODE_{code}"),
        // The crate names the variants in CamelCase after Errors.java's SCREAMING_SNAKE names.
        Some(error) => screaming_snake(&format!("{error}")),
    }
}

fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn message_suffix(message: &Option<String>) -> String {
    message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default()
}

/// What an operator does about an error code.
fn fix_for_code(code: i16) -> String {
    use ResponseError as E;
    let Some(error) = ResponseError::try_from_code(code) else {
        return "none needed".to_string();
    };
    let fix = match error {
        E::InvalidPartitions => {
            "partition counts only grow: ask for a total above the topic's current count (`kfscale snapshot` shows it)"
        }
        E::InvalidReplicaAssignment => {
            "give every partition as many distinct replicas as its replication factor, all on registered broker ids"
        }
        E::InvalidReplicationFactor => "keep each partition's replica count equal to the topic's replication factor",
        E::UnknownTopicOrPartition | E::UnknownTopicId => {
            "check the topic and partition against `kfscale snapshot`; the topic may have been deleted"
        }
        E::NoReassignmentInProgress => "nothing is moving for this partition: list the reassignments in flight first",
        E::ReassignmentInProgress => "wait for the reassignment in flight to finish, or cancel it first",
        E::InvalidConfig | E::InvalidRequest => {
            "check the config name and value (Kafka's message says which); broker configs must be dynamic ones"
        }
        E::PolicyViolation => {
            "a broker-side policy (create.topic.policy / alter.config.policy) refused it; ask the Kafka operator"
        }
        E::ClusterAuthorizationFailed
        | E::TopicAuthorizationFailed
        | E::GroupAuthorizationFailed
        | E::TransactionalIdAuthorizationFailed => {
            "the principal kfscale connects as lacks an ACL for this call: grant it (kafka-acls.sh --add --allow-principal ... --operation Alter,Describe,DescribeConfigs,AlterConfigs --cluster --topic '*' --group '*') or use a listener without an authorizer"
        }
        E::SaslAuthenticationFailed | E::IllegalSaslState | E::UnsupportedSaslMechanism => {
            "kfscale connects without SASL or TLS: point kafka.bootstrap at a PLAINTEXT listener (port-forward reaches the pods' internal listener)"
        }
        E::UnsupportedVersion => "kfscale needs a Kafka broker of version 2.4 or newer",
        E::NotController
        | E::LeaderNotAvailable
        | E::NotLeaderOrFollower
        | E::FencedLeaderEpoch
        | E::UnknownLeaderEpoch => {
            "leadership is moving (a broker restart or an election): retry in a minute, or raise kafka.timeout_seconds in kfscale.yaml"
        }
        E::CoordinatorNotAvailable | E::CoordinatorLoadInProgress | E::NotCoordinator => {
            "the group coordinator is moving or loading its state: retry in a minute, or raise kafka.timeout_seconds in kfscale.yaml"
        }
        E::RequestTimedOut | E::NetworkException => {
            "the broker or the controller is overloaded or restarting: retry, or raise kafka.timeout_seconds in kfscale.yaml"
        }
        E::ThrottlingQuotaExceeded => "the controller's mutation quota is used up: retry in a few seconds",
        E::KafkaStorageError => "a broker log directory is offline: check the broker's disk and logs",
        _ => {
            return format!(
                "see Kafka's description of {} at https://kafka.apache.org/protocol#protocol_error_codes",
                error_name(code)
            );
        }
    };
    fix.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_may_have_happened_only_when_its_answer_was_lost() {
        // REQUEST_TIMED_OUT (7) and NETWORK_EXCEPTION (13): carried out or not, nobody knows.
        assert!(KafkaError::api("CreatePartitions", "", 7, None).outcome_unknown());
        assert!(KafkaError::api("AlterPartitionReassignments", "", 13, None).outcome_unknown());
        let silent = |api| KafkaError::Timeout {
            api,
            target: "broker 100".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        assert!(silent("IncrementalAlterConfigs").outcome_unknown());
        // No connection, so nothing was written.
        assert!(!silent("connect").outcome_unknown());
        assert!(!silent("ApiVersions").outcome_unknown());
        // Refusals that changed nothing: NOT_CONTROLLER (41), THROTTLING_QUOTA_EXCEEDED (89), INVALID_PARTITIONS (37).
        for code in [41, 89, 37] {
            assert!(!KafkaError::api("CreatePartitions", "", code, None).outcome_unknown());
        }
    }

    #[test]
    fn names_follow_kafka() {
        assert_eq!(error_name(41), "NOT_CONTROLLER");
        assert_eq!(error_name(6), "NOT_LEADER_OR_FOLLOWER");
        assert_eq!(error_name(37), "INVALID_PARTITIONS");
        assert_eq!(error_name(-1), "UNKNOWN_SERVER_ERROR");
        assert_eq!(error_name(9999), "UNKNOWN_ERROR_CODE_9999");
    }

    #[test]
    fn api_errors_say_what_and_how_to_fix() {
        let error = KafkaError::api(
            "CreatePartitions",
            "topic kf_logs_topic",
            37,
            Some("Topic already has 12 partitions.".into()),
        );
        let text = error.to_string();
        assert!(
            text.starts_with(
                "Kafka CreatePartitions topic kf_logs_topic: INVALID_PARTITIONS (Topic already has 12 partitions.)"
            ),
            "{text}"
        );
        assert!(text.contains("fix: partition counts only grow"), "{text}");
        assert!(!error.is_retriable());
        assert_eq!(error.code_name(), Some("INVALID_PARTITIONS"));
        assert!(KafkaError::api("Metadata", "", 41, None).is_retriable());
    }
}
