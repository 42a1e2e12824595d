//! The reassignment's copy time against its physical bound: kfscale's real `kafka_reassignment`
//! step (balancer on the live assignment, throttle, waves, polls) run against the Kafka fake,
//! whose model clock moves only when the step polls (every 5 model seconds, kfscale's default
//! interval; polls that could find nothing new are skipped, see the fake's `poll_clock`). The copy
//! speed is the fake's model of Kafka's replication throttle: a broker's
//! `*.replication.throttled.rate` shared equally by its throttled copies.
//!
//! Figures: the copy time achieved (first wave sent to the poll that finds every move done), the
//! lower bound (the largest over brokers of max(bytes in, bytes out) / throttle, counted from the
//! fake's replicas before and after, the leader sending), and their ratio.
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use kfscale::connect::{NodePoolClient, Systems};
use kfscale::engine::report::events::Events;
use kfscale::engine::runner::{StepEnv, run_step_once, start_run};
use kfscale::engine::settings::ApplySettings;
use kfscale::engine::wait::cancel::Cancel;
use kfscale::files::StateStore;
use kfscale::plan::{Intent, Plan, plan};
use kfscale::profile::Profile;
use kfscale::snapshot::Snapshot;
use kfscale::state::StepName;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::control::poll_clock::PollClock;
use kfscale_fakes::kafka::seed::Seed;
use kfscale_kafka::{AdminOptions, BrokerAddress, KafkaAdmin};
use serde_json::json;

use super::snapshots::{Shape, big_snapshot};

/// kfscale's poll interval (ApplySettings' default): the rhythm the model clock follows.
const POLL: Duration = Duration::from_secs(5);
/// The throttle kfscale sets by default (kafka.reassignment.throttle_bytes_per_second).
const THROTTLE: u64 = 100 * 1024 * 1024;
/// ListPartitionReassignments: every poll of the step starts with it.
const LIST_REASSIGNMENTS_KEY: i16 = 46;

pub struct Scenario {
    pub name: &'static str,
    pub old_brokers: u32,
    pub new_brokers: u32,
    pub partitions: u32,
}

pub struct Figures {
    pub achieved: Duration,
    pub bound: Duration,
    pub polls: u64,
    pub waves: u64,
    pub moves: usize,
    pub real: Duration,
}

impl Figures {
    pub fn ratio(&self) -> f64 {
        self.achieved.as_secs_f64() / self.bound.as_secs_f64()
    }
}

pub fn run(scenario: &Scenario, work: &Path) -> Figures {
    let snapshot = big_snapshot(Shape {
        nodes: scenario.old_brokers,
        partitions: scenario.partitions,
        rf: 2,
        seed: u64::from(scenario.old_brokers) * 1000 + u64::from(scenario.new_brokers),
    });
    let profile = Profile::builtin("kraft").expect("the built-in profile");
    let plan = plan(&snapshot, Intent::AddNodes(scenario.new_brokers), &profile).expect("a plan");
    let brokers_after = plan.kafka.brokers_after.clone();
    assert_eq!(
        brokers_after.len() as u32,
        scenario.old_brokers + scenario.new_brokers,
        "the plan adds the brokers"
    );
    crate::block_on(run_step(&snapshot, &plan, &brokers_after, work))
}

async fn run_step(snapshot: &Snapshot, plan: &Plan, brokers: &[i32], work: &Path) -> Figures {
    let fake = FakeKafka::start(seed(snapshot, brokers), ModelClock::new(0.0))
        .await
        .expect("the Kafka fake starts");
    let before = replicas(&fake);
    fake.advance_clock_on(Some(PollClock {
        api_key: LIST_REASSIGNMENTS_KEY,
        interval_ms: POLL.as_millis() as u64,
    }));
    let store = StateStore::new(&work.join("state"));
    let mut state = start_run(None, plan, "benchmark", "benchmark", "benchmark");
    store.save(&mut state).expect("the state is written");
    let systems = systems(&fake, work).await;
    let settings = ApplySettings {
        // Real time between polls: the model clock keeps the 5 s rhythm itself.
        poll_interval: Duration::from_millis(1),
        ..ApplySettings::default()
    };
    let events = Events::new(false);
    let cancel = Cancel::default();
    let env = StepEnv {
        store: &store,
        systems: &systems,
        settings: &settings,
        events: &events,
        cancel: &cancel,
        lease: kfscale::engine::lock::LeaseWatch::standalone(),
    };
    let started = Instant::now();
    let run_id = state.run.as_ref().map(|run| run.id.clone()).unwrap_or_default();
    let outcome = run_step_once(&env, &mut state, StepName::KafkaReassignment, plan, &run_id).await;
    let real = started.elapsed();
    if let Err(err) = outcome {
        panic!("the kafka_reassignment step failed: {err}");
    }
    let end_ms = fake.clock().now_ms();
    let shared = fake.shared();
    let sends: Vec<u64> = kfscale_fakes::kafka::shared::lock(&shared.mutations)
        .log()
        .iter()
        .filter(|entry| entry.api == "AlterPartitionReassignments")
        .map(|entry| entry.model_ms)
        .collect();
    let first_send = sends.first().copied().expect("the step sent moves");
    let after = replicas(&fake);
    let counts = fake.request_counts();
    Figures {
        achieved: Duration::from_millis(end_ms - first_send),
        bound: lower_bound(&before, &after),
        polls: counts.get("ListPartitionReassignments").copied().unwrap_or(0),
        waves: sends.len() as u64,
        moves: before
            .iter()
            .filter(|(key, p)| after[*key].replicas != p.replicas)
            .count(),
        real,
    }
}

struct Replicas {
    replicas: Vec<i32>,
    leader: i32,
    size: u64,
}

fn replicas(fake: &FakeKafka) -> BTreeMap<(String, i32), Replicas> {
    fake.with_cluster(|cluster| {
        cluster
            .topics
            .values()
            .flat_map(|topic| {
                topic.partitions.iter().map(|p| {
                    (
                        (topic.name.clone(), p.index),
                        Replicas {
                            replicas: p.replicas.clone(),
                            leader: p.leader,
                            size: p.size_bytes.max(0) as u64,
                        },
                    )
                })
            })
            .collect()
    })
}

/// The largest over brokers of max(bytes received, bytes sent) at the throttle: each new replica
/// is copied from the partition's leader.
fn lower_bound(before: &BTreeMap<(String, i32), Replicas>, after: &BTreeMap<(String, i32), Replicas>) -> Duration {
    let mut bytes_in: BTreeMap<i32, u64> = BTreeMap::new();
    let mut bytes_out: BTreeMap<i32, u64> = BTreeMap::new();
    for (key, old) in before {
        for added in after[key].replicas.iter().filter(|b| !old.replicas.contains(b)) {
            *bytes_in.entry(*added).or_default() += old.size;
            *bytes_out.entry(old.leader).or_default() += old.size;
        }
    }
    let busiest = bytes_in.values().chain(bytes_out.values()).copied().max().unwrap_or(0);
    Duration::from_secs_f64(busiest as f64 / THROTTLE as f64)
}

/// The snapshot's Kafka as the fake's seed, with the new brokers already running (the Helm
/// upgrade started them before this step).
fn seed(snapshot: &Snapshot, brokers: &[i32]) -> Seed {
    let topics: Vec<serde_json::Value> = snapshot
        .kafka
        .topics
        .iter()
        .map(|topic| {
            let partitions: Vec<serde_json::Value> = topic
                .partitions
                .iter()
                .map(|p| json!({"replicas": p.replicas, "size_bytes": p.size_bytes.unwrap_or(0)}))
                .collect();
            json!({"name": topic.name, "partitions": partitions})
        })
        .collect();
    let seed = json!({
        "cluster_id": snapshot.kafka.cluster_id,
        "layout": "kraft",
        // Unthrottled copies are far faster than the throttle: the throttle sets the pace.
        "settings": {"unthrottled_copy_bytes_per_sec": 100.0 * THROTTLE as f64, "disk_bytes": 1_u64 << 50},
        "brokers": brokers.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "topics": topics,
    });
    Seed::from_json(&seed.to_string()).expect("a valid seed")
}

/// The clients of an apply. The step uses only Kafka; the others point at nothing and are never
/// called (a kubeconfig and an EKS endpoint on a closed port, and a `helm` that only says its
/// version).
async fn systems(fake: &FakeKafka, work: &Path) -> Systems {
    let kubeconfig = work.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: 'http://127.0.0.1:9'}}]\n\
         users: [{name: none, user: {}}]\ncontexts: [{name: none, context: {cluster: none, user: none}}]\n\
         current-context: none\n",
    )
    .expect("write a kubeconfig");
    let helm = work.join("helm");
    std::fs::write(&helm, "#!/bin/sh\necho v3.17.2\n").expect("write a helm stand-in");
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).expect("make the stand-in executable");
    let kube = kfscale_kube::Kube::connect(Some(&kubeconfig), None, "kfuse")
        .await
        .expect("a kube client (no call is made)");
    let bootstrap = fake
        .broker_addrs()
        .values()
        .map(|addr| BrokerAddress::new(addr.ip().to_string(), addr.port()))
        .collect();
    Systems {
        kube,
        node_pool: NodePoolClient::Eks {
            eks: kfscale_eks::Eks::connect("us-east-1", Some("http://127.0.0.1:9")).await,
            region: "us-east-1".into(),
            cluster: "none".into(),
            nodegroup: "none".into(),
        },
        pool_selector: kfscale::snapshot::PoolSelector::label(kfscale::snapshot::EKS_POOL_LABEL, "none"),
        helm: kfscale_helm::Helm::detect(
            &helm,
            kfscale_helm::Target {
                kubeconfig: Some(kubeconfig),
                context: None,
                namespace: "kfuse".into(),
            },
        )
        .expect("the helm stand-in answers"),
        helm_release: "kfuse".into(),
        helm_chart: "none".into(),
        helm_plain_http: false,
        values_path: work.join("values.yaml"),
        state_dir: work.join("state"),
        git: None,
        kafka: Some(KafkaAdmin::new(AdminOptions::direct(bootstrap)).expect("a Kafka client")),
        reassignment: kfscale::config::ReassignmentConfig {
            throttle_bytes_per_second: THROTTLE,
            ..Default::default()
        },
        pinot: None,
        grafana: None,
    }
}
