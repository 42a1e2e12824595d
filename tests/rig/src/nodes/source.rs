//! Where node pools come from. A cloud's node-pool API (EKS through moto, GKE through its fake) is the
//! source of truth for how many nodes each pool has and where; the provisioner only mirrors it into
//! Kubernetes.
use std::collections::BTreeMap;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Taint;

use crate::names::fnv1a;

/// One node pool as its cloud API describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    /// The cloud project or account the pool belongs to (GKE project; empty for EKS, whose provider ids
    /// do not name the account).
    pub project: String,
    /// The cloud cluster the pool belongs to.
    pub cluster: String,
    /// The pool's name in the cloud API.
    pub name: String,
    /// The machine type, which sets the nodes' capacity.
    pub instance_type: String,
    /// The region, where the zone names do not say it (AKS's non-zonal pools are in zone `0`).
    pub region: Option<String>,
    /// Labels the cloud puts on every node of the pool besides its pool label.
    pub labels: BTreeMap<String, String>,
    /// Taints the cloud puts on every node of the pool.
    pub taints: Vec<Taint>,
    /// How many machines the pool has now, and in which zones.
    pub placement: Placement,
}

/// How a cloud sizes a pool, which decides which machine goes when it shrinks.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// One size for the whole pool, machines spread round robin over the zones (an EKS node group: one
    /// Auto Scaling group balancing its subnets' zones). Shrinking removes the newest machines.
    Spread { desired: u32, zones: Vec<String> },
    /// A size per zone (a GKE node pool: one managed instance group per zone, each with its own
    /// `targetSize`). Zones grow and shrink independently.
    PerZone(BTreeMap<String, u32>),
}

/// One machine of a pool: a name suffix unique in the pool and stable while the machine lives, and
/// its zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub suffix: String,
    pub zone: String,
}

impl PoolSpec {
    /// The machines the pool has now, in a stable order.
    pub fn machines(&self) -> Vec<Machine> {
        match &self.placement {
            Placement::Spread { desired, zones } => (0..*desired)
                .map(|i| Machine {
                    suffix: i.to_string(),
                    zone: zones.get(i as usize % zones.len().max(1)).cloned().unwrap_or_default(),
                })
                .collect(),
            // GKE names a zone's instances after its instance group (`gke-<cluster>-<pool>-<8 hex>-<id>`);
            // a hash of the zone plays the group's part, so one zone's machines never rename another's.
            Placement::PerZone(sizes) => sizes
                .iter()
                .flat_map(|(zone, count)| {
                    let group = format!("{:08x}", fnv1a(zone.as_bytes()) as u32);
                    (0..*count).map(move |i| Machine {
                        suffix: format!("{group}-{i}"),
                        zone: zone.clone(),
                    })
                })
                .collect(),
        }
    }

    /// How many machines the pool has now.
    pub fn total(&self) -> u32 {
        match &self.placement {
            Placement::Spread { desired, .. } => *desired,
            Placement::PerZone(sizes) => sizes.values().sum(),
        }
    }
}

/// A cloud node-pool API the provisioner mirrors.
pub trait PoolSource: Send + Sync {
    /// Short name of the source, recorded on its nodes (`eks`, `gke`).
    fn kind(&self) -> &'static str;

    /// The label key every node of a pool carries with the pool's name as value.
    fn pool_label(&self) -> &'static str;

    /// Extra labels every node of this cloud carries (capacity type and the like).
    fn cloud_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// The provider id of a node, in the form the cloud's node controller would write.
    fn provider_id(&self, pool: &PoolSpec, zone: &str, node_name: &str) -> String;

    /// Every pool the cloud API knows now. An error leaves the nodes of this source untouched.
    fn pools(&self) -> BoxFuture<'_, anyhow::Result<Vec<PoolSpec>>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(placement: Placement) -> PoolSpec {
        PoolSpec {
            project: String::new(),
            cluster: "c".into(),
            name: "p".into(),
            instance_type: "m5.2xlarge".into(),
            region: None,
            labels: BTreeMap::new(),
            taints: Vec::new(),
            placement,
        }
    }

    #[test]
    fn spread_pools_go_round_robin_over_their_zones() {
        let zones = vec!["z-a".to_owned(), "z-b".to_owned(), "z-c".to_owned()];
        let machines = pool(Placement::Spread { desired: 4, zones }).machines();
        let zones: Vec<&str> = machines.iter().map(|m| m.zone.as_str()).collect();
        assert_eq!(zones, ["z-a", "z-b", "z-c", "z-a"]);
        assert_eq!(machines[3].suffix, "3");
    }

    #[test]
    fn per_zone_pools_keep_each_zones_machines_when_another_zone_changes() {
        let sizes = |a, b| BTreeMap::from([("z-a".to_owned(), a), ("z-b".to_owned(), b)]);
        let before = pool(Placement::PerZone(sizes(2, 2))).machines();
        let after = pool(Placement::PerZone(sizes(2, 3))).machines();
        assert_eq!(before.len(), 4);
        assert_eq!(after.len(), 5);
        assert!(
            before.iter().all(|m| after.contains(m)),
            "{before:?} not within {after:?}"
        );
        assert_eq!(after.iter().filter(|m| m.zone == "z-b").count(), 3);
        assert_eq!(pool(Placement::PerZone(sizes(2, 3))).total(), 5);
    }
}
