//! Pre-checks computed from the snapshot: each a pass/warn/fail line with the fix. A failing check
//! stops the plan from being applied; a warning is shown and recorded.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::node_pool::NodePoolPlan;
use super::pinot::PinotPlan;
use super::values_scaling::ValuesPlan;
use crate::profile::{KafkaLayout, Profile};
use crate::snapshot::{NodePool, Snapshot};
use crate::values::quantity::parse_bytes;
use crate::values::redact::redact_json;
use crate::values::{Document, ValuePath, json::to_json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreCheck {
    /// Stable id, e.g. `helm-status`.
    pub id: String,
    pub status: CheckStatus,
    pub message: String,
    /// What to do; empty when the check passed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub profile: &'a Profile,
    pub from_nodes: u32,
    pub node_pool: &'a NodePoolPlan,
    pub values: &'a ValuesPlan,
    pub pinot: &'a PinotPlan,
}

pub fn run(inputs: &Inputs) -> Vec<PreCheck> {
    let checks: [fn(&Inputs) -> PreCheck; 17] = [
        chart_version,
        helm_status,
        node_pool_status,
        pool_nodes_ready,
        num_nodes,
        workloads_present,
        workloads_ready,
        values_drift,
        values_committed,
        kafka_reassignments,
        kafka_throttles,
        partitions_never_decrease,
        disk_never_shrinks,
        kraft_cluster_id,
        pinot_ready,
        storage_class,
        leftover_hook_jobs,
    ];
    checks.iter().map(|check| check(inputs)).collect()
}

fn pass(id: &str, message: impl Into<String>) -> PreCheck {
    PreCheck {
        id: id.into(),
        status: CheckStatus::Pass,
        message: message.into(),
        fix: String::new(),
    }
}

fn warn(id: &str, message: impl Into<String>, fix: impl Into<String>) -> PreCheck {
    PreCheck {
        id: id.into(),
        status: CheckStatus::Warn,
        message: message.into(),
        fix: fix.into(),
    }
}

fn fail(id: &str, message: impl Into<String>, fix: impl Into<String>) -> PreCheck {
    PreCheck {
        id: id.into(),
        status: CheckStatus::Fail,
        message: message.into(),
        fix: fix.into(),
    }
}

fn chart_version(i: &Inputs) -> PreCheck {
    let id = "chart-version";
    let installed = &i.snapshot.helm.chart_version;
    if semver::Version::parse(installed.trim_start_matches('v')).is_err() {
        return fail(
            id,
            format!("the installed chart version `{installed}` is not a version"),
            "check the Helm release record",
        );
    }
    match &i.snapshot.kubernetes.kfuse_version {
        Some(configmap) if configmap.trim_start_matches('v') != installed.trim_start_matches('v') => fail(
            id,
            format!("the Helm release says chart {installed} but ConfigMap kfuse-version says {configmap}"),
            "find out which is installed (helm history) before scaling; the upgrade pins the release's version",
        ),
        _ => pass(
            id,
            format!("chart {installed} installed; the upgrade pins exactly this version"),
        ),
    }
}

fn helm_status(i: &Inputs) -> PreCheck {
    let id = "helm-status";
    let helm = &i.snapshot.helm;
    match helm.status.as_str() {
        "deployed" => pass(
            id,
            format!("release {} revision {} is deployed", helm.name, helm.revision),
        ),
        status if helm.is_pending() => fail(
            id,
            format!(
                "release {} is `{status}`: Helm refuses upgrades while another operation is in progress",
                helm.name
            ),
            format!(
                "if no helm command is still running, roll back to the last deployed revision: `helm rollback {} <revision> -n {}` (see `helm history {} -n {}`)",
                helm.name, helm.namespace, helm.name, helm.namespace
            ),
        ),
        status => warn(
            id,
            format!("release {} revision {} is `{status}`", helm.name, helm.revision),
            "check `helm history` and the last upgrade's error before scaling",
        ),
    }
}

fn node_pool_status(i: &Inputs) -> PreCheck {
    let id = "node-pool";
    let (status, ok) = match &i.snapshot.node_pool {
        NodePool::Eks(group) => (group.status.as_str(), group.status == "ACTIVE"),
        NodePool::Gke(pool) => (pool.status.as_str(), pool.status == "RUNNING"),
    };
    if !ok {
        return fail(
            id,
            format!("{} is {status}", i.node_pool.pool),
            "wait until the pool is idle (ACTIVE / RUNNING)",
        );
    }
    let after = &i.node_pool.after;
    let bounds = match (after.min, after.max) {
        (Some(min), Some(max)) if min <= after.total && after.total <= max => {
            format!(", bounds {min} <= {} <= {max}", after.total)
        }
        (Some(min), Some(max)) => {
            return fail(
                id,
                format!("the target {} is outside the pool bounds {min}..{max}", after.total),
                "adjust the bounds",
            );
        }
        _ => String::new(),
    };
    pass(id, format!("{} is {status}{bounds}", i.node_pool.pool))
}

fn pool_nodes_ready(i: &Inputs) -> PreCheck {
    let id = "pool-nodes-ready";
    let (_, pool) = i.snapshot.node_pool.node_label();
    let nodes: Vec<_> = i
        .snapshot
        .kubernetes
        .nodes
        .iter()
        .filter(|node| node.pool.as_deref() == Some(pool))
        .collect();
    let ready = nodes.iter().filter(|node| node.ready && !node.unschedulable).count() as u32;
    if ready == i.from_nodes {
        pass(
            id,
            format!("{ready} of {} nodes of pool {pool} are Ready", i.from_nodes),
        )
    } else {
        fail(
            id,
            format!(
                "{ready} nodes of pool {pool} are Ready and schedulable, the pool's size is {}",
                i.from_nodes
            ),
            "bring the cluster to a healthy state (all pool nodes Ready) before scaling it",
        )
    }
}

fn num_nodes(i: &Inputs) -> PreCheck {
    let id = "num-nodes";
    let Some(path) = &i.profile.num_nodes_path else {
        return pass(id, "the profile names no node-count key");
    };
    let document = Document::parse(&i.values.path, &i.snapshot.values.text);
    let value = document.ok().and_then(|doc| {
        super::values_reader::read_count(&doc, path)
            .ok()
            .flatten()
            .map(|(n, _)| n)
    });
    match value {
        Some(n) if n == u64::from(i.from_nodes) => pass(id, format!("`{path}` = {n} matches the pool")),
        Some(n) => warn(
            id,
            format!(
                "`{path}` is {n} but the pool has {} nodes: replicas are scaled from the pool's size",
                i.from_nodes
            ),
            "check which is right before applying",
        ),
        None => warn(
            id,
            format!("`{path}` is not in the values file"),
            "add it if the chart expects it",
        ),
    }
}

fn workloads_present(i: &Inputs) -> PreCheck {
    let id = "workloads-present";
    let absent_in_cluster: Vec<&str> = i
        .profile
        .workloads
        .keys()
        .filter(|name| i.snapshot.kubernetes.workload(name).is_none())
        .map(String::as_str)
        .collect();
    let absent_in_file: Vec<String> = i
        .values
        .missing
        .iter()
        .map(|m| format!("{} (`{}`)", m.subject, m.path))
        .collect();
    if absent_in_cluster.is_empty() && absent_in_file.is_empty() {
        return pass(
            id,
            format!(
                "all {} workloads of profile {} are in the cluster and the values file",
                i.profile.workloads.len(),
                i.profile.name
            ),
        );
    }
    let mut parts = Vec::new();
    if !absent_in_file.is_empty() {
        parts.push(format!("not in the values file: {}", absent_in_file.join(", ")));
    }
    if !absent_in_cluster.is_empty() {
        parts.push(format!("not in the cluster: {}", absent_in_cluster.join(", ")));
    }
    warn(
        id,
        parts.join("; "),
        "if a path is wrong for this install, override it in kfscale.yaml (profile.workloads.<name>.path)",
    )
}

fn workloads_ready(i: &Inputs) -> PreCheck {
    let id = "workloads-ready";
    let not_ready: Vec<String> = i
        .snapshot
        .kubernetes
        .workloads
        .iter()
        .filter(|w| w.ready_replicas < w.replicas)
        .map(|w| format!("{} {}/{}", w.name, w.ready_replicas, w.replicas))
        .collect();
    if not_ready.is_empty() {
        pass(
            id,
            format!("all {} workloads are Ready", i.snapshot.kubernetes.workloads.len()),
        )
    } else {
        warn(
            id,
            format!("not Ready: {}", not_ready.join(", ")),
            "find out why before scaling; a scale-out will not fix a crash loop",
        )
    }
}

fn values_drift(i: &Inputs) -> PreCheck {
    let id = "values-drift";
    let user_values = &i.snapshot.helm.user_values;
    if user_values.is_null() {
        return warn(
            id,
            "the release's user values were not observed",
            "run the plan against the live cluster",
        );
    }
    let Ok(document) = Document::parse(&i.values.path, &i.snapshot.values.text) else {
        return fail(id, "the values file does not parse", "fix the values file");
    };
    // Both sides redacted the same way, so a secret compares equal to a secret.
    let mut file_values = to_json(&document);
    redact_json(&mut file_values);
    let mut release_values = user_values.clone();
    redact_json(&mut release_values);
    let mut differences = Vec::new();
    diff_json(&ValuePath::default(), &file_values, &release_values, &mut differences);
    if differences.is_empty() {
        return pass(
            id,
            format!(
                "{} matches the values of release {} (revision {})",
                i.values.path, i.snapshot.helm.name, i.snapshot.helm.revision
            ),
        );
    }
    let shown: Vec<String> = differences.iter().take(8).cloned().collect();
    let more = if differences.len() > 8 {
        format!(" and {} more", differences.len() - 8)
    } else {
        String::new()
    };
    warn(
        id,
        format!(
            "{} differs from what release {} runs with at: {}{more}",
            i.values.path,
            i.snapshot.helm.name,
            shown.join(", ")
        ),
        "someone changed the cluster by hand or the file was edited after the last upgrade; bring the file up to date first (the upgrade applies the file as it is)",
    )
}

fn diff_json(path: &ValuePath, file: &serde_json::Value, release: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (file, release) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let child = path.child_key(key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_json(&child, x, y, out),
                    _ => out.push(child.to_string()),
                }
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        _ => out.push(path.to_string()),
    }
}

fn values_committed(i: &Inputs) -> PreCheck {
    let id = "values-committed";
    match &i.snapshot.values.git {
        Some(git) if git.uncommitted_changes => warn(
            id,
            format!("{} has uncommitted edits on branch {}", i.values.path, git.branch),
            "commit or discard them first: kfscale commits the file it writes",
        ),
        Some(git) => pass(
            id,
            format!(
                "{} is committed at {} on {}",
                i.values.path,
                short(&git.head_commit),
                git.branch
            ),
        ),
        None => warn(
            id,
            format!("{} is not in a git repository", i.values.path),
            "keep the values file in the customer repo",
        ),
    }
}

fn kafka_reassignments(i: &Inputs) -> PreCheck {
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

fn kafka_throttles(i: &Inputs) -> PreCheck {
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
            "a forgotten throttle slows replication forever; apply replaces and then removes them",
        )
    } else {
        pass(id, "no replication throttle left behind")
    }
}

fn partitions_never_decrease(i: &Inputs) -> PreCheck {
    let id = "partitions-never-decrease";
    let behind: Vec<String> = i
        .values
        .topics
        .iter()
        .filter_map(|t| {
            t.live_partitions
                .filter(|live| *live > t.partitions_before)
                .map(|live| format!("{} (file {}, Kafka {live})", t.topic, t.partitions_before))
        })
        .collect();
    if behind.is_empty() {
        pass(
            id,
            format!("{} topics: every partition count grows or stays", i.values.topics.len()),
        )
    } else {
        warn(
            id,
            format!(
                "the values file asks for fewer partitions than Kafka has: {}",
                behind.join(", ")
            ),
            "the plan raises them to at least Kafka's count (a decrease makes the topic job fail); review the file",
        )
    }
}

fn disk_never_shrinks(i: &Inputs) -> PreCheck {
    let id = "disk-never-shrinks";
    let path = &i.profile.kafka.disk_size_path;
    let document = Document::parse(&i.values.path, &i.snapshot.values.text).ok();
    let file_size = document
        .as_ref()
        .and_then(|doc| super::values_reader::read_scalar(doc, path).ok().flatten())
        .and_then(|scalar| {
            parse_bytes(&scalar.value)
                .ok()
                .map(|bytes| (bytes, scalar.value.clone()))
        });
    let prefix = format!("-{}-", i.profile.kafka.broker_workload);
    let larger: Vec<String> = i
        .snapshot
        .kubernetes
        .pvcs
        .iter()
        .filter(|pvc| pvc.name.contains(&prefix))
        .filter_map(|pvc| {
            let size = pvc.capacity.clone().unwrap_or_else(|| pvc.requested.clone());
            let bytes = parse_bytes(&size).ok()?;
            (file_size.as_ref().is_some_and(|(file, _)| bytes > *file)).then(|| format!("{} is {size}", pvc.name))
        })
        .collect();
    match file_size {
        None => warn(
            id,
            format!("`{path}` is not in the values file"),
            "add the broker volume size so kfscale can grow it",
        ),
        Some((_, text)) if larger.is_empty() => pass(id, format!("broker volumes fit `{path}` = {text}")),
        Some((_, text)) => warn(
            id,
            format!("`{path}` = {text} is smaller than live volumes: {}", larger.join(", ")),
            "a volume was resized by hand; the plan raises the file to the live size (volumes never shrink)",
        ),
    }
}

fn kraft_cluster_id(i: &Inputs) -> PreCheck {
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
    let pinned = Document::parse(&i.values.path, &i.snapshot.values.text)
        .ok()
        .and_then(|doc| {
            super::values_reader::read_scalar(&doc, path)
                .ok()
                .flatten()
                .map(|s| s.value.clone())
        });
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

fn pinot_ready(i: &Inputs) -> PreCheck {
    let id = "pinot";
    if let Some(running) = i.snapshot.pinot.running_rebalances.first() {
        return fail(
            id,
            format!(
                "a rebalance of {} is running (job {}, {})",
                running.table, running.job_id, running.status
            ),
            "wait for it to finish before scaling",
        );
    }
    let bad: Vec<String> = i
        .snapshot
        .pinot
        .tables
        .iter()
        .filter(|t| t.segments.bad > 0)
        .map(|t| format!("{} ({} BAD)", t.name, t.segments.bad))
        .collect();
    if !bad.is_empty() {
        return warn(
            id,
            format!("segments not GOOD: {}", bad.join(", ")),
            "investigate BAD segments first: a rebalance will not repair them",
        );
    }
    if !i.pinot.tables.is_empty() && i.pinot.parameter_set.is_none() {
        return fail(
            id,
            format!(
                "no Pinot rebalance parameter set matches chart version {}",
                i.snapshot.helm.chart_version
            ),
            "add a parameter set for this version under profile.pinot.parameter_sets in kfscale.yaml",
        );
    }
    pass(
        id,
        format!(
            "{} tables, all segments GOOD, no rebalance running",
            i.snapshot.pinot.tables.len()
        ),
    )
}

fn storage_class(i: &Inputs) -> PreCheck {
    let id = "pinot-storage";
    let servers: Vec<&str> = i.profile.pinot.server_workloads.values().map(String::as_str).collect();
    let slow: Vec<String> = i
        .snapshot
        .kubernetes
        .pvcs
        .iter()
        .filter(|pvc| servers.iter().any(|server| pvc.name.contains(&format!("-{server}-"))))
        .filter_map(|pvc| {
            let class = i
                .snapshot
                .kubernetes
                .storage_classes
                .iter()
                .find(|c| Some(&c.name) == pvc.storage_class.as_ref())?;
            let kind = class.parameters.get("type").map(String::as_str).unwrap_or("");
            let iops: u64 = class.parameters.get("iops").and_then(|v| v.parse().ok()).unwrap_or(0);
            let throughput: u64 = class
                .parameters
                .get("throughput")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let weak = kind == "gp2" || (kind == "gp3" && (iops < 6000 || throughput < 500));
            weak.then(|| format!("{} ({} {kind}, {iops} IOPS, {throughput} MB/s)", pvc.name, class.name))
        })
        .collect();
    if slow.is_empty() {
        pass(id, "Pinot server volumes: no gp2 or under-provisioned gp3 class found")
    } else {
        warn(
            id,
            format!(
                "Pinot server volumes below gp3 6000 IOPS / 500 MB/s: {}",
                slow.join(", ")
            ),
            "move the Pinot servers to gp3 with 6000 IOPS and 500 MB/s first; gp2 saturates and segment uploads stall",
        )
    }
}

fn leftover_hook_jobs(i: &Inputs) -> PreCheck {
    let id = "hook-jobs";
    let leftovers: Vec<String> = i
        .snapshot
        .kubernetes
        .jobs
        .iter()
        .filter(|job| {
            i.profile
                .hook_jobs
                .iter()
                .any(|hook| job.name.starts_with(hook.as_str()))
        })
        .map(|job| {
            let state = if job.active > 0 {
                "running"
            } else if job.failed > 0 {
                "failed"
            } else {
                "finished"
            };
            format!("{} ({state})", job.name)
        })
        .collect();
    if leftovers.is_empty() {
        pass(id, "no leftover Helm hook job")
    } else if leftovers.iter().any(|job| job.ends_with("(running)")) {
        fail(
            id,
            format!("hook job(s) still running: {}", leftovers.join(", ")),
            "wait for them to finish",
        )
    } else {
        warn(
            id,
            format!("leftover hook job(s): {}", leftovers.join(", ")),
            "apply deletes them before the upgrade (a leftover job blocks it)",
        )
    }
}

fn path_text(path: &Option<ValuePath>) -> String {
    path.as_ref()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "the cluster id key".into())
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
