//! The values file: in step with the cluster, committed, and never asking for less than is there.
use super::{Inputs, PreCheck, pass, warn};
use crate::plan::values_reader::read_count;
use crate::values::ValuePath;
use crate::values::json::to_json;
use crate::values::quantity::parse_bytes;
use crate::values::secrets::redact_json;

pub(super) fn num_nodes(i: &Inputs) -> PreCheck {
    let id = "num-nodes";
    let Some(path) = &i.profile.num_nodes_path else {
        return pass(id, "the profile names no node-count key");
    };
    let value = read_count(i.document, path).ok().flatten().map(|(n, _)| n);
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

pub(super) fn values_drift(i: &Inputs) -> PreCheck {
    let id = "values-drift";
    let user_values = &i.snapshot.helm.user_values;
    if user_values.is_null() {
        return warn(
            id,
            "the release's user values were not observed",
            "run the plan against the live cluster",
        );
    }
    // Both sides redacted the same way, so a secret compares equal to a secret.
    let mut file_values = to_json(i.document);
    redact_json(&mut file_values);
    let mut release_values = user_values.clone();
    redact_json(&mut release_values);
    let mut differences = Vec::new();
    crate::values::json::diff_json(&ValuePath::default(), &file_values, &release_values, &mut differences);
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
pub(super) fn values_committed(i: &Inputs) -> PreCheck {
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

pub(super) fn partitions_never_decrease(i: &Inputs) -> PreCheck {
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

pub(super) fn disk_never_shrinks(i: &Inputs) -> PreCheck {
    let id = "disk-never-shrinks";
    let path = &i.profile.kafka.disk_size_path;
    // The file's size, else the chart's default (which the plan adds to the file when it grows).
    let effective = crate::plan::effective_values::EffectiveValues::new(&i.snapshot.helm.chart_values, i.document);
    let file_size = effective
        .text(i.document, path)
        .ok()
        .flatten()
        .and_then(|(size, _)| parse_bytes(&size).ok().map(|bytes| (bytes, size)));
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
            format!("`{path}` is in neither the values file nor the chart's recorded defaults"),
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

pub(super) fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// A replica count changed by hand in the cluster (`kubectl scale`) is drift the file does not know.
pub(super) fn workload_drift(i: &Inputs) -> PreCheck {
    let id = "workload-drift";
    let drifted: Vec<String> = i
        .values
        .workloads
        .iter()
        .filter_map(|(name, count)| {
            let live = i.snapshot.kubernetes.workload(name)?;
            (u64::from(live.replicas) != count.before)
                .then(|| format!("{name} (file {}, cluster {})", count.before, live.replicas))
        })
        .collect();
    if drifted.is_empty() {
        pass(id, "every workload runs the replica count the values file says")
    } else {
        warn(
            id,
            format!("replica counts changed in the cluster by hand: {}", drifted.join(", ")),
            "the upgrade resets them to the file's counts (scaled): decide which is right and update the file first",
        )
    }
}
