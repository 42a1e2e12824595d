//! kill -9 torture: one apply 6 -> 9 nodes (single zone) on the rig, killed with SIGKILL again and
//! again at seeded random points in every step, each time resumed by running `kfscale apply`
//! again, until it finishes by itself. The end state must be the one an uninterrupted apply
//! reaches, and the fakes' logs must show that no mutation was sent twice: the node group resize
//! with one request token, each partition move once, the partition growth once, one Pinot
//! rebalance per planned table. Counted on the systems' side: EKS updates forwarded (1), Helm
//! revisions (one more), record commits on the remote (1), throttle configs left (0), the lease
//! (released).
//!
//! Kill points: for each step in order, one shortly after it starts and one shortly after its
//! first progress event (a wait or an info line), each after a seeded random delay; then random
//! delays from the start until 20 kills are reached. `KFSCALE_TORTURE_SEED` replays a run.
use std::collections::BTreeSet;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, git_output, step};
use crate::common::eks_proxy::{EksProxy, UPDATE_NODEGROUP_CONFIG};
use crate::common::leftovers::{helm_revisions, kube_of, throttles};
use crate::common::pinot::{self, TABLES, pinot_for};

const STEPS: [&str; 12] = [
    "node_pool",
    "values_file",
    "hook_jobs",
    "broker_volumes",
    "helm_upgrade",
    "rollout",
    "kafka_partitions",
    "kafka_reassignment",
    "kafka_leaders",
    "pinot_rebalance",
    "validate",
    "record",
];
const MIN_KILLS: usize = 20;
/// Model seconds per wall second of the Pinot fake.
const PINOT_SPEED: f64 = 20.0;

/// xorshift64*: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Started,
    Progress,
}

#[derive(Debug)]
struct KillPoint {
    attempt: usize,
    /// The last step the apply reported before the kill, and what it was doing.
    step: String,
    event: String,
    delay_ms: u64,
}

/// One `kfscale apply --json` with its events on a channel.
struct Run {
    child: Child,
    events: mpsc::Receiver<serde_json::Value>,
}

fn start(customer: &Customer, attempt: usize) -> Result<Run> {
    let (child, events) = customer.spawn_json(&customer.apply_args("9")?, &format!("attempt-{attempt}.log"))?;
    Ok(Run { child, events })
}

/// Steps the state records as finished (all of them once the run succeeded).
fn finished_steps(customer: &Customer) -> BTreeSet<String> {
    let Ok(state) = customer.state() else {
        return BTreeSet::new();
    };
    if state["run"]["status"] == "succeeded" {
        return STEPS.iter().map(|s| s.to_string()).collect();
    }
    state["run"]["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter(|s| s["status"] == "done" || s["status"] == "skipped")
                .filter_map(|s| s["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_survives_kill_9_anywhere_and_sends_no_mutation_twice() -> Result<()> {
    let seed = std::env::var("KFSCALE_TORTURE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_128u64);
    let mut rng = Rng(seed | 1);
    // Replicas move in many waves (the Kafka model clock runs 5x the wall clock).
    // EKS requests pass a counting proxy (moto keeps no request log).
    let proxy = EksProxy::start(&kfscale_rig::RigEnv::from_env()?).await?;
    let customer = customer_cluster(CustomerSpec {
        eks_endpoint: Some(proxy.url().to_string()),
        ..CustomerSpec::moving_replicas("torture", 5.0)
    })
    .await?;
    let pinot = pinot_for(&customer.rig, &pinot::seed(&customer.cluster.id, None)?, PINOT_SPEED).await?;
    customer.configure(&pinot.config_section(""))?;
    // What the counts are measured from: Helm's revisions and the remote's branch before the apply.
    let revisions_before = helm_revisions(&customer).await?;
    let remote_before = git_output(&customer.remote, &["rev-parse", "main"])?.trim().to_string();

    // Per step: right after it starts, then at up to five of its progress events (in later
    // attempts while the step still runs).
    let mut targets: Vec<(&str, Phase)> = STEPS
        .iter()
        .flat_map(|s| [(*s, Phase::Started)].into_iter().chain([(*s, Phase::Progress); 5]))
        .collect();
    targets.reverse();
    let mut kills: Vec<KillPoint> = Vec::new();
    let started = Instant::now();
    let mut finished = false;
    for attempt in 1..=80 {
        // A step that finished can no longer be hit: drop its targets.
        let finished_steps = finished_steps(&customer);
        while targets.last().is_some_and(|(step, _)| finished_steps.contains(*step)) {
            targets.pop();
        }
        let mut run = start(&customer, attempt)?;
        let spawned = Instant::now();
        let target = targets.last().copied();
        // Random kills (once the step targets are used up, until the minimum is reached) land
        // anywhere in the first 3 s; then the apply may finish.
        let random_at = Duration::from_millis(200 + rng.below(2800));
        let random_kills = kills.len() < MIN_KILLS;
        let mut last = ("(starting)".to_string(), "none".to_string());
        let mut kill_at: Option<Instant> = None;
        let exited = loop {
            if let Some(status) = run.child.try_wait()? {
                break Some(status);
            }
            let now = Instant::now();
            if kill_at.is_some_and(|at| now >= at) || (target.is_none() && random_kills && now - spawned >= random_at) {
                break None;
            }
            let Ok(event) = run.events.recv_timeout(Duration::from_millis(20)) else {
                continue;
            };
            let kind = event["event"].as_str().unwrap_or("").to_string();
            let step = event["step"].as_str().unwrap_or("").to_string();
            if !step.is_empty() {
                last = (step.clone(), kind.clone());
            }
            let Some((want, phase)) = target else { continue };
            if kill_at.is_some() || step != want {
                continue;
            }
            let hit = match phase {
                Phase::Started => kind == "step_started",
                Phase::Progress => kind == "waiting" || kind == "info",
            };
            if hit {
                kill_at = Some(Instant::now() + Duration::from_millis(rng.below(400)));
            } else if kind == "step_finished" {
                // The step ended before its kill point: kill right after it instead.
                kill_at = Some(Instant::now());
            }
        };
        match exited {
            Some(status) if status.success() => {
                finished = true;
                break;
            }
            Some(status) => {
                let log = std::fs::read_to_string(
                    customer
                        .repo
                        .parent()
                        .context("scratch")?
                        .join(format!("attempt-{attempt}.log")),
                )?;
                bail!(
                    "attempt {attempt} failed by itself ({status}) after {} kills:\n{log}",
                    kills.len()
                );
            }
            None => {
                run.child.kill()?; // SIGKILL
                run.child.wait()?;
                kills.push(KillPoint {
                    attempt,
                    step: last.0,
                    event: last.1,
                    delay_ms: spawned.elapsed().as_millis() as u64,
                });
                if target.is_some() && kill_at.is_some() {
                    targets.pop();
                }
            }
        }
    }
    let report: Vec<String> = kills
        .iter()
        .map(|k| format!("#{} {} ({}) at {} ms", k.attempt, k.step, k.event, k.delay_ms))
        .collect();
    eprintln!(
        "torture seed {seed}: {} kills, finished in {:.1} s\n{}",
        kills.len(),
        started.elapsed().as_secs_f64(),
        report.join("\n")
    );
    ensure!(finished, "the apply never finished: {report:#?}");
    ensure!(kills.len() >= MIN_KILLS, "only {} kills: {report:#?}", kills.len());
    let killed_in: BTreeSet<&str> = kills.iter().map(|k| k.step.as_str()).collect();
    // The long steps always take kills; quick ones (a rollout on the rig is over in a second)
    // only when a kill lands in them.
    for step in ["node_pool", "helm_upgrade", "kafka_reassignment"] {
        ensure!(killed_in.contains(step), "no kill in {step}: {report:#?}");
    }
    ensure!(killed_in.len() >= 5, "kills in only {killed_in:?}");

    // The end state an uninterrupted apply reaches.
    let state = customer.state()?;
    assert_eq!(state["run"]["status"], "succeeded");
    assert_eq!(customer.eks_desired_size().await?, Some(9));
    let values = git_output(&customer.remote, &["show", "main:values.yaml"])?;
    assert!(values.contains("numNodes: 9"), "{values}");
    customer.assert_kafka_balanced(15, 9).await?;

    // No mutation twice. The node group resize may be sent again only when the apply died before
    // recording its update id, and then with the same client request token: EKS treats it as the
    // same request.
    let tokens: BTreeSet<Option<String>> = proxy.tokens().into_iter().collect();
    assert_eq!(tokens.len(), 1, "one request token for every resize: {tokens:?}");
    assert!(tokens.iter().all(Option::is_some), "{tokens:?}");
    // Every resumed node_pool step reads the group before it acts: moto applies an update the
    // moment it takes it, so a resume after any kill sees the group resized and sends nothing.
    assert_eq!(
        proxy.forwarded(UPDATE_NODEGROUP_CONFIG),
        1,
        "UpdateNodegroupConfig reached EKS more than once"
    );
    assert_eq!(
        helm_revisions(&customer).await?,
        revisions_before + 1,
        "helm upgrade made more than one revision"
    );
    let commits = git_output(
        &customer.remote,
        &["rev-list", "--count", &format!("{remote_before}..main")],
    )?;
    assert_eq!(commits.trim(), "1", "record commits on the remote");
    let admin = customer.kafka_admin()?;
    let left = throttles(&admin).await?;
    assert!(left.is_empty(), "throttle configs left behind: {left:?}");
    let lease = kube_of(&customer)
        .await?
        .lease(kfscale::engine::lock::LEASE_NAME)
        .await?;
    assert!(lease.is_none(), "the apply left its lease behind: {lease:?}");
    let counts = customer.kafka.fake.mutation_counts();
    assert_eq!(counts.get("CreatePartitions"), Some(&1), "{counts:?}");
    let reassignment = step(&state, "kafka_reassignment").context("step")?;
    let planned: usize = reassignment["handles"]["moves"].as_array().map_or(0, Vec::len);
    let sent = customer.kafka.reassignments_sent();
    ensure!(planned > 0, "the torture needs moves: {reassignment}");
    assert_eq!(sent.len(), planned, "every move sent");
    let twice: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    let observed = &reassignment["observed"];
    assert_eq!(observed["replicas_moved"], observed["lower_bound"], "{observed}");
    // Pinot: one rebalance POST per planned table, however often the apply died around it.
    assert_eq!(pinot.mutations("rebalance"), 2, "{:?}", pinot.fake.mutations());
    assert_eq!(pinot.mutations("cancelRebalance"), 0, "{:?}", pinot.fake.mutations());
    for table in TABLES {
        let (_good, not_good, _servers) = pinot.table(table).await?;
        assert_eq!(not_good, 0, "{table} has segments not GOOD");
    }

    // And nothing left to do.
    let again = customer.kfscale(&[
        "plan",
        "--config",
        customer.config_arg()?,
        "--nodes",
        "9",
        "--detailed-exitcode",
    ]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(stdout.contains("No changes."), "{stdout}");
    Ok(())
}
