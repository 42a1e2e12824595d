//! The Node objects a pool's machines register, as a kubelet would write them.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::source::{Machine, PoolSource, PoolSpec};
use crate::names::{dns_label, fnv1a};

/// Labels the rig puts on its nodes to find them again; the pool label (for example
/// `eks.amazonaws.com/nodegroup`) carries the pool's real name.
pub const SOURCE_LABEL: &str = "rig.kfscale.io/source";
pub const CLUSTER_LABEL: &str = "rig.kfscale.io/cluster";
pub const POOL_LABEL: &str = "rig.kfscale.io/pool";

/// The node name of a pool's machine: `<source>-<cluster>-<pool>-<machine suffix>`.
pub fn node_name(source: &dyn PoolSource, pool: &PoolSpec, machine: &Machine) -> String {
    dns_label(&format!(
        "{}-{}-{}-{}",
        source.kind(),
        pool.cluster,
        pool.name,
        machine.suffix
    ))
}

/// The labels that say a node belongs to `pool` of `source`.
pub fn ownership(source: &dyn PoolSource, pool: &PoolSpec) -> [(String, String); 3] {
    [
        (SOURCE_LABEL.to_owned(), source.kind().to_owned()),
        (CLUSTER_LABEL.to_owned(), dns_label(&pool.cluster)),
        (POOL_LABEL.to_owned(), dns_label(&pool.name)),
    ]
}

/// A freshly registered node: NotReady (its kubelet is still starting), with capacity and addresses.
pub fn registering_node(source: &dyn PoolSource, pool: &PoolSpec, machine: &Machine) -> Value {
    let name = node_name(source, pool, machine);
    let zone = &machine.zone;
    let region = pool.region.as_deref().unwrap_or_else(|| region_of(zone));
    let mut labels: BTreeMap<String, String> = pool.labels.clone();
    labels.extend(source.cloud_labels());
    labels.extend(ownership(source, pool));
    for (key, value) in [
        (source.pool_label(), pool.name.as_str()),
        ("kubernetes.io/hostname", name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", "amd64"),
        ("node.kubernetes.io/instance-type", &pool.instance_type),
        ("beta.kubernetes.io/instance-type", &pool.instance_type),
        ("topology.kubernetes.io/zone", zone),
        ("failure-domain.beta.kubernetes.io/zone", zone),
        ("topology.kubernetes.io/region", region),
        ("failure-domain.beta.kubernetes.io/region", region),
    ] {
        labels.insert(key.to_owned(), value.to_owned());
    }
    let (cpu, memory_gi) = capacity(&pool.instance_type);
    let capacity = json!({
        "cpu": cpu.to_string(),
        "memory": format!("{memory_gi}Gi"),
        "pods": "110",
        "ephemeral-storage": "100Gi",
    });
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name, "labels": labels },
        "spec": {
            "providerID": source.provider_id(pool, zone, &name),
            "taints": pool.taints,
        },
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": conditions(false),
            "addresses": [
                { "type": "InternalIP", "address": internal_ip(&name) },
                { "type": "Hostname", "address": name },
            ],
            "nodeInfo": {
                "machineID": format!("{:032x}", fnv1a(name.as_bytes())),
                "systemUUID": format!("{:032x}", fnv1a(name.as_bytes()).rotate_left(7)),
                "bootID": format!("{:032x}", fnv1a(name.as_bytes()).rotate_left(13)),
                "kernelVersion": "5.10.0-kfscale-rig",
                "osImage": "kfscale rig (no kubelet)",
                "containerRuntimeVersion": "rig://0",
                "kubeletVersion": "v1.20.2",
                "kubeProxyVersion": "v1.20.2",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    })
}

/// The status patch of a node whose kubelet has finished booting.
pub fn ready_status() -> Value {
    json!({ "status": { "conditions": conditions(true) } })
}

/// The spec patch that leaves only the pool's own taints: the not-ready taint that admission adds at
/// registration is removed by the node lifecycle controller in a real cluster, which the rig does not run.
pub fn pool_taints(pool: &PoolSpec) -> Value {
    json!({ "spec": { "taints": pool.taints } })
}

fn conditions(ready: bool) -> Value {
    let now = now();
    let (status, reason, message) = if ready {
        ("True", "KubeletReady", "kubelet is posting ready status")
    } else {
        ("False", "KubeletNotReady", "container runtime is starting")
    };
    let quiet = |kind: &str, reason: &str| {
        json!({ "type": kind, "status": "False", "reason": reason,
                "lastHeartbeatTime": now, "lastTransitionTime": now })
    };
    json!([
        quiet("MemoryPressure", "KubeletHasSufficientMemory"),
        quiet("DiskPressure", "KubeletHasNoDiskPressure"),
        quiet("PIDPressure", "KubeletHasSufficientPID"),
        { "type": "Ready", "status": status, "reason": reason, "message": message,
          "lastHeartbeatTime": now, "lastTransitionTime": now },
    ])
}

pub(crate) fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .round(k8s_openapi::jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The region of a zone: AWS appends a letter (`us-east-1a`), Google a dash and a letter
/// (`us-central1-a`), Azure a dash and a number (`eastus-2`).
pub fn region_of(zone: &str) -> &str {
    if let Some((region, number)) = zone.rsplit_once('-')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && region.ends_with(|c: char| c.is_ascii_lowercase())
    {
        return region;
    }
    zone.trim_end_matches(|c: char| c.is_ascii_lowercase())
        .trim_end_matches('-')
}

/// A made-up address for the node object; nothing ever connects to it.
fn internal_ip(name: &str) -> String {
    let h = fnv1a(name.as_bytes());
    format!("10.{}.{}.{}", 100 + (h % 100), (h >> 8) % 256, 1 + (h >> 16) % 254)
}

/// (cpus, memory GiB) of a machine type. Azure (`Standard_D8s_v5`): the number after the family
/// letters is the cpus, the family the memory per cpu (`E` 8 GiB, `F` 2, otherwise 4). AWS (`m5.2xlarge`): the size word sets the cpus (`xlarge` 4,
/// `8xlarge` 32), the family the memory per cpu (`c` 2 GiB, `r` 8, otherwise 4). Google
/// (`n2-standard-8`): the last word is the cpus, the class the memory per cpu (`highmem` 8, `highcpu` 1,
/// otherwise 4).
pub fn capacity(instance_type: &str) -> (u32, u32) {
    if let Some(size) = instance_type.strip_prefix("Standard_") {
        let family: String = size.chars().take_while(char::is_ascii_alphabetic).collect();
        let cpus: String = size[family.len()..].chars().take_while(char::is_ascii_digit).collect();
        let cpus = cpus.parse().unwrap_or(8);
        let per_cpu = match family.chars().last() {
            Some('E') => 8,
            Some('F') => 2,
            _ => 4,
        };
        return (cpus, cpus * per_cpu);
    }
    if let Some((family, size)) = instance_type.split_once('.') {
        let cpus = match size {
            "medium" => 2,
            "large" => 2,
            "xlarge" => 4,
            s => s
                .strip_suffix("xlarge")
                .and_then(|n| n.parse::<u32>().ok())
                .map_or(8, |n| n * 4),
        };
        let per_cpu = match family.chars().next() {
            Some('r') => 8,
            Some('c') => 2,
            _ => 4,
        };
        return (cpus, cpus * per_cpu);
    }
    let cpus = instance_type
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let per_cpu = if instance_type.contains("highmem") {
        8
    } else if instance_type.contains("highcpu") {
        1
    } else {
        4
    };
    (cpus, cpus * per_cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_of_aws_and_google_zones() {
        assert_eq!(region_of("us-east-1a"), "us-east-1");
        assert_eq!(region_of("us-central1-a"), "us-central1");
        assert_eq!(region_of("europe-west4-c"), "europe-west4");
        assert_eq!(region_of("eastus-2"), "eastus");
        assert_eq!(region_of("westeurope-1"), "westeurope");
    }

    #[test]
    fn capacity_follows_the_machine_type() {
        assert_eq!(capacity("m5.2xlarge"), (8, 32));
        assert_eq!(capacity("r6i.xlarge"), (4, 32));
        assert_eq!(capacity("c5.4xlarge"), (16, 32));
        assert_eq!(capacity("n2-standard-8"), (8, 32));
        assert_eq!(capacity("n2-highmem-4"), (4, 32));
        assert_eq!(capacity("c2-standard-8"), (8, 32));
        assert_eq!(capacity("n2-highcpu-16"), (16, 16));
        assert_eq!(capacity("e2-standard-4"), (4, 16));
        assert_eq!(capacity("weird"), (8, 32));
        assert_eq!(capacity("Standard_D8s_v5"), (8, 32));
        assert_eq!(capacity("Standard_E16ds_v5"), (16, 128));
        assert_eq!(capacity("Standard_F4s_v2"), (4, 8));
    }
}
