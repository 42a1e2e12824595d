//! The runbook's validation checklist, run against the live cluster at any time (`kfscale verify`)
//! and as the last step of every apply: each check GREEN / YELLOW / RED with its evidence.
//!
//! | check | RED when |
//! |---|---|
//! | `workloads` | a workload of the release namespace is not Ready or not updated (or not at its planned size, in apply) |
//! | `spread` | a scaled workload's Ready pods per node differ by more than 1 over the pool's nodes |
//! | `pinot-segments` | a table has a BAD segment (UPDATING only is YELLOW) |
//! | `pinot-freshness` | a REALTIME table's partition lags its stream by more than `validate.max_freshness_lag_seconds`, a consumer is NOT_CONSUMING, or a table consumes nothing |
//! | `kafka-lag` | a partition lags above `validate.max_consumer_lag` and is not falling, or does not consume while its log grows |
//! | `kafka-reassignments` | a partition reassignment is in flight |
//! | `kafka-throttles` | a replication throttle is left on a broker or topic |
//! | `kafka-leaders` | a partition has no leader, or (after an apply that elected the preferred leaders) the partitions led per broker differ by more than 1 where an election would even them |
//! | `helm-release` | the release is not `deployed`, or not at the chart version the last apply pinned |
//! | `control-plane-alerts` | a Kloudfuse rule (`validate.control_plane_alerts`) errors, or fires and did not before the apply (or no apply recorded it) |
//! | `alerting` | a customer's Grafana-managed rule's health is `error`, or a rule fires that did not before the apply |
//!
//! A system kfscale was not told how to reach is YELLOW ("not checked"), never silently green.
mod alerting;
mod check;
mod helm_release;
mod kafka_lag;
mod kafka_leaders;
mod kafka_moves;
mod pinot_freshness;
mod pinot_segments;
pub mod render;
mod workloads;

use crate::snapshot::{PoolSelector, Throttles};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kfscale_grafana::Grafana;
use kfscale_kafka::KafkaAdmin;
use kfscale_kube::Kube;
use kfscale_pinot::Pinot;

pub use crate::state::AlertBaseline;
pub use alerting::baseline;
pub use check::{Check, Report, Status};
pub use kafka_lag::Lag;
pub use kafka_moves::{check_reassignments, check_throttles};
pub use pinot_segments::{all_good, shown_counts, typed_tables};
pub use workloads::{not_ready, pods_unsettled, pool_nodes, spread};

pub use crate::connect::Reach;
use crate::observe::kafka::{consumer_groups, throttles_of};

/// The requests one run makes to the Kubernetes API: Deployments, StatefulSets, DaemonSets and
/// Pods of the namespace, the Nodes, and the release's record Secrets.
const KUBE_REQUESTS: u64 = 6;

pub struct Inputs<'a> {
    pub kube: &'a Kube,
    /// The labels of the pool whose nodes the pods must spread over; None: every node.
    pub pool: Option<&'a PoolSelector>,
    /// The workloads whose pods must be spread (the profile's, or the plan's).
    pub spread_workloads: BTreeSet<String>,
    /// Replicas each workload must have (apply: the plan's); empty: only Ready is checked.
    pub planned: BTreeMap<String, u64>,
    pub release: &'a str,
    /// The chart version the last apply pinned, when there is one.
    pub expected_chart_version: Option<&'a str>,
    pub kafka: Reach<&'a KafkaAdmin>,
    pub pinot: Reach<&'a Pinot>,
    pub grafana: Reach<&'a Grafana>,
    /// The rules firing before the last apply started.
    pub baseline: Option<&'a AlertBaseline>,
    pub max_consumer_lag: u64,
    /// Consumer lag is sampled `lag_samples` times over `lag_window` for its trend.
    pub lag_window: Duration,
    pub lag_samples: u32,
    /// `validate.max_freshness_lag_seconds`: the most a REALTIME partition may lag its stream.
    pub max_freshness_lag: Duration,
    /// `validate.control_plane_alerts`: which alert rules are Kloudfuse's.
    pub control_plane_alerts: &'a crate::config::ControlPlaneAlerts,
    /// Throttles set before the last apply (the customer's own, which kfscale restores after its
    /// moves): not counted as left behind when they still hold their values.
    pub customer_throttles: Option<&'a Throttles>,
    /// Topics the balancer leaves alone (the profile's internal topics): not counted in the leaders.
    pub internal_topics: &'a [String],
    /// Whether the last apply elected the preferred leaders: then uneven leaders are RED.
    pub leaders_elected: bool,
}

/// Runs every check (the systems concurrently; the lag window is most of the time) and returns them
/// in checklist order.
pub async fn run(inputs: &Inputs<'_>) -> Report {
    let started = Instant::now();
    let kafka_before = match inputs.kafka {
        Reach::Ready(admin) => admin.request_total(),
        _ => 0,
    };
    let pinot_before = match inputs.pinot {
        Reach::Ready(pinot) => pinot.request_counts().values().sum(),
        _ => 0,
    };
    let grafana_before = match inputs.grafana {
        Reach::Ready(grafana) => grafana.request_count(),
        _ => 0,
    };
    let (kube, kafka, pinot, alerting) = tokio::join!(
        kube_checks(inputs),
        kafka_checks(inputs),
        pinot_checks(inputs),
        alerting_checks(inputs)
    );
    let mut checks = kube.0;
    checks.extend(pinot);
    checks.extend(kafka);
    checks.push(kube.1);
    checks.extend(alerting);

    let mut requests = BTreeMap::from([("kubernetes".to_string(), KUBE_REQUESTS)]);
    if let Reach::Ready(admin) = inputs.kafka {
        requests.insert("kafka".into(), admin.request_total() - kafka_before);
    }
    if let Reach::Ready(pinot) = inputs.pinot {
        requests.insert(
            "pinot".into(),
            pinot.request_counts().values().sum::<u64>() - pinot_before,
        );
    }
    if let Reach::Ready(grafana) = inputs.grafana {
        requests.insert("grafana".into(), grafana.request_count() - grafana_before);
    }
    Report {
        status: checks.iter().map(|c| c.status).max().unwrap_or(Status::Green),
        checks,
        requests,
        elapsed_ms: started.elapsed().as_millis() as u64,
        lag_window_ms: inputs.lag_window.as_millis() as u64,
        lag_samples: inputs.lag_samples.max(1),
    }
}

/// (workloads + spread, helm-release).
async fn kube_checks(inputs: &Inputs<'_>) -> (Vec<Check>, Check) {
    let kube = inputs.kube;
    let (workloads, nodes, record) = tokio::join!(kube.workloads(), kube.nodes(), kube.helm_release(inputs.release));
    let helm = match record {
        Ok(record) => helm_release::check(inputs.release, record.as_ref(), inputs.expected_chart_version),
        Err(err) => unreadable("helm-release", "the release record", &err),
    };
    let pool = inputs
        .pool
        .map_or_else(|| "the cluster".to_string(), |pool| format!("pool {pool}"));
    let checks = match (workloads, nodes) {
        (Ok(workloads), Ok(nodes)) => {
            let nodes = pool_nodes(&nodes, inputs.pool);
            vec![
                workloads::check_workloads(&workloads, &inputs.planned),
                workloads::check_spread(&workloads, &nodes, &inputs.spread_workloads, &pool),
            ]
        }
        (Err(err), _) | (_, Err(err)) => vec![
            unreadable("workloads", "Kubernetes", &err),
            unreadable("spread", "Kubernetes", &err),
        ],
    };
    (checks, helm)
}

async fn kafka_checks(inputs: &Inputs<'_>) -> Vec<Check> {
    const NAMES: [&str; 4] = ["kafka-lag", "kafka-reassignments", "kafka-throttles", "kafka-leaders"];
    let admin = match &inputs.kafka {
        Reach::Ready(admin) => *admin,
        Reach::NotChecked(why) => return NAMES.iter().map(|n| not_checked(n, why)).collect(),
        Reach::Failed(err) => return NAMES.iter().map(|n| unreadable(n, "Kafka", err)).collect(),
    };
    let moves = async {
        let moving = admin.list_partition_reassignments().await?;
        let metadata = admin.metadata().await?;
        let throttles = throttles_of(admin, &metadata).await?;
        let leaders = kafka_leaders::leaders(&metadata, inputs.internal_topics);
        Ok::<_, kfscale_kafka::KafkaError>((moving, throttles, leaders))
    };
    let (lag, moves) = tokio::join!(sample_lag(admin, inputs.lag_samples, inputs.lag_window), moves);
    let lag = match lag {
        Ok(samples) => kafka_lag::check(&samples, inputs.max_consumer_lag, inputs.lag_window.as_millis() as u64),
        Err(err) => unreadable("kafka-lag", "Kafka", &err),
    };
    match moves {
        Ok((moving, throttles, leaders)) => vec![
            lag,
            kafka_moves::check_reassignments(&moving),
            kafka_moves::check_throttles(&match inputs.customer_throttles {
                Some(before) => throttles.set_since(before),
                None => throttles,
            }),
            kafka_leaders::check(&leaders, inputs.leaders_elected),
        ],
        Err(err) => vec![
            lag,
            unreadable("kafka-reassignments", "Kafka", &err),
            unreadable("kafka-throttles", "Kafka", &err),
            unreadable("kafka-leaders", "Kafka", &err),
        ],
    }
}

/// `samples` readings of every group's offsets, evenly over `window` (one reading without a window).
async fn sample_lag(
    admin: &KafkaAdmin,
    samples: u32,
    window: Duration,
) -> Result<Vec<Vec<crate::snapshot::ConsumerGroupOffsets>>, kfscale_kafka::KafkaError> {
    let samples = if window.is_zero() { 1 } else { samples.max(2) };
    let step = window / (samples - 1).max(1);
    let started = Instant::now();
    let mut out = Vec::new();
    for i in 0..samples {
        // Sleep to the sample's slot, not a fixed step: slow reads must not stretch the window.
        let due = step * i;
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        out.push(consumer_groups(admin).await?);
    }
    Ok(out)
}

/// `pinot-segments` and `pinot-freshness`, over one listing of the tables.
async fn pinot_checks(inputs: &Inputs<'_>) -> [Check; 2] {
    const SEGMENTS: &str = "pinot-segments";
    const FRESHNESS: &str = "pinot-freshness";
    const CONTROLLER: &str = "the Pinot controller";
    let pinot = match &inputs.pinot {
        Reach::Ready(pinot) => *pinot,
        Reach::NotChecked(why) => return [not_checked(SEGMENTS, why), not_checked(FRESHNESS, why)],
        Reach::Failed(err) => {
            return [
                unreadable(SEGMENTS, CONTROLLER, err),
                unreadable(FRESHNESS, CONTROLLER, err),
            ];
        }
    };
    let tables = match typed_tables(pinot).await {
        Ok(tables) => tables,
        Err(err) => {
            return [
                unreadable(SEGMENTS, CONTROLLER, &err),
                unreadable(FRESHNESS, CONTROLLER, &err),
            ];
        }
    };
    let (segments, freshness) = tokio::join!(
        pinot_segments::check(pinot, &tables),
        pinot_freshness::check(pinot, &tables, inputs.max_freshness_lag)
    );
    [
        segments.unwrap_or_else(|err| unreadable(SEGMENTS, CONTROLLER, &err)),
        freshness,
    ]
}

/// `control-plane-alerts` and `alerting`, over one read of the rules.
async fn alerting_checks(inputs: &Inputs<'_>) -> [Check; 2] {
    const NAMES: [&str; 2] = ["control-plane-alerts", "alerting"];
    match &inputs.grafana {
        Reach::Ready(grafana) => match grafana.rule_groups().await {
            Ok(groups) => alerting::checks(&groups, inputs.baseline, inputs.control_plane_alerts),
            Err(err) => NAMES.map(|n| unreadable(n, "Grafana", &err)),
        },
        Reach::NotChecked(why) => NAMES.map(|n| not_checked(n, why)),
        Reach::Failed(err) => NAMES.map(|n| unreadable(n, "Grafana", err)),
    }
}

fn not_checked(name: &str, why: &str) -> Check {
    Check::yellow(name, format!("not checked: {why}"))
}

fn unreadable(name: &str, system: &str, err: &dyn std::fmt::Display) -> Check {
    Check::red(name, format!("cannot read {system}")).evidence([err.to_string()])
}
