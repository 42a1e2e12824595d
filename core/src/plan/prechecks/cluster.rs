//! The node pool and the workloads: healthy before they are scaled, and the volumes fast enough.
use super::{Inputs, PreCheck, fail, pass, warn};
use crate::snapshot::NodePool;

pub(super) fn node_pool_status(i: &Inputs) -> PreCheck {
    let id = "node-pool";
    let (status, ok) = match &i.snapshot.node_pool {
        NodePool::Eks(group) => (group.status.as_str(), group.status == "ACTIVE"),
        NodePool::Gke(pool) => (pool.status.as_str(), pool.status == "RUNNING"),
        // Failed is not busy: the next PUT reconciles it, so kfscale's own PUT does.
        NodePool::Aks(pool) => (
            pool.provisioning_state.as_str(),
            matches!(pool.provisioning_state.as_str(), "Succeeded" | "Failed" | "Canceled"),
        ),
        NodePool::External(_) => return pass(id, format!("{}: kfscale waits for them", i.node_pool.pool)),
    };
    if !ok {
        return fail(
            id,
            format!("{} is {status}", i.node_pool.pool),
            "wait until the pool is idle (ACTIVE / RUNNING / Succeeded)",
        );
    }
    let after = &i.node_pool.after;
    let total = after.total();
    let bounds = match after.total_bounds() {
        Some(b) if b.min <= total && total <= b.max => format!(", bounds {} <= {total} <= {}", b.min, b.max),
        Some(b) => {
            return fail(
                id,
                format!("the target {total} is outside the pool bounds {}..{}", b.min, b.max),
                "adjust the bounds",
            );
        }
        None => String::new(),
    };
    pass(id, format!("{} is {status}{bounds}", i.node_pool.pool))
}

pub(super) fn pool_nodes_ready(i: &Inputs) -> PreCheck {
    let id = "pool-nodes-ready";
    let pool = i.snapshot.node_pool.pool_name();
    let nodes: Vec<_> = i
        .snapshot
        .kubernetes
        .nodes
        .iter()
        .filter(|node| node.pool.as_deref() == Some(pool.as_str()))
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

pub(super) fn workloads_present(i: &Inputs) -> PreCheck {
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

pub(super) fn workloads_ready(i: &Inputs) -> PreCheck {
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

pub(super) fn storage_class(i: &Inputs) -> PreCheck {
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

/// Growing a broker volume needs a storage class that allows expansion.
pub(super) fn broker_volume_expansion(i: &Inputs) -> PreCheck {
    let id = "broker-volume-expansion";
    if i.kafka.volumes.is_empty() {
        return pass(id, "no broker volume needs to grow");
    }
    let fixed: Vec<String> = i
        .kafka
        .volumes
        .iter()
        .filter(|volume| {
            let class = i
                .snapshot
                .kubernetes
                .storage_classes
                .iter()
                .find(|c| Some(&c.name) == volume.storage_class.as_ref());
            !class.is_some_and(|class| class.allow_volume_expansion)
        })
        .map(|volume| {
            format!(
                "{} ({})",
                volume.claim,
                volume.storage_class.as_deref().unwrap_or("no storage class")
            )
        })
        .collect();
    if fixed.is_empty() {
        pass(
            id,
            format!(
                "{} broker volume(s) grow; their storage class allows expansion",
                i.kafka.volumes.len()
            ),
        )
    } else {
        fail(
            id,
            format!(
                "broker volumes must grow but their storage class does not allow expansion: {}",
                fixed.join(", ")
            ),
            "set allowVolumeExpansion: true on the storage class (EBS CSI and GCE PD support it), then plan again",
        )
    }
}
