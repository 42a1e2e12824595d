//! Broker ids come from the live cluster. A broker's id is fixed when its pod first formats its
//! storage (the chart's `minId` + the pod's ordinal, in KRaft and ZooKeeper installs alike), so the
//! ids of new brokers follow from the live ones: each broker's advertised host names its pod
//! (`<statefulset>-<ordinal>.<headless service>.<namespace>.svc.<cluster domain>`), the pod names
//! its ordinal, and when every live broker of the set says `id = base + ordinal` with one base, the
//! new pods get `base + ordinal` too. No base is ever assumed: Kloudfuse's installs number brokers
//! from 100 in both layouts, and a plan that counted from 0 would target brokers that never exist.
//! Anything else (a host that names no pod, a pod of another set, two ids for one pod, ids that
//! are not one base apart, a hole among the ordinals) leaves the rule unknown: the plan shows the
//! evidence in the `broker-ids` pre-check, which fails, and apply refuses.
use std::collections::BTreeMap;

use super::values_reader::read_scalar;
use crate::profile::Profile;
use crate::snapshot::{KafkaBroker, Snapshot};
use crate::values::Document;

/// What the live brokers say about their ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerIds {
    /// No broker was observed: nothing to read ids from.
    Unobserved,
    /// Every live broker of the set is `base + ordinal`; `ordinals` lists them (ordinal -> id).
    Affine { base: i64, ordinals: BTreeMap<u32, i32> },
    /// The ids of new brokers cannot be read from the live ones.
    Ambiguous {
        /// Why, one line per problem.
        problems: Vec<String>,
        /// Every live broker: id, advertised host, and the pod/ordinal read from it.
        evidence: Vec<String>,
    },
}

impl BrokerIds {
    /// The id of the broker at `ordinal`, when the rule is known.
    pub fn id_of(&self, ordinal: u64) -> Option<i32> {
        match self {
            BrokerIds::Affine { base, .. } => i32::try_from(i128::from(*base) + i128::from(ordinal)).ok(),
            _ => None,
        }
    }

    /// The ids of ordinals `0..count`, when the rule is known and every id fits.
    pub fn ids(&self, count: u64) -> Option<Vec<i32>> {
        (0..count).map(|ordinal| self.id_of(ordinal)).collect()
    }
}

/// Reads the id rule of StatefulSet `statefulset` in `namespace` from the live `brokers`.
pub fn broker_ids(brokers: &[KafkaBroker], statefulset: &str, namespace: &str) -> BrokerIds {
    if brokers.is_empty() {
        return BrokerIds::Unobserved;
    }
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    // ordinal -> the ids that claim it
    let mut claimed: BTreeMap<u32, Vec<i32>> = BTreeMap::new();
    let mut sorted: Vec<&KafkaBroker> = brokers.iter().collect();
    sorted.sort_by_key(|b| b.id);
    for broker in sorted {
        let pod = broker
            .pod
            .clone()
            .or_else(|| pod_named_by(&broker.host).map(str::to_string));
        let Some(pod) = pod else {
            evidence.push(format!("broker {} advertises {}: names no pod", broker.id, broker.host));
            problems.push(format!(
                "broker {} advertises {}, which names no pod",
                broker.id, broker.host
            ));
            continue;
        };
        let other_namespace = namespace_named_by(&broker.host).filter(|ns| *ns != namespace);
        match (ordinal_of(statefulset, &pod), other_namespace) {
            (Some(ordinal), None) => {
                evidence.push(format!(
                    "broker {} advertises {}: pod {pod}, ordinal {ordinal}",
                    broker.id, broker.host
                ));
                claimed.entry(ordinal).or_default().push(broker.id);
            }
            (_, other) => {
                let place = other.map_or(String::new(), |ns| format!(" in namespace {ns}"));
                evidence.push(format!(
                    "broker {} advertises {}: pod {pod}{place}",
                    broker.id, broker.host
                ));
                problems.push(format!(
                    "broker {} runs in pod {pod}{place}, not a pod of StatefulSet {statefulset} in namespace {namespace}",
                    broker.id
                ));
            }
        }
    }
    for (ordinal, ids) in &claimed {
        if ids.len() > 1 {
            let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
            problems.push(format!(
                "pod {statefulset}-{ordinal} is named by brokers {}",
                ids.join(" and ")
            ));
        }
    }
    let ordinals: BTreeMap<u32, i32> = claimed
        .iter()
        .filter(|(_, ids)| ids.len() == 1)
        .map(|(ordinal, ids)| (*ordinal, ids[0]))
        .collect();
    let mut bases: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (ordinal, id) in &ordinals {
        bases
            .entry(i64::from(*id) - i64::from(*ordinal))
            .or_default()
            .push(*ordinal);
    }
    if bases.len() > 1 {
        let rules: Vec<String> = bases
            .iter()
            .map(|(base, ordinals)| {
                let pods: Vec<String> = ordinals.iter().map(|o| format!("{statefulset}-{o}")).collect();
                format!("id = {base} + ordinal for {}", pods.join(", "))
            })
            .collect();
        problems.push(format!("the ids are not one base apart: {}", rules.join("; ")));
    }
    if let (Some(first), Some(last)) = (ordinals.keys().next(), ordinals.keys().next_back()) {
        let holes: Vec<String> = (*first..*last)
            .filter(|o| !claimed.contains_key(o))
            .map(|o| format!("{statefulset}-{o}"))
            .collect();
        if !holes.is_empty() {
            problems.push(format!(
                "no live broker runs in {}: its id cannot be read",
                holes.join(", ")
            ));
        }
    }
    match bases.keys().next() {
        Some(base) if problems.is_empty() => BrokerIds::Affine { base: *base, ordinals },
        _ => {
            if ordinals.is_empty() && problems.is_empty() {
                problems.push(format!("no live broker runs in a pod of StatefulSet {statefulset}"));
            }
            BrokerIds::Ambiguous { problems, evidence }
        }
    }
}

/// The pod a broker's advertised host names: its first DNS label, when that is a pod name (a
/// lowercase RFC 1123 label) and the host is a name, not an IP address.
pub fn pod_named_by(host: &str) -> Option<&str> {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let label = host.split('.').next()?;
    let valid = !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-');
    valid.then_some(label)
}

/// The namespace in a pod DNS name `<pod>.<service>.<namespace>.svc[.<domain>]`, if it has one.
fn namespace_named_by(host: &str) -> Option<&str> {
    let labels: Vec<&str> = host.split('.').collect();
    (labels.len() >= 4 && labels[3] == "svc").then(|| labels[2])
}

/// The ordinal of a StatefulSet pod name (`<statefulset>-<ordinal>`, no leading zeros).
pub fn ordinal_of(statefulset: &str, pod: &str) -> Option<u32> {
    let digits = pod.strip_prefix(statefulset)?.strip_prefix('-')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

/// A base someone declared for the broker ids: the chart's `minId` in the values file, or the
/// profile's `broker_id_base`. Never used as a guess: only cross-checked against the live rule,
/// and used alone only when Kafka was not observed (the plan then moves nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredBase {
    /// Where it is declared, e.g. "`kafka-kraft.broker.minId` (values/kraft.yaml line 17)".
    pub source: String,
    pub base: i64,
}

/// The id rule of the profile's broker StatefulSet in this snapshot, and the bases declared for it.
pub fn snapshot_broker_ids(
    snapshot: &Snapshot,
    profile: &Profile,
    document: &Document,
) -> (BrokerIds, Vec<DeclaredBase>) {
    let ids = broker_ids(
        &snapshot.kafka.brokers,
        &profile.kafka.broker_workload,
        &snapshot.kubernetes.namespace,
    );
    (ids, declared_bases(profile, document))
}

/// The bases the values file and the profile declare. A value that is not a whole number is
/// reported by the pre-check, not here.
pub fn declared_bases(profile: &Profile, document: &Document) -> Vec<DeclaredBase> {
    let mut declared = Vec::new();
    if let Some(path) = &profile.kafka.broker_min_id_path
        && let Ok(Some(scalar)) = read_scalar(document, path)
        && let Ok(base) = scalar.value.trim().parse::<i64>()
    {
        declared.push(DeclaredBase {
            source: format!("`{path}` ({} line {})", document.file, scalar.line),
            base,
        });
    }
    if let Some(base) = profile.kafka.broker_id_base {
        declared.push(DeclaredBase {
            source: "the profile's kafka.broker_id_base".to_string(),
            base: i64::from(base),
        });
    }
    declared
}

/// The declared bases that disagree with the live rule `base`.
pub fn disagreeing(declared: &[DeclaredBase], base: i64) -> Vec<&DeclaredBase> {
    declared.iter().filter(|d| d.base != base).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SET: &str = "kafka-broker";

    fn broker(id: i32, host: &str) -> KafkaBroker {
        KafkaBroker {
            id,
            host: host.to_string(),
            port: 9092,
            rack: None,
            pod: None,
        }
    }

    fn pod_host(ordinal: u32) -> String {
        format!("{SET}-{ordinal}.{SET}-headless.kfuse.svc.cluster.local")
    }

    fn problems(ids: &BrokerIds) -> Vec<String> {
        match ids {
            BrokerIds::Ambiguous { problems, .. } => problems.clone(),
            other => panic!("expected ambiguous, got {other:?}"),
        }
    }

    #[test]
    fn legacy_ids_from_100_give_new_brokers_from_103() {
        let live: Vec<KafkaBroker> = (0..3).map(|o| broker(100 + o as i32, &pod_host(o))).collect();
        let ids = broker_ids(&live, SET, "kfuse");
        assert!(matches!(ids, BrokerIds::Affine { base: 100, .. }), "{ids:?}");
        assert_eq!(ids.ids(6), Some(vec![100, 101, 102, 103, 104, 105]));
    }

    #[test]
    fn ids_from_0_stay_from_0() {
        let live: Vec<KafkaBroker> = (0..3).map(|o| broker(o as i32, &pod_host(o))).collect();
        assert_eq!(broker_ids(&live, SET, "kfuse").ids(4), Some(vec![0, 1, 2, 3]));
    }

    #[test]
    fn no_brokers_is_unobserved_not_a_guess() {
        let ids = broker_ids(&[], SET, "kfuse");
        assert_eq!(ids, BrokerIds::Unobserved);
        assert_eq!(ids.ids(3), None);
    }

    #[test]
    fn a_recorded_pod_wins_over_the_host() {
        let mut b = broker(7, "10.0.0.7");
        b.pod = Some(format!("{SET}-0"));
        assert_eq!(broker_ids(&[b], SET, "kfuse").id_of(2), Some(9));
    }

    #[test]
    fn an_ip_address_names_no_pod() {
        let live = vec![broker(100, &pod_host(0)), broker(101, "10.1.2.3")];
        let ids = broker_ids(&live, SET, "kfuse");
        assert_eq!(problems(&ids), ["broker 101 advertises 10.1.2.3, which names no pod"]);
        let BrokerIds::Ambiguous { evidence, .. } = ids else {
            unreachable!()
        };
        assert_eq!(
            evidence,
            [
                format!("broker 100 advertises {}: pod {SET}-0, ordinal 0", pod_host(0)),
                "broker 101 advertises 10.1.2.3: names no pod".to_string(),
            ]
        );
    }

    #[test]
    fn a_pod_of_another_set_or_namespace_is_refused() {
        let live = vec![
            broker(100, &pod_host(0)),
            broker(101, "other-1.other-headless.kfuse.svc.cluster.local"),
        ];
        assert!(problems(&broker_ids(&live, SET, "kfuse"))[0].contains("pod other-1, not a pod of StatefulSet"));
        let live = vec![broker(
            100,
            &format!("{SET}-0.{SET}-headless.elsewhere.svc.cluster.local"),
        )];
        assert!(problems(&broker_ids(&live, SET, "kfuse"))[0].contains("in namespace elsewhere"));
    }

    #[test]
    fn two_ids_for_one_pod_are_refused() {
        let live = vec![broker(100, &pod_host(0)), broker(200, &pod_host(0))];
        assert_eq!(
            problems(&broker_ids(&live, SET, "kfuse")),
            [format!("pod {SET}-0 is named by brokers 100 and 200")]
        );
    }

    #[test]
    fn ids_not_one_base_apart_are_refused() {
        let live = vec![
            broker(100, &pod_host(0)),
            broker(101, &pod_host(1)),
            broker(103, &pod_host(2)),
        ];
        assert_eq!(
            problems(&broker_ids(&live, SET, "kfuse")),
            [format!(
                "the ids are not one base apart: id = 100 + ordinal for {SET}-0, {SET}-1; id = 101 + ordinal for {SET}-2"
            )]
        );
    }

    #[test]
    fn a_hole_among_the_ordinals_is_refused() {
        let live = vec![broker(100, &pod_host(0)), broker(102, &pod_host(2))];
        assert_eq!(
            problems(&broker_ids(&live, SET, "kfuse")),
            [format!("no live broker runs in {SET}-1: its id cannot be read")]
        );
    }

    #[test]
    fn pod_names_and_ordinals_are_read_strictly() {
        assert_eq!(pod_named_by("kafka-broker-0.x.kfuse.svc"), Some("kafka-broker-0"));
        assert_eq!(pod_named_by("kafka-broker-0"), Some("kafka-broker-0"));
        assert_eq!(pod_named_by("127.0.0.1"), None);
        assert_eq!(pod_named_by("::1"), None);
        assert_eq!(pod_named_by("Kafka_0.svc"), None);
        assert_eq!(ordinal_of(SET, "kafka-broker-12"), Some(12));
        assert_eq!(ordinal_of(SET, "kafka-broker-012"), None);
        assert_eq!(ordinal_of(SET, "kafka-broker-"), None);
        assert_eq!(ordinal_of(SET, "kafka-brokers-1"), None);
    }

    proptest! {
        /// Any base, any order of metadata, any number of brokers: the rule is read back exactly
        /// and every new id is base + ordinal, none of them a live id.
        #[test]
        fn an_affine_mapping_is_read_back(base in -1000i32..100_000, count in 1u32..40, grow in 0u32..40, rotate in 0usize..40) {
            let mut live: Vec<KafkaBroker> = (0..count).map(|o| broker(base + o as i32, &pod_host(o))).collect();
            let shift = rotate % live.len();
            live.rotate_left(shift);
            let ids = broker_ids(&live, SET, "kfuse");
            let read = matches!(ids, BrokerIds::Affine { base: b, .. } if b == i64::from(base));
            prop_assert!(read, "{:?}", ids);
            let all = ids.ids(u64::from(count + grow)).unwrap();
            for (ordinal, id) in all.iter().enumerate() {
                prop_assert_eq!(*id, base + ordinal as i32);
            }
            let new: Vec<i32> = all[count as usize..].to_vec();
            prop_assert!(new.iter().all(|id| live.iter().all(|b| b.id != *id)));
        }

        /// Moving one broker's id off the rule always makes the mapping ambiguous, and the
        /// evidence names every broker.
        #[test]
        fn one_id_off_the_rule_is_ambiguous(base in 0i32..1000, count in 2u32..20, which in 0u32..20, off in 1i32..50) {
            let which = which % count;
            let live: Vec<KafkaBroker> = (0..count)
                .map(|o| broker(base + o as i32 + if o == which { count as i32 + off } else { 0 }, &pod_host(o)))
                .collect();
            match broker_ids(&live, SET, "kfuse") {
                BrokerIds::Ambiguous { problems, evidence } => {
                    prop_assert!(!problems.is_empty());
                    prop_assert_eq!(evidence.len(), count as usize);
                }
                other => prop_assert!(false, "expected ambiguous, got {:?}", other),
            }
        }
    }
}
