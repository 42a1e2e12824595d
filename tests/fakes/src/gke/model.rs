//! The fake's world: clusters, their node pools with a size per zone, and the operations that change them.
//! Time only moves through `advance`, which every request calls with the model clock's reading, so the
//! world is a pure function of the requests and the clock.
use std::collections::BTreeMap;

use super::errors::ApiError;
use super::seed::{AutoscalingSeed, Seed, TaintSeed, Timing};
use crate::scaffold::timefmt::Epoch;

pub struct World {
    pub epoch: Epoch,
    pub timing: Timing,
    /// Operations allowed at once per project (0 = no limit).
    pub quota: usize,
    pub clusters: Vec<Cluster>,
    /// Every operation ever started, oldest first.
    pub operations: Vec<Operation>,
    next_operation: u64,
}

pub struct Cluster {
    pub project: String,
    pub name: String,
    pub location: String,
    pub locations: Vec<String>,
    pub version: String,
    pub pools: Vec<NodePool>,
}

pub struct NodePool {
    pub name: String,
    pub machine_type: String,
    /// As created; GKE never updates it on resize (the size lives in the managed instance groups).
    pub initial_node_count: u32,
    pub locations: Vec<String>,
    /// Target size of the pool's managed instance group in each zone.
    pub sizes: BTreeMap<String, u32>,
    pub autoscaling: Option<AutoscalingSeed>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<TaintSeed>,
    pub disk_size_gb: u32,
    pub version: String,
    /// Model time of the last size change, from which the autoscaler's delay counts.
    pub resized_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    SetSize { pool: String, node_count: u32 },
    SetAutoscaling { pool: String, autoscaling: AutoscalingSeed },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpStatus {
    Pending,
    Running,
    Done,
}

impl OpStatus {
    pub fn name(self) -> &'static str {
        match self {
            OpStatus::Pending => "PENDING",
            OpStatus::Running => "RUNNING",
            OpStatus::Done => "DONE",
        }
    }
}

pub struct Operation {
    pub name: String,
    pub project: String,
    /// The cluster's location: operations live where their cluster does.
    pub location: String,
    pub cluster: String,
    pub change: Change,
    pub started_ms: u64,
    pub running_at_ms: u64,
    pub done_at_ms: u64,
    /// Set by an injected fault: the operation ends DONE with this error and changes nothing.
    pub error: Option<ApiError>,
    /// Whether the change was applied (or dropped for an error) at `done_at_ms`.
    pub finished: bool,
}

impl Operation {
    pub fn status(&self, now_ms: u64) -> OpStatus {
        if now_ms >= self.done_at_ms {
            OpStatus::Done
        } else if now_ms >= self.running_at_ms {
            OpStatus::Running
        } else {
            OpStatus::Pending
        }
    }

    pub fn operation_type(&self) -> &'static str {
        match self.change {
            Change::SetSize { .. } => "SET_NODE_POOL_SIZE",
            // GKE reports autoscaling changes as cluster updates (assumption, see README).
            Change::SetAutoscaling { .. } => "UPDATE_CLUSTER",
        }
    }

    pub fn pool(&self) -> &str {
        match &self.change {
            Change::SetSize { pool, .. } | Change::SetAutoscaling { pool, .. } => pool,
        }
    }
}

impl World {
    pub fn from_seed(seed: &Seed, epoch: Epoch) -> Result<World, String> {
        let mut clusters = Vec::new();
        for cluster in &seed.clusters {
            let locations = if cluster.locations.is_empty() {
                if !is_zone(&cluster.location) {
                    return Err(format!(
                        "regional cluster {} needs `locations` (its zones)",
                        cluster.name
                    ));
                }
                vec![cluster.location.clone()]
            } else {
                cluster.locations.clone()
            };
            let version = cluster
                .current_master_version
                .clone()
                .unwrap_or_else(|| "1.33.5-gke.1201000".to_string());
            let mut pools = Vec::new();
            for pool in &cluster.node_pools {
                let pool_locations = if pool.locations.is_empty() {
                    locations.clone()
                } else {
                    pool.locations.clone()
                };
                let sizes = match &pool.node_count_per_zone {
                    Some(sizes) => {
                        if sizes
                            .keys()
                            .ne(pool_locations.iter().collect::<std::collections::BTreeSet<_>>())
                        {
                            return Err(format!(
                                "pool {}: nodeCountPerZone must name exactly the pool's zones",
                                pool.name
                            ));
                        }
                        sizes.clone()
                    }
                    None => pool_locations
                        .iter()
                        .map(|zone| (zone.clone(), pool.initial_node_count))
                        .collect(),
                };
                pools.push(NodePool {
                    name: pool.name.clone(),
                    machine_type: pool.machine_type.clone(),
                    initial_node_count: pool.initial_node_count,
                    locations: pool_locations,
                    sizes,
                    autoscaling: pool.autoscaling.clone(),
                    labels: pool.labels.clone(),
                    taints: pool.taints.clone(),
                    disk_size_gb: pool.disk_size_gb,
                    version: pool.version.clone().unwrap_or_else(|| version.clone()),
                    resized_at_ms: 0,
                });
            }
            clusters.push(Cluster {
                project: cluster.project.clone().unwrap_or_else(|| seed.project.clone()),
                name: cluster.name.clone(),
                location: cluster.location.clone(),
                locations,
                version,
                pools,
            });
        }
        Ok(World {
            epoch,
            timing: seed.timing.clone(),
            quota: seed.concurrent_operations_quota,
            clusters,
            operations: Vec::new(),
            next_operation: 0,
        })
    }

    /// Applies, in time order, everything that happened up to model time `now_ms`: operations finishing and
    /// the autoscaler pulling pools back within their bounds.
    pub fn advance(&mut self, now_ms: u64) {
        let mut due: Vec<usize> = (0..self.operations.len())
            .filter(|&i| !self.operations[i].finished && self.operations[i].done_at_ms <= now_ms)
            .collect();
        due.sort_by_key(|&i| self.operations[i].done_at_ms);
        for index in due {
            self.finish(index);
        }
        let delay_ms = (self.timing.autoscaler_delay_seconds * 1000.0) as u64;
        for pool in self.clusters.iter_mut().flat_map(|cluster| cluster.pools.iter_mut()) {
            if now_ms >= pool.resized_at_ms + delay_ms && autoscale(pool) {
                pool.resized_at_ms = now_ms;
            }
        }
    }

    fn finish(&mut self, index: usize) {
        let operation = &mut self.operations[index];
        operation.finished = true;
        if operation.error.is_some() {
            return;
        }
        let (project, location, cluster, change, at) = (
            operation.project.clone(),
            operation.location.clone(),
            operation.cluster.clone(),
            operation.change.clone(),
            operation.done_at_ms,
        );
        let Some(pool) = self.pool_mut(
            &project,
            &location,
            &cluster,
            match &change {
                Change::SetSize { pool, .. } | Change::SetAutoscaling { pool, .. } => pool,
            },
        ) else {
            return;
        };
        match change {
            Change::SetSize { node_count, .. } => {
                for size in pool.sizes.values_mut() {
                    *size = node_count;
                }
                pool.resized_at_ms = at;
            }
            Change::SetAutoscaling { autoscaling, .. } => {
                pool.autoscaling = Some(autoscaling);
                // The autoscaler re-evaluates the pool against its new bounds after its usual delay.
                pool.resized_at_ms = at;
            }
        }
    }

    pub fn cluster(&self, project: &str, location: &str, name: &str) -> Result<&Cluster, ApiError> {
        self.clusters
            .iter()
            .find(|c| c.project == project && c.location == location && c.name == name)
            .ok_or_else(|| ApiError::not_found(&format!("projects/{project}/locations/{location}/clusters/{name}")))
    }

    pub fn pool(&self, project: &str, location: &str, cluster: &str, pool: &str) -> Result<&NodePool, ApiError> {
        self.cluster(project, location, cluster)?
            .pools
            .iter()
            .find(|p| p.name == pool)
            .ok_or_else(|| {
                ApiError::not_found(&format!(
                    "projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}"
                ))
            })
    }

    fn pool_mut(&mut self, project: &str, location: &str, cluster: &str, pool: &str) -> Option<&mut NodePool> {
        self.clusters
            .iter_mut()
            .find(|c| c.project == project && c.location == location && c.name == cluster)?
            .pools
            .iter_mut()
            .find(|p| p.name == pool)
    }

    pub fn operation(&self, project: &str, location: &str, name: &str) -> Result<&Operation, ApiError> {
        self.operations
            .iter()
            .find(|op| op.project == project && op.location == location && op.name == name)
            .ok_or_else(|| ApiError::not_found(&format!("projects/{project}/locations/{location}/operations/{name}")))
    }

    /// The operation still running on a cluster, if any.
    pub fn running_on(&self, project: &str, location: &str, cluster: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| !op.finished && op.project == project && op.location == location && op.cluster == cluster)
    }

    /// Starts an operation (returning its index) after the checks GKE makes: the pool exists, no other operation runs on the
    /// cluster (400 FAILED_PRECONDITION), the project's concurrent-operation quota (429).
    pub fn start(
        &mut self,
        project: &str,
        location: &str,
        cluster: &str,
        change: Change,
        now_ms: u64,
        error: Option<ApiError>,
    ) -> Result<usize, ApiError> {
        let pool = match &change {
            Change::SetSize { pool, .. } | Change::SetAutoscaling { pool, .. } => pool.clone(),
        };
        self.pool(project, location, cluster, &pool)?;
        if let Some(running) = self.running_on(project, location, cluster) {
            return Err(ApiError::operation_running(&running.name));
        }
        let running_in_project = self
            .operations
            .iter()
            .filter(|op| !op.finished && op.project == project)
            .count();
        if self.quota > 0 && running_in_project >= self.quota {
            return Err(ApiError::quota(format!(
                "Insufficient quota to satisfy the request: the project {project} already runs \
                 {running_in_project} operations (limit {}).",
                self.quota
            )));
        }
        self.next_operation += 1;
        let pending_ms = (self.timing.operation_pending_seconds * 1000.0) as u64;
        let running_ms = (self.timing.operation_running_seconds * 1000.0) as u64;
        let name = format!(
            "operation-{}-{:08x}",
            self.epoch.unix_ms(now_ms),
            0x5eed_0000u64 + self.next_operation
        );
        self.operations.push(Operation {
            name,
            project: project.to_string(),
            location: location.to_string(),
            cluster: cluster.to_string(),
            change,
            started_ms: now_ms,
            running_at_ms: now_ms + pending_ms,
            done_at_ms: now_ms + pending_ms + running_ms,
            error,
            finished: false,
        });
        Ok(self.operations.len() - 1)
    }
}

/// Pulls an autoscaled pool back within its bounds, as the cluster autoscaler does; true if it changed.
fn autoscale(pool: &mut NodePool) -> bool {
    let Some(bounds) = pool.autoscaling.as_ref().filter(|a| a.enabled) else {
        return false;
    };
    let zones = pool.sizes.len() as u32;
    let before = pool.sizes.clone();
    if bounds.total_max_node_count > 0 || bounds.total_min_node_count > 0 {
        let total: u32 = pool.sizes.values().sum();
        let wanted = total.clamp(
            bounds.total_min_node_count,
            bounds.total_max_node_count.max(bounds.total_min_node_count),
        );
        if wanted != total && zones > 0 {
            // Spread evenly, the way the BALANCED location policy does.
            for (index, size) in pool.sizes.values_mut().enumerate() {
                *size = wanted / zones + u32::from((index as u32) < wanted % zones);
            }
        }
    } else {
        for size in pool.sizes.values_mut() {
            *size = (*size).clamp(bounds.min_node_count, bounds.max_node_count.max(bounds.min_node_count));
        }
    }
    pool.sizes != before
}

/// `us-central1-a` is a zone, `us-central1` a region.
pub fn is_zone(location: &str) -> bool {
    location.matches('-').count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let mut seed = Seed::example();
        seed.timing = Timing {
            operation_pending_seconds: 1.0,
            operation_running_seconds: 9.0,
            autoscaler_delay_seconds: 30.0,
        };
        World::from_seed(&seed, Epoch::now()).unwrap()
    }

    #[test]
    fn resize_applies_per_zone_when_done() {
        let mut world = world();
        let change = Change::SetSize {
            pool: "kfuse-pool".into(),
            node_count: 4,
        };
        let index = world
            .start("kfuse-project", "us-central1", "kfuse", change, 0, None)
            .unwrap();
        let name = world.operations[index].name.clone();
        world.advance(5_000);
        let op = world.operation("kfuse-project", "us-central1", &name).unwrap();
        assert_eq!(op.status(5_000), OpStatus::Running);
        assert!(
            world
                .pool("kfuse-project", "us-central1", "kfuse", "kfuse-pool")
                .unwrap()
                .sizes
                .values()
                .all(|&n| n == 2)
        );
        world.advance(10_000);
        let pool = world
            .pool("kfuse-project", "us-central1", "kfuse", "kfuse-pool")
            .unwrap();
        assert_eq!(pool.sizes.values().copied().collect::<Vec<_>>(), vec![4, 4, 4]);
        assert_eq!(pool.initial_node_count, 2, "GKE keeps initialNodeCount as created");
    }

    #[test]
    fn second_mutation_while_running_is_a_failed_precondition() {
        let mut world = world();
        let change = Change::SetSize {
            pool: "kfuse-pool".into(),
            node_count: 4,
        };
        world
            .start("kfuse-project", "us-central1", "kfuse", change.clone(), 0, None)
            .unwrap();
        let err = world
            .start("kfuse-project", "us-central1", "kfuse", change.clone(), 1_000, None)
            .err()
            .unwrap();
        assert_eq!((err.code, err.status.as_str()), (400, "FAILED_PRECONDITION"));
        world.advance(10_000);
        assert!(
            world
                .start("kfuse-project", "us-central1", "kfuse", change, 10_000, None)
                .is_ok()
        );
    }

    #[test]
    fn autoscaler_pulls_an_oversized_pool_back() {
        let mut world = world();
        let bounds = AutoscalingSeed {
            enabled: true,
            min_node_count: 1,
            max_node_count: 3,
            ..Default::default()
        };
        world.clusters[0].pools[0].autoscaling = Some(bounds);
        let change = Change::SetSize {
            pool: "kfuse-pool".into(),
            node_count: 5,
        };
        world
            .start("kfuse-project", "us-central1", "kfuse", change, 0, None)
            .unwrap();
        world.advance(10_000);
        assert!(world.clusters[0].pools[0].sizes.values().all(|&n| n == 5));
        world.advance(39_999);
        assert!(world.clusters[0].pools[0].sizes.values().all(|&n| n == 5));
        world.advance(40_000);
        assert!(world.clusters[0].pools[0].sizes.values().all(|&n| n == 3));
    }

    #[test]
    fn an_operation_with_an_error_changes_nothing() {
        let mut world = world();
        let change = Change::SetSize {
            pool: "kfuse-pool".into(),
            node_count: 7,
        };
        let error = ApiError::new(429, "RESOURCE_EXHAUSTED", "stockout");
        world
            .start("kfuse-project", "us-central1", "kfuse", change, 0, Some(error))
            .unwrap();
        world.advance(20_000);
        assert!(world.clusters[0].pools[0].sizes.values().all(|&n| n == 2));
    }
}
