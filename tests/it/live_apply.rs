//! `kfscale apply` end to end on the rig: EKS (moto) grows, the values file is rewritten, Helm
//! upgrades at the installed version, the rollout is checked for an even spread, and the values
//! file and state are committed and pushed to the customer remote. A second apply changes nothing.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use kfscale_fakes::clock::ModelClock;
use kfscale_rig::{RigEnv, cluster, git};

struct Customer {
    rig: RigEnv,
    _kafka: crate::common::KafkaForCluster,
    cluster: cluster::TestCluster,
    config: PathBuf,
    repo: PathBuf,
    remote: PathBuf,
}

/// A cluster installed from a customer repo whose values file pins the pods to the test's nodes
/// (so the release's values and the file agree, as in a real install).
async fn customer_cluster(prefix: &str, nodes: i32) -> Result<Customer> {
    let rig = RigEnv::from_env()?;
    let name = kfscale_rig::names::unique(prefix);
    let remote = git::seeded_remote(&rig, &name)?;
    let scratch = rig.run_dir()?.join("tests").join(format!("{name}-apply"));
    std::fs::create_dir_all(&scratch)?;
    let repo = scratch.join("customer");
    run_git(&scratch, &["clone", "-q", path(&remote)?, "customer"])?;
    let nodegroup = format!("{name}-ng");
    let values = repo.join("values.yaml");
    let text = std::fs::read_to_string(&values)?;
    let pinned = text.replacen(
        "global:\n",
        &format!("global:\n  nodeSelector:\n    eks.amazonaws.com/nodegroup: {nodegroup}\n"),
        1,
    );
    std::fs::write(&values, pinned)?;
    run_git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qam",
            "pin to the node group",
        ],
    )?;
    run_git(&repo, &["push", "-q", "origin", "main"])?;
    let cluster = cluster::install_named(&rig, &name, &nodegroup, nodes, path(&values)?, "3.4.0").await?;
    // Replicas copy on a model clock 50 times faster than the wall clock.
    let kafka = crate::common::kafka_for_with_clock(&rig, &cluster.id, ModelClock::new(50.0)).await?;
    let config = scratch.join("kfscale.yaml");
    // Two moves per broker at once, at 50 MB/s per broker: several waves under a real throttle.
    let kafka_section = kafka.config_section().replacen(
        "timeout_seconds: 10}",
        "timeout_seconds: 10, reassignment: {max_moves_per_broker: 2, throttle_bytes_per_second: 50000000}}",
        1,
    );
    std::fs::write(
        &config,
        kafka_section
            + &format!(
                "cluster:\n  aws: {{region: {region}, cluster: {id}, nodegroup: {ng}, endpoint: \"{endpoint}\"}}\n\
             kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
             helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
             values: {{file: customer/values.yaml}}\n\
             git: {{repo: customer, branch: main, remote: origin}}\n\
             profile: {{base: kraft}}\n\
             state: {{dir: customer/.kfscale}}\n",
                region = rig.get("AWS_REGION")?,
                endpoint = rig.get("AWS_ENDPOINT_URL_EKS")?,
                kubeconfig = rig.get("KUBECONFIG")?,
                helm = rig.get("KFSCALE_RIG_HELM")?,
                chart = cluster.chart,
                id = cluster.id,
                ng = cluster.nodegroup,
            ),
    )?;
    Ok(Customer {
        rig,
        _kafka: kafka,
        cluster,
        config,
        repo,
        remote,
    })
}

fn path(p: &Path) -> Result<&str> {
    p.to_str().context("path is not UTF-8")
}

fn run_git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git").arg("-C").arg(dir).args(args).status()?;
    ensure!(status.success(), "git {args:?} failed");
    Ok(())
}

fn git_output(dir: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output()?;
    ensure!(output.status.success(), "git {args:?} failed");
    Ok(String::from_utf8(output.stdout)?)
}

fn kfscale(customer: &Customer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(args)
        .envs(customer.rig.vars())
        .env("NO_COLOR", "1")
        .env("KFSCALE_POLL_INTERVAL_MS", "200")
        .output()
        .expect("run kfscale")
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_grows_the_cluster_records_it_and_is_idempotent() -> Result<()> {
    let customer = customer_cluster("apply", 6).await?;
    let config = path(&customer.config)?;
    // The rig spreads a node group over three zones: a multi-AZ install grows in steps of 6.
    let output = kfscale(
        &customer,
        &["apply", "--config", config, "--nodes", "12", "--auto-approve"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "apply failed:\n{stderr}\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for step in [
        "node_pool",
        "values_file",
        "hook_jobs",
        "helm_upgrade",
        "rollout",
        "record",
    ] {
        ensure!(stderr.contains(&format!("• {step}")), "no {step} in:\n{stderr}");
    }

    // The cloud, the cluster and the release.
    let eks = customer.rig.eks_client().await?;
    let group = eks
        .describe_nodegroup()
        .cluster_name(&customer.cluster.id)
        .nodegroup_name(&customer.cluster.nodegroup)
        .send()
        .await?;
    assert_eq!(
        group
            .nodegroup()
            .and_then(|g| g.scaling_config())
            .and_then(|s| s.desired_size()),
        Some(12)
    );
    let kube = kfscale_kube::Kube::connect(
        Some(Path::new(customer.rig.get("KUBECONFIG")?)),
        None,
        &customer.cluster.id,
    )
    .await?;
    let release = kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!(
        (
            release.revision,
            release.status.as_str(),
            release.chart_version.as_str()
        ),
        (2, "deployed", "3.4.0")
    );
    let workloads = kube.workloads().await?;
    let broker = workloads
        .iter()
        .find(|w| w.name == "kafka-kraft-broker")
        .context("broker")?;
    assert_eq!((broker.replicas, broker.ready_replicas), (12, 12));

    // Kafka: every topic grown once, each planned move sent once, balanced, no throttle left.
    let admin = kfscale_kafka::KafkaAdmin::new(kfscale_kafka::AdminOptions::direct(
        customer
            ._kafka
            .fake
            .broker_addrs()
            .values()
            .take(3)
            .map(|a| kfscale_kafka::BrokerAddress::new(a.ip().to_string(), a.port()))
            .collect(),
    ))?;
    let metadata = admin.metadata().await?;
    let mut per_broker: std::collections::BTreeMap<i32, usize> = std::collections::BTreeMap::new();
    for topic in metadata.topics.iter().filter(|t| !t.internal) {
        assert_eq!(topic.partitions.len(), 24, "{}", topic.name);
        for partition in &topic.partitions {
            for broker in &partition.replicas {
                *per_broker.entry(*broker).or_default() += 1;
            }
        }
    }
    assert_eq!(per_broker.len(), 12, "{per_broker:?}");
    let (least, most) = (per_broker.values().min(), per_broker.values().max());
    assert!(most.zip(least).is_some_and(|(m, l)| m - l <= 1), "{per_broker:?}");
    assert!(admin.list_partition_reassignments().await?.is_empty());
    let counts = customer._kafka.fake.mutation_counts();
    assert_eq!(counts.get("CreatePartitions"), Some(&1), "{counts:?}");
    let sent = customer._kafka.reassignments_sent();
    // 6 -> 12 brokers while partitions double: the new partitions fill the new brokers, nothing
    // needs to move (the plan's lower bound is 0); the torture test covers moves.
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");

    // Recorded: the commit on the customer remote carries the new values and the state.
    let log = git_output(&customer.remote, &["log", "-1", "--format=%s%n%b", "main"])?;
    assert!(log.starts_with("kfscale: scale EKS node group"), "{log}");
    assert!(log.contains("from 6 to 12 nodes"), "{log}");
    let values = git_output(&customer.remote, &["show", "main:values.yaml"])?;
    assert!(values.contains("numNodes: 12"), "{values}");
    let files = git_output(&customer.remote, &["ls-tree", "-r", "--name-only", "main"])?;
    assert!(
        files.contains(".kfscale/state.json") && files.contains(".kfscale/history/apply-"),
        "{files}"
    );
    let state: serde_json::Value = {
        let text = std::fs::read_to_string(customer.repo.join(".kfscale/state.json"))?;
        let envelope: serde_json::Value = serde_json::from_str(&text)?;
        envelope["state"].clone()
    };
    assert_eq!(state["run"]["status"], "succeeded");
    assert!(
        state["run"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "done" || s["status"] == "skipped")
    );
    let moved = state["run"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "kafka_reassignment")
        .map(|s| s["observed"].clone())
        .context("kafka_reassignment step")?;
    assert_eq!(moved["replicas_moved"], moved["lower_bound"], "{moved}");
    assert_eq!(
        sent.len(),
        state["run"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "kafka_reassignment")
            .unwrap()["handles"]["moves"]
            .as_array()
            .map_or(0, Vec::len)
    );

    // Again: nothing to do, nothing done.
    let again = kfscale(
        &customer,
        &["apply", "--config", config, "--nodes", "12", "--auto-approve"],
    );
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(stdout.contains("No changes."), "{stdout}");
    let release = kube.helm_release("kfuse").await?.context("release")?;
    assert_eq!(release.revision, 2, "no second upgrade");
    Ok(())
}
