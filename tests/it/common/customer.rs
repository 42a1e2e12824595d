//! A customer's world on the rig for apply tests: a cluster installed from the customer's git repo
//! (values pinned to the test's node group, so the release's values and the file agree, as in a
//! real install), a Kafka fake playing its brokers, and a kfscale.yaml that reaches all of it.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use kfscale_fakes::clock::ModelClock;
use kfscale_rig::{RigEnv, cluster, git};

use super::KafkaForCluster;

const NODEGROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";

pub struct Customer {
    pub rig: RigEnv,
    pub kafka: KafkaForCluster,
    pub cluster: cluster::TestCluster,
    pub config: PathBuf,
    /// The customer's clone (kfscale.yaml's `git.repo`).
    pub repo: PathBuf,
    /// The bare repo it pushes to.
    pub remote: PathBuf,
    /// kfscale.yaml as written at the start, which [`Customer::configure`] extends.
    base_config: String,
    /// Environment every kfscale run of this customer gets on top of the rig's ([`Customer::set_env`]).
    env: Vec<(String, String)>,
}

pub struct CustomerSpec<'a> {
    pub prefix: &'a str,
    pub nodes: i32,
    /// The node group's zones; None: the rig's three.
    pub zones: Option<&'a [&'a str]>,
    /// How much faster than the wall clock the Kafka fake's model runs (0: frozen).
    pub kafka_speed: f64,
    /// Keys inside the `kafka:` flow mapping besides bootstrap (e.g. `reassignment: {...}`).
    pub kafka_extra: &'a str,
    /// The Kafka fake's first brokers (ids from 100) the topics are placed on; 0: the seed's six.
    pub kafka_brokers: usize,
    /// Replicas per partition of the Kafka fake's topics (0: the seed's one).
    pub kafka_replication_factor: i16,
    /// Keys inside the `profile:` flow mapping besides `base: kraft`.
    pub profile_extra: &'a str,
    /// Replaces the rig's EKS endpoint (a counting proxy in front of moto).
    pub eks_endpoint: Option<String>,
    /// Appended to the customer's values file before the chart is installed from it.
    pub values_extra: &'a str,
    /// Replacements (first match of each `from` -> `to`) in the customer's values file before the
    /// chart is installed from it; a `from` the file lacks fails the setup.
    pub values_edits: &'a [(&'a str, &'a str)],
    /// Lines taken out of the customer's values file before the install (a sparse file: those
    /// values run at the chart's defaults).
    pub values_without: &'a [&'a str],
}

impl<'a> CustomerSpec<'a> {
    /// A single-AZ node group of 3: the smallest install an apply grows (to 4).
    pub fn single_az(prefix: &'a str) -> CustomerSpec<'a> {
        CustomerSpec {
            prefix,
            nodes: 3,
            zones: Some(&["us-east-1a"]),
            ..CustomerSpec::default()
        }
    }

    /// A single-AZ node group of 6 whose apply to 9 moves replicas: partitions grow by 1.25 (12 ->
    /// 15), too few to fill three new brokers alone; one move per broker at once at 100 MB/s (a
    /// partition holds 2 GiB) on a Kafka model clock `kafka_speed` x the wall clock.
    pub fn moving_replicas(prefix: &'a str, kafka_speed: f64) -> CustomerSpec<'a> {
        CustomerSpec {
            prefix,
            nodes: 6,
            zones: Some(&["us-east-1a"]),
            kafka_speed,
            kafka_extra: "reassignment: {max_moves_per_broker: 1, throttle_bytes_per_second: 100000000}",
            profile_extra: "kafka: {partition_factor: 1.25}",
            ..CustomerSpec::default()
        }
    }
}

impl Default for CustomerSpec<'_> {
    fn default() -> Self {
        CustomerSpec {
            prefix: "apply",
            nodes: 6,
            zones: None,
            kafka_speed: 0.0,
            kafka_extra: "",
            kafka_brokers: 0,
            kafka_replication_factor: 0,
            profile_extra: "",
            eks_endpoint: None,
            values_extra: "",
            values_edits: &[],
            values_without: &[],
        }
    }
}

/// The customer's side alone: a clone of a fresh seeded remote, in a scratch directory of its own.
pub struct CustomerRepo {
    /// kfscale.yaml goes here; the clone is `customer/` in it.
    pub scratch: PathBuf,
    /// The clone (`git.repo: customer`).
    pub repo: PathBuf,
    /// The bare repo it pushes to.
    pub remote: PathBuf,
}

/// Clones a new seeded remote `name` and pins the values file's pods to nodes labelled
/// `label: value` (committed and pushed, so the file and the release agree once installed).
pub fn customer_repo(rig: &RigEnv, name: &str, label: &str, value: &str) -> Result<CustomerRepo> {
    customer_repo_with(rig, name, label, value, "", &[])
}

/// As [`customer_repo`], with `extra` appended to the values file (in the same commit).
pub fn customer_repo_with(
    rig: &RigEnv,
    name: &str,
    label: &str,
    value: &str,
    extra: &str,
    without: &[&str],
) -> Result<CustomerRepo> {
    let remote = git::seeded_remote(rig, name)?;
    let scratch = rig.run_dir()?.join("tests").join(format!("{name}-apply"));
    std::fs::create_dir_all(&scratch)?;
    run_git(&scratch, &["clone", "-q", path(&remote)?, "customer"])?;
    let repo = scratch.join("customer");
    let values = repo.join("values.yaml");
    let mut text = std::fs::read_to_string(&values)?;
    for line in without {
        let line = format!("{line}\n");
        anyhow::ensure!(text.contains(&line), "the seed values file has no line {line:?}");
        text = text.replacen(&line, "", 1);
    }
    let pinned = text.replacen(
        "global:\n",
        &format!("global:\n  nodeSelector:\n    {label}: {value}\n"),
        1,
    );
    std::fs::write(&values, pinned + extra)?;
    commit_all(&repo, "pin to the test's nodes")?;
    run_git(&repo, &["push", "-q", "origin", "main"])?;
    Ok(CustomerRepo { scratch, repo, remote })
}

pub async fn customer_cluster(spec: CustomerSpec<'_>) -> Result<Customer> {
    let rig = RigEnv::from_env()?;
    let name = kfscale_rig::names::unique(spec.prefix);
    let nodegroup = format!("{name}-ng");
    let CustomerRepo { scratch, repo, remote } = customer_repo_with(
        &rig,
        &name,
        NODEGROUP_LABEL,
        &nodegroup,
        spec.values_extra,
        spec.values_without,
    )?;
    let values = repo.join("values.yaml");
    if !spec.values_edits.is_empty() {
        let mut text = std::fs::read_to_string(&values)?;
        for (from, to) in spec.values_edits {
            ensure!(text.contains(from), "the values file has no {from:?}:\n{text}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(&values, text)?;
        commit_all(&repo, "the test's values")?;
        run_git(&repo, &["push", "-q", "origin", "main"])?;
    }
    let cluster =
        cluster::install_named_in_zones(&rig, &name, &nodegroup, spec.nodes, spec.zones, path(&values)?, "3.4.0")
            .await?;
    let kafka = super::kafka_for_seeded(
        &rig,
        &cluster.id,
        ModelClock::new(spec.kafka_speed),
        spec.kafka_brokers,
        spec.kafka_replication_factor,
    )
    .await?;
    let mut kafka_section = kafka.config_section();
    if !spec.kafka_extra.is_empty() {
        kafka_section = kafka_section.replacen(
            "timeout_seconds: 10}",
            &format!("timeout_seconds: 10, {}}}", spec.kafka_extra),
            1,
        );
    }
    let profile = if spec.profile_extra.is_empty() {
        "{base: kraft}".to_string()
    } else {
        format!("{{base: kraft, {}}}", spec.profile_extra)
    };
    let endpoint = match spec.eks_endpoint {
        Some(endpoint) => endpoint,
        None => rig.get("AWS_ENDPOINT_URL_EKS")?.to_string(),
    };
    let config = scratch.join("kfscale.yaml");
    let base_config = kafka_section
        + &format!(
            "cluster:\n  aws: {{region: {region}, cluster: {id}, nodegroup: {ng}, endpoint: \"{endpoint}\"}}\n\
                 kubernetes: {{kubeconfig: {kubeconfig}, namespace: {id}}}\n\
                 helm: {{release: kfuse, chart: \"{chart}\", binary: {helm}, plain_http: true}}\n\
                 values: {{file: customer/values.yaml}}\n\
                 git: {{repo: customer, branch: main, remote: origin}}\n\
                 profile: {profile}\n\
                 state: {{dir: customer/.kfscale}}\n",
            region = rig.get("AWS_REGION")?,
            kubeconfig = rig.get("KUBECONFIG")?,
            helm = rig.get("KFSCALE_RIG_HELM")?,
            chart = cluster.chart,
            id = cluster.id,
            ng = cluster.nodegroup,
        );
    std::fs::write(&config, &base_config)?;
    Ok(Customer {
        rig,
        kafka,
        cluster,
        config,
        repo,
        remote,
        base_config,
        env: Vec::new(),
    })
}

impl Customer {
    /// `kfscale ARGS` against this customer, polling fast.
    pub fn kfscale(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run kfscale")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = kfscale_command(&self.rig, args);
        command.envs(self.env.iter().map(|(key, value)| (key, value)));
        command
    }

    /// Every later kfscale run of this customer gets `key=value` (a test's knob, such as
    /// `KFSCALE_LOCK_SECONDS`).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn config_arg(&self) -> Result<&str> {
        path(&self.config)
    }

    /// Rewrites kfscale.yaml as it was written at the start plus `sections` (whole top-level YAML
    /// sections, e.g. `pinot: {...}`), for things set up after the cluster (a Pinot fake) or changed
    /// between runs.
    pub fn configure(&self, sections: &str) -> Result<()> {
        std::fs::write(&self.config, format!("{}{sections}", self.base_config))?;
        Ok(())
    }

    /// Replaces the first `from` in kfscale.yaml with `to`, in the file and in what
    /// [`Customer::configure`] starts from; fails when there is no `from`.
    pub fn edit_config(&mut self, from: &str, to: &str) -> Result<()> {
        ensure!(
            self.base_config.contains(from),
            "kfscale.yaml has no {from:?}:\n{}",
            self.base_config
        );
        self.base_config = self.base_config.replacen(from, to, 1);
        let now = std::fs::read_to_string(&self.config)?;
        std::fs::write(&self.config, now.replacen(from, to, 1))?;
        Ok(())
    }

    /// The arguments of `kfscale apply --config ... --nodes NODES --auto-approve`.
    pub fn apply_args<'a>(&'a self, nodes: &'a str) -> Result<[&'a str; 6]> {
        Ok([
            "apply",
            "--config",
            self.config_arg()?,
            "--nodes",
            nodes,
            "--auto-approve",
        ])
    }

    /// `kfscale apply --config ... --nodes N --auto-approve`.
    pub fn apply(&self, nodes: u32) -> Result<Output> {
        Ok(self.kfscale(&self.apply_args(&nodes.to_string())?))
    }

    /// One step's record in the current run of the state file.
    pub fn step_record(&self, name: &str) -> Result<serde_json::Value> {
        step(&self.state()?, name)
            .cloned()
            .with_context(|| format!("no step {name} in the state"))
    }

    /// The state file's `state` (the envelope's payload).
    pub fn state(&self) -> Result<serde_json::Value> {
        read_state(&self.repo)
    }

    /// A direct admin client of the Kafka fake, for checks.
    pub fn kafka_admin(&self) -> Result<kfscale_kafka::KafkaAdmin> {
        self.kafka.admin()
    }
}

/// An Output's streams as text, for assertions and their messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `kfscale ARGS` with the rig's environment, polling fast. A rig customer has no Pinot unless its
/// test starts a fake and writes a `pinot:` section, and kfscale refuses to plan without the
/// runbook's Pinot rebalance; so a plan, or an apply that plans, of a kfscale.yaml without `pinot:`
/// gets `--skip-pinot`, the operator's explicit way past (see [`skips_pinot`]). Tests of that
/// refusal use [`kfscale_command_as_given`].
pub fn kfscale_command(rig: &RigEnv, args: &[&str]) -> Command {
    let mut command = kfscale_command_as_given(rig, args);
    if skips_pinot(args) {
        command.arg("--skip-pinot");
    }
    command
}

/// Whether [`kfscale_command`] adds `--skip-pinot`: `plan`, or `apply` with `--nodes`/`--add-nodes`
/// (a plan file carries its own choice), of a `--config` file with no top-level `pinot:` section.
pub fn skips_pinot(args: &[&str]) -> bool {
    // The subcommand: the first word that is not a flag (`-v plan ...`).
    let plans = match args.iter().find(|arg| !arg.starts_with('-')) {
        Some(&"plan") => true,
        Some(&"apply") => args.iter().any(|a| *a == "--nodes" || *a == "--add-nodes"),
        _ => false,
    };
    let config = args
        .iter()
        .position(|a| *a == "--config" || *a == "-c")
        .and_then(|at| args.get(at + 1));
    let (true, Some(config), false) = (plans, config, args.contains(&"--skip-pinot")) else {
        return false;
    };
    std::fs::read_to_string(config).is_ok_and(|text| !text.lines().any(|line| line.starts_with("pinot:")))
}

/// `kfscale ARGS` with the rig's environment, polling fast, and exactly these arguments.
pub fn kfscale_command_as_given(rig: &RigEnv, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
    command
        .args(args)
        .envs(rig.vars())
        .env("NO_COLOR", "1")
        .env("KFSCALE_POLL_INTERVAL_MS", "200")
        // Retriable faults back off from 100 ms (capped at 1.6 s) instead of 2 s.
        .env("KFSCALE_RETRY_BASE_MS", "100")
        // The validation checklist samples consumer lag over a short window here.
        .env("KFSCALE_LAG_WINDOW_MS", "600");
    command
}

/// The `state` (the envelope's payload) of the state file in a customer's clone
/// (`state.dir: customer/.kfscale`).
pub fn read_state(repo: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(repo.join(".kfscale/state.json"))?;
    let envelope: serde_json::Value = serde_json::from_str(&text)?;
    Ok(envelope["state"].clone())
}

/// Fails with both streams when kfscale did not succeed.
pub fn succeeded(output: Output, what: &str) -> Result<Output> {
    ensure!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    Ok(output)
}

/// One step's record in a state's run.
pub fn step<'a>(state: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    state["run"]["steps"].as_array()?.iter().find(|s| s["name"] == name)
}

pub fn path(p: &Path) -> Result<&str> {
    p.to_str().context("path is not UTF-8")
}

pub fn run_git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git").arg("-C").arg(dir).args(args).status()?;
    ensure!(status.success(), "git {args:?} failed");
    Ok(())
}

/// `git commit -a` as a test author (the clone has no identity of its own).
pub fn commit_all(dir: &Path, message: &str) -> Result<()> {
    run_git(
        dir,
        &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", message],
    )
}

pub fn git_output(dir: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output()?;
    ensure!(output.status.success(), "git {args:?} failed");
    Ok(String::from_utf8(output.stdout)?)
}

impl Customer {
    /// The EKS node group's desired size, read from moto directly (never through a test's proxy).
    pub async fn eks_desired_size(&self) -> Result<Option<i32>> {
        let group = self
            .rig
            .eks_client()
            .await?
            .describe_nodegroup()
            .cluster_name(&self.cluster.id)
            .nodegroup_name(&self.cluster.nodegroup)
            .send()
            .await?;
        Ok(group
            .nodegroup()
            .and_then(|g| g.scaling_config())
            .and_then(|s| s.desired_size()))
    }

    /// Replicas per broker over the non-internal topics, after checking every topic has
    /// `partitions` partitions; fails unless they spread over `brokers` brokers evenly (at most
    /// one apart) with no reassignment left in flight.
    pub async fn assert_kafka_balanced(&self, partitions: usize, brokers: usize) -> Result<BTreeMap<i32, usize>> {
        let admin = self.kafka_admin()?;
        let mut per_broker: BTreeMap<i32, usize> = BTreeMap::new();
        for topic in admin.metadata().await?.topics.iter().filter(|t| !t.internal) {
            anyhow::ensure!(
                topic.partitions.len() == partitions,
                "{}: {} partitions",
                topic.name,
                topic.partitions.len()
            );
            for partition in &topic.partitions {
                for broker in &partition.replicas {
                    *per_broker.entry(*broker).or_default() += 1;
                }
            }
        }
        anyhow::ensure!(per_broker.len() == brokers, "{per_broker:?}");
        let (least, most) = (per_broker.values().min(), per_broker.values().max());
        anyhow::ensure!(most.zip(least).is_some_and(|(m, l)| m - l <= 1), "{per_broker:?}");
        anyhow::ensure!(
            admin.list_partition_reassignments().await?.is_empty(),
            "reassignments in flight"
        );
        Ok(per_broker)
    }

    /// Starts `kfscale ARGS --json` with its stderr in `log` (next to kfscale.yaml); the events
    /// arrive on the receiver, which closes with the process's stdout.
    pub fn spawn_json(
        &self,
        args: &[&str],
        log: &str,
    ) -> Result<(std::process::Child, std::sync::mpsc::Receiver<serde_json::Value>)> {
        use std::io::BufRead;
        let mut args = args.to_vec();
        args.push("--json");
        let mut child = self
            .command(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::from(std::fs::File::create(
                self.config.with_file_name(log),
            )?))
            .spawn()?;
        let stdout = child.stdout.take().context("stdout")?;
        let (sender, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && sender.send(event).is_err()
                {
                    break;
                }
            }
        });
        Ok((child, events))
    }
}

/// Every file below `dir`, recursively.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
