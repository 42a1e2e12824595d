//! Pinot servers joining and leaving as their pods come and go. A new `pinot-server-*` pod that turns
//! Ready registers `Server_<pod>.<set>-headless.<ns>.svc.cluster.local_8098` with its tenant tag (what
//! Kloudfuse's setup job leaves on it); it holds nothing until a rebalance gives it segments. A pod that
//! goes away leaves its instance registered but not live, as Pinot keeps instance configs until an
//! operator drops them.
use super::cluster::{Cluster, Instance, Kind};
use super::names::{pod_host, server_instance};

/// Tags a server pod gets when it first joins: the offline set serves `<tenant>_OFFLINE`, the others
/// `<tenant>_REALTIME`.
pub fn default_server_tags(pod: &str) -> Vec<String> {
    if pod.contains("-offline") {
        vec!["DefaultTenant_OFFLINE".into()]
    } else {
        vec!["DefaultTenant_REALTIME".into()]
    }
}

/// Whether a pod is a Pinot server of the Kloudfuse chart (`pinot-server-realtime-N`, `pinot-server-offline-N`,
/// or a plain `pinot-server-N`).
pub fn is_server_pod(pod: &str) -> bool {
    pod.strip_prefix("pinot-server-")
        .and_then(|rest| rest.rsplit('-').next())
        .is_some_and(|ordinal| !ordinal.is_empty() && ordinal.chars().all(|c| c.is_ascii_digit()))
}

/// A server pod is Ready (registers it if new, marks it live) or not (marks it not live).
pub fn set_pod(
    cluster: &mut Cluster,
    namespace: &str,
    pod: &str,
    ready: bool,
    tags: Option<Vec<String>>,
    now: u64,
) -> String {
    let name = server_instance(pod, namespace);
    if !cluster.instances.contains_key(&name) {
        if !ready {
            return name;
        }
        cluster.instances.insert(
            name.clone(),
            Instance {
                name: name.clone(),
                kind: Kind::Server,
                host: pod_host(pod, namespace),
                port: 8098,
                tags: tags.clone().unwrap_or_else(|| default_server_tags(pod)),
                enabled: true,
                live: false,
                disk_used_bytes: DEFAULT_DISK_TOTAL / 5,
                disk_total_bytes: DEFAULT_DISK_TOTAL,
            },
        );
    } else if let Some(tags) = tags
        && let Some(instance) = cluster.instances.get_mut(&name)
    {
        instance.tags = tags;
    }
    cluster.set_live(&name, ready, now);
    name
}

/// Disk of a server the seed says nothing about: 1 TiB.
pub const DEFAULT_DISK_TOTAL: u64 = 1 << 40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_pods_are_recognised() {
        assert!(is_server_pod("pinot-server-realtime-3"));
        assert!(is_server_pod("pinot-server-offline-0"));
        assert!(is_server_pod("pinot-server-0"));
        assert!(!is_server_pod("pinot-server-realtime"));
        assert!(!is_server_pod("pinot-broker-0"));
        assert_eq!(
            default_server_tags("pinot-server-offline-1"),
            vec!["DefaultTenant_OFFLINE"]
        );
    }
}
