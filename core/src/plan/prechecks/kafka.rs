//! Kafka: nothing in flight, no throttle left behind, one KRaft cluster id everywhere, new broker
//! ids read from the live ones.
use super::{Inputs, PreCheck, fail, pass, warn};
use crate::plan::broker_ids::{BrokerIds, disagreeing, snapshot_broker_ids};
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

/// New brokers' ids follow from the live ones (`broker_ids.rs`): the rule, or the evidence why it
/// cannot be read; a declared base (the values file's `minId`, the profile) must agree with it.
pub(super) fn broker_ids(i: &Inputs) -> PreCheck {
    let id = "broker-ids";
    let set = &i.profile.kafka.broker_workload;
    if let Some(path) = &i.profile.kafka.broker_min_id_path
        && let Ok(Some(scalar)) = read_scalar(i.document, path)
        && scalar.value.trim().parse::<i64>().is_err()
    {
        return fail(
            id,
            format!(
                "`{path}` ({} line {}) is `{}`, not a broker id",
                i.document.file, scalar.line, scalar.value
            ),
            format!("write the id of {set}-0 there (a whole number, e.g. 100)"),
        );
    }
    let (ids, declared) = snapshot_broker_ids(i.snapshot, i.profile, i.document);
    let new_ids = i.kafka.new_brokers();
    match ids {
        BrokerIds::Unobserved => pass(
            id,
            match declared.first() {
                Some(d) => format!(
                    "Kafka was not observed: broker ids from {} = {} (no reassignment is planned)",
                    d.source, d.base
                ),
                None => "Kafka was not observed: no broker ids to read (no reassignment is planned)".to_string(),
            },
        ),
        BrokerIds::Ambiguous { problems, evidence } => fail(
            id,
            format!(
                "the ids of new brokers cannot be read from the live cluster: {}. Evidence: {}",
                problems.join("; "),
                evidence.join("; ")
            ),
            format!(
                "kfscale reads each broker's pod from the host it advertises (`<pod>.<service>.<namespace>.svc...`, pods `{set}-<ordinal>`) and numbers new brokers `base + ordinal`: bring every broker of {set} up, advertising its pod's DNS name, with ids one base apart (or fix the broker the evidence shows off), then plan again"
            ),
        ),
        BrokerIds::Affine { base, ordinals } => {
            let off: Vec<String> = disagreeing(&declared, base)
                .iter()
                .map(|d| format!("{} says {}", d.source, d.base))
                .collect();
            let live = span(ordinals.values().copied());
            if !off.is_empty() {
                return fail(
                    id,
                    format!(
                        "the live brokers {live} are numbered from {base} (id = {base} + ordinal of {set}), but {}: the chart would give new brokers other ids than the live rule",
                        off.join(", ")
                    ),
                    format!("set it to {base} (the ids the live brokers have), or remove it"),
                );
            }
            let added = if new_ids.is_empty() {
                "no broker is added".to_string()
            } else {
                format!("new brokers {}", span(new_ids.iter().copied()))
            };
            pass(
                id,
                format!("broker ids are {base} + ordinal of {set} (live {live}): {added}"),
            )
        }
    }
}

/// `100..102` for consecutive ids, else the list.
fn span(ids: impl Iterator<Item = i32>) -> String {
    let ids: Vec<i32> = ids.collect();
    match (ids.first(), ids.last()) {
        (Some(first), Some(last)) if ids.len() > 2 && ids.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{first}..{last}")
        }
        _ => ids.iter().map(i32::to_string).collect::<Vec<_>>().join(", "),
    }
}
