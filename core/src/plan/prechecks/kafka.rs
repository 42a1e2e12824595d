//! Kafka: nothing in flight, no throttle left behind, one KRaft cluster id everywhere.
use super::{Inputs, PreCheck, fail, pass, warn};
use crate::plan::values_reader::read_scalar;
use crate::profile::KafkaLayout;
use crate::values::ValuePath;

pub(super) fn kafka_reassignments(i: &Inputs) -> PreCheck {
    let id = "kafka-reassignments";
    let running = &i.snapshot.kafka.reassignments;
    if running.is_empty() {
        return pass(id, "no partition reassignment in flight");
    }
    let names: Vec<String> = running
        .iter()
        .take(5)
        .map(|r| format!("{}-{}", r.topic, r.partition))
        .collect();
    fail(
        id,
        format!(
            "{} partition reassignment(s) in flight: {}",
            running.len(),
            names.join(", ")
        ),
        "wait for them to finish (or cancel them) before planning a new one",
    )
}

pub(super) fn kafka_throttles(i: &Inputs) -> PreCheck {
    let id = "kafka-throttles";
    if i.snapshot.kafka.has_throttles() {
        let brokers: Vec<String> = i
            .snapshot
            .kafka
            .throttles
            .brokers
            .keys()
            .map(|b| b.to_string())
            .collect();
        warn(
            id,
            format!(
                "replication throttles are set (brokers: {}; topics: {})",
                brokers.join(","),
                i.snapshot.kafka.throttles.topics.len()
            ),
            "a forgotten throttle slows replication forever: remove it if it is nobody's; apply leaves it as it is (it records it before setting its own throttle and puts it back after)",
        )
    } else {
        pass(id, "no replication throttle left behind")
    }
}

pub(super) fn kraft_cluster_id(i: &Inputs) -> PreCheck {
    let id = "kraft-cluster-id";
    if i.profile.kafka.layout != KafkaLayout::Kraft {
        return pass(id, "legacy layout: no KRaft cluster id");
    }
    let secret = i.snapshot.kubernetes.kraft_cluster_id_secret.as_deref();
    let live = i.snapshot.kafka.cluster_id.as_deref();
    let secret_name = i
        .profile
        .kafka
        .cluster_id_secret
        .as_deref()
        .unwrap_or("the cluster-id Secret");
    match (secret, live) {
        (Some(secret), Some(live)) if secret != live => {
            return fail(
                id,
                format!(
                    "Secret {secret_name} holds cluster id {secret} but the running cluster is {live}: new brokers would fail with INCONSISTENT_CLUSTER_ID"
                ),
                format!(
                    "restore the Secret to {live} and pin it in the values file as `{}: {live}`",
                    path_text(&i.profile.kafka.cluster_id_path)
                ),
            );
        }
        (None, _) | (_, None) => {
            return warn(
                id,
                "the KRaft cluster id could not be compared (Secret or Kafka not observed)",
                "check Secret and controllers agree",
            );
        }
        _ => {}
    }
    let Some(path) = &i.profile.kafka.cluster_id_path else {
        return pass(id, format!("Secret {secret_name} matches the running cluster"));
    };
    let live = live.unwrap_or_default();
    let pinned = read_scalar(i.document, path).ok().flatten().map(|s| s.value.clone());
    match pinned {
        Some(value) if value == live => pass(
            id,
            format!("cluster id {live} agrees in the Secret, the brokers and `{path}`"),
        ),
        Some(value) if !value.is_empty() => fail(
            id,
            format!("`{path}` is {value} but the running cluster id is {live}"),
            format!("set `{path}: {live}` (new brokers must join the existing cluster)"),
        ),
        _ => warn(
            id,
            format!("cluster id {live} agrees in the Secret and the brokers but is not pinned in the values file"),
            format!("add `{path}: {live}` so a regenerated Secret cannot split the cluster"),
        ),
    }
}

pub(super) fn path_text(path: &Option<ValuePath>) -> String {
    path.as_ref()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "the cluster id key".into())
}
