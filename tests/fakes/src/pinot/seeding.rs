//! Builds the controller's world from a seed: instances, and tables whose segments sit balanced on
//! their servers (the assignment Pinot itself would have produced), fully loaded.
use std::collections::BTreeMap;

use super::assignment;
use super::cluster::{Assignment, CONSUMING, Cluster, Instance, Kind, ONLINE, Table};
use super::names::{TableType, llc_segment, pod_host, raw_name, server_instance};
use super::seed::{InstanceSeed, Seed};
use super::servers::{DEFAULT_DISK_TOTAL, default_server_tags};

pub fn build(seed: &Seed) -> Result<Cluster, String> {
    let mut cluster = Cluster::new(seed.timing.clone());
    let groups: [(&[InstanceSeed], Kind); 4] = [
        (&seed.controllers, Kind::Controller),
        (&seed.brokers, Kind::Broker),
        (&seed.servers, Kind::Server),
        (&seed.minions, Kind::Minion),
    ];
    for (instances, kind) in groups {
        for spec in instances {
            let instance = instance(spec, kind, &seed.namespace)?;
            cluster.instances.insert(instance.name.clone(), instance);
        }
    }
    for disk in &seed.disks {
        let instance = cluster
            .instances
            .get_mut(&disk.instance)
            .ok_or_else(|| format!("disk of unknown instance {}", disk.instance))?;
        instance.disk_used_bytes = disk.used_bytes;
        instance.disk_total_bytes = disk.total_bytes;
    }
    for spec in &seed.tables {
        let name = spec.table_type.with_type(&spec.name);
        let mut table = Table {
            name: name.clone(),
            table_type: spec.table_type,
            replication: spec.replication,
            server_tenant: spec.server_tenant.clone(),
            broker_tenant: spec.broker_tenant.clone(),
            segment_size_bytes: spec.segment_size_bytes,
            ideal: Assignment::new(),
            external: Assignment::new(),
            pending: BTreeMap::new(),
            instance_partitions: Vec::new(),
            stalled_since: None,
        };
        let instances = assignment::default_instances(&cluster, &table).map_err(|e| format!("table {name}: {e}"))?;
        let raw = raw_name(&name);
        let mut segments = Assignment::new();
        match spec.table_type {
            TableType::Realtime => {
                for partition in 0..spec.partitions {
                    for sequence in 0..=spec.completed_segments_per_partition {
                        let consuming = sequence == spec.completed_segments_per_partition;
                        let created = format!("20250101T{:02}{:02}Z", sequence / 60 % 24, sequence % 60);
                        let state = if consuming { CONSUMING } else { ONLINE };
                        let segment = llc_segment(raw, partition, sequence, &created);
                        segments.insert(segment, [(instances[0].clone(), state.to_string())].into());
                    }
                }
                table.ideal = assignment::realtime(&segments, &instances, spec.replication, true);
            }
            TableType::Offline => {
                for index in 0..spec.segments {
                    segments.insert(format!("{raw}_{index}"), BTreeMap::new());
                }
                table.ideal = assignment::offline(&segments, &instances, spec.replication, false);
            }
        }
        table.external = table.ideal.clone();
        table.instance_partitions = instances;
        cluster.tables.insert(name, table);
    }
    // Servers that are not live show nothing in the external views.
    let dead: Vec<String> = cluster
        .instances
        .values()
        .filter(|i| !i.live)
        .map(|i| i.name.clone())
        .collect();
    for table in cluster.tables.values_mut() {
        for replicas in table.external.values_mut() {
            replicas.retain(|instance, _| !dead.contains(instance));
        }
        table.external.retain(|_, replicas| !replicas.is_empty());
    }
    Ok(cluster)
}

fn instance(spec: &InstanceSeed, kind: Kind, namespace: &str) -> Result<Instance, String> {
    let (name, host, port) = match (&spec.name, &spec.pod) {
        (Some(name), _) => {
            let host = name
                .strip_prefix(kind.prefix())
                .and_then(|rest| rest.rsplit_once('_'))
                .map(|(h, _)| h.to_string());
            let port = name.rsplit_once('_').and_then(|(_, p)| p.parse().ok()).unwrap_or(8098);
            (name.clone(), host.unwrap_or_else(|| name.clone()), port)
        }
        (None, Some(pod)) => {
            let port = match kind {
                Kind::Controller => 9000,
                Kind::Broker => 8099,
                Kind::Server => 8098,
                Kind::Minion => 9514,
            };
            let name = match kind {
                Kind::Server => server_instance(pod, namespace),
                _ => format!("{}{}_{port}", kind.prefix(), pod_host(pod, namespace)),
            };
            (name, pod_host(pod, namespace), port)
        }
        (None, None) => return Err("an instance needs `pod` or `name`".into()),
    };
    let tags = spec.tags.clone().unwrap_or_else(|| match kind {
        Kind::Server => default_server_tags(spec.pod.as_deref().unwrap_or(&name)),
        Kind::Broker => vec!["DefaultTenant_BROKER".into()],
        Kind::Minion => vec!["minion_untagged".into()],
        Kind::Controller => vec![],
    });
    Ok(Instance {
        name,
        kind,
        host,
        port,
        tags,
        enabled: true,
        live: spec.live,
        disk_used_bytes: DEFAULT_DISK_TOTAL / 5,
        disk_total_bytes: DEFAULT_DISK_TOTAL,
    })
}
