//! The Helix side of the fake: instances with tags, and tables with their ideal state (what the
//! controller asks) and external view (what the servers report). Servers load new replicas one at a time
//! at a model-time rate, so the external view trails the ideal state the way it does in Pinot; a replica
//! dropped from the ideal state leaves the external view shortly after.
use std::collections::BTreeMap;

use super::names::TableType;
use super::seed::Timing;

/// segment -> instance -> state (ONLINE, CONSUMING, OFFLINE, ERROR): Helix's map fields.
pub type Assignment = BTreeMap<String, BTreeMap<String, String>>;

pub const ONLINE: &str = "ONLINE";
pub const CONSUMING: &str = "CONSUMING";
pub const OFFLINE: &str = "OFFLINE";
pub const ERROR: &str = "ERROR";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Controller,
    Broker,
    Server,
    Minion,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Controller => "Controller_",
            Kind::Broker => "Broker_",
            Kind::Server => "Server_",
            Kind::Minion => "Minion_",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub kind: Kind,
    pub host: String,
    pub port: u16,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// Connected to the cluster (its pod is Ready). A registered instance that is not live keeps its
    /// instance config, as in Pinot, but serves nothing.
    pub live: bool,
    pub disk_used_bytes: u64,
    pub disk_total_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The replica reaches this state (index into the state names) in the external view.
    Add(&'static str),
    Drop,
}

#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub at_ms: u64,
    pub transition: Transition,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub table_type: TableType,
    pub replication: u32,
    pub server_tenant: String,
    pub broker_tenant: String,
    pub segment_size_bytes: u64,
    pub ideal: Assignment,
    pub external: Assignment,
    /// Replica changes on their way into the external view, by (segment, instance).
    pub pending: BTreeMap<(String, String), Pending>,
    /// The instance partitions last persisted for the table (Pinot keeps them in ZK).
    pub instance_partitions: Vec<String>,
    /// Set by the stall fault: servers stop loading this table's segments.
    pub stalled_since: Option<u64>,
}

impl Table {
    pub fn server_tag(&self) -> String {
        self.table_type.server_tag(&self.server_tenant)
    }

    /// Segments whose replicas are not where the ideal state wants them yet.
    pub fn converged(&self) -> bool {
        self.ideal == self.external
    }
}

pub struct Cluster {
    pub instances: BTreeMap<String, Instance>,
    pub tables: BTreeMap<String, Table>,
    /// When each server is done with the downloads queued so far.
    busy_until: BTreeMap<String, u64>,
    pub timing: Timing,
}

fn ms(seconds: f64) -> u64 {
    (seconds * 1000.0).round() as u64
}

impl Cluster {
    pub fn new(timing: Timing) -> Cluster {
        Cluster {
            instances: BTreeMap::new(),
            tables: BTreeMap::new(),
            busy_until: BTreeMap::new(),
            timing,
        }
    }

    pub fn live(&self, instance: &str) -> bool {
        self.instances.get(instance).is_some_and(|i| i.live)
    }

    /// Replaces a table's ideal state; the servers start loading what is new and dropping what is gone.
    pub fn set_ideal(&mut self, table_name: &str, ideal: Assignment, now: u64) {
        let Some(mut table) = self.tables.remove(table_name) else {
            return;
        };
        table.ideal = ideal;
        self.reconcile(&mut table, now);
        self.tables.insert(table_name.to_string(), table);
    }

    /// Schedules the transitions that bring the external view to the ideal state, keeping the ones already
    /// under way.
    fn reconcile(&mut self, table: &mut Table, now: u64) {
        let mut wanted = BTreeMap::new();
        for (segment, replicas) in &table.ideal {
            for (instance, state) in replicas {
                wanted.insert((segment.clone(), instance.clone()), state.clone());
            }
        }
        // Drop what is no longer wanted: cancel loads not finished, schedule drops of loaded replicas.
        let current: Vec<(String, String)> = table
            .external
            .iter()
            .flat_map(|(segment, replicas)| replicas.keys().map(move |instance| (segment.clone(), instance.clone())))
            .collect();
        table
            .pending
            .retain(|key, pending| wanted.contains_key(key) || pending.transition == Transition::Drop);
        for key in current {
            if !wanted.contains_key(&key) && !table.pending.contains_key(&key) {
                let transition = Transition::Drop;
                table.pending.insert(
                    key,
                    Pending {
                        at_ms: now + ms(self.timing.segment_drop_seconds),
                        transition,
                    },
                );
            }
        }
        for (key, state) in wanted {
            let shown = table.external.get(&key.0).and_then(|replicas| replicas.get(&key.1));
            if shown.is_some_and(|s| s == ERROR) {
                // A replica in ERROR stays there until someone resets it (Helix does not retry it).
                table.pending.remove(&key);
                continue;
            }
            if shown == Some(&state) {
                // Already there: a drop scheduled earlier is called off.
                table.pending.remove(&key);
                continue;
            }
            let target = state_name(&state);
            if let Some(pending) = table.pending.get(&key)
                && pending.transition == Transition::Add(target)
            {
                continue;
            }
            let at_ms = if shown.is_some() {
                // A state change of a loaded replica (CONSUMING -> ONLINE on commit) is quick.
                now + ms(self.timing.segment_drop_seconds)
            } else {
                let load = if target == CONSUMING {
                    self.timing.consuming_segment_load_seconds
                } else {
                    self.timing.segment_load_seconds
                };
                let start = self.busy_until.get(&key.1).copied().unwrap_or(0).max(now);
                let at = start + ms(load);
                self.busy_until.insert(key.1.clone(), at);
                at
            };
            table.pending.insert(
                key,
                Pending {
                    at_ms,
                    transition: Transition::Add(target),
                },
            );
        }
    }

    /// Earliest model time at which a transition can happen (stalled tables and dead servers wait).
    pub fn next_transition(&self) -> Option<u64> {
        self.tables
            .values()
            .filter(|table| table.stalled_since.is_none())
            .flat_map(|table| table.pending.iter())
            .filter(|((_, instance), pending)| pending.transition == Transition::Drop || self.live(instance))
            .map(|(_, pending)| pending.at_ms)
            .min()
    }

    /// Earliest transition time of one table, for a rebalance waiting on it.
    pub fn next_transition_of(&self, table: &str) -> Option<u64> {
        let table = self.tables.get(table).filter(|t| t.stalled_since.is_none())?;
        table
            .pending
            .iter()
            .filter(|((_, instance), pending)| pending.transition == Transition::Drop || self.live(instance))
            .map(|(_, pending)| pending.at_ms)
            .min()
    }

    /// Applies every transition due at or before `upto`.
    pub fn apply_transitions(&mut self, upto: u64) {
        let live: std::collections::BTreeSet<String> = self
            .instances
            .values()
            .filter(|i| i.live)
            .map(|i| i.name.clone())
            .collect();
        for table in self.tables.values_mut().filter(|t| t.stalled_since.is_none()) {
            let due: Vec<(String, String)> = table
                .pending
                .iter()
                .filter(|((_, instance), p)| {
                    p.at_ms <= upto && (p.transition == Transition::Drop || live.contains(instance))
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in due {
                let Some(pending) = table.pending.remove(&key) else {
                    continue;
                };
                let (segment, instance) = key;
                match pending.transition {
                    Transition::Add(state) => {
                        table
                            .external
                            .entry(segment)
                            .or_default()
                            .insert(instance, state.to_string());
                    }
                    Transition::Drop => {
                        if let Some(replicas) = table.external.get_mut(&segment) {
                            replicas.remove(&instance);
                            if replicas.is_empty() {
                                table.external.remove(&segment);
                            }
                        }
                    }
                }
            }
        }
    }

    /// A server's pod became Ready (`live`) or went away. A server that leaves drops out of every external
    /// view at once (Helix removes a dead instance's current states); one that comes back reloads what
    /// the ideal states give it.
    pub fn set_live(&mut self, instance: &str, live: bool, now: u64) {
        let Some(entry) = self.instances.get_mut(instance) else {
            return;
        };
        if entry.live == live {
            return;
        }
        entry.live = live;
        self.busy_until.remove(instance);
        let names: Vec<String> = self.tables.keys().cloned().collect();
        for name in names {
            let Some(mut table) = self.tables.remove(&name) else {
                continue;
            };
            if !live {
                for replicas in table.external.values_mut() {
                    replicas.remove(instance);
                }
                table.external.retain(|_, replicas| !replicas.is_empty());
                table.pending.retain(|(_, i), _| i != instance);
            } else {
                table.pending.retain(|(_, i), _| i != instance);
            }
            self.reconcile(&mut table, now);
            self.tables.insert(name, table);
        }
    }

    /// Stops (or resumes) the servers' loading of a table's segments.
    pub fn stall(&mut self, table: &str, stalled: bool, now: u64) {
        let Some(table) = self.tables.get_mut(table) else {
            return;
        };
        match (table.stalled_since, stalled) {
            (None, true) => table.stalled_since = Some(now),
            (Some(since), false) => {
                // Loads resume where they stopped.
                let paused = now.saturating_sub(since);
                for pending in table.pending.values_mut() {
                    pending.at_ms += paused;
                }
                table.stalled_since = None;
            }
            _ => {}
        }
    }

    /// Servers carrying `tag`, sorted (as `HelixHelper.getInstancesWithTag` then `sort`).
    pub fn servers_with_tag(&self, tag: &str) -> Vec<String> {
        self.instances
            .values()
            .filter(|i| i.kind == Kind::Server && i.tags.iter().any(|t| t == tag))
            .map(|i| i.name.clone())
            .collect()
    }
}

/// The `&'static str` of a state name, so transitions stay `Copy`.
pub fn state_name(state: &str) -> &'static str {
    match state {
        CONSUMING => CONSUMING,
        OFFLINE => OFFLINE,
        ERROR => ERROR,
        _ => ONLINE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Cluster {
        let mut cluster = Cluster::new(Timing {
            segment_load_seconds: 2.0,
            consuming_segment_load_seconds: 5.0,
            segment_drop_seconds: 0.5,
            rebalance_checker_period_seconds: 0.0,
            restart_seconds: 0.0,
        });
        for name in ["s1", "s2"] {
            cluster.instances.insert(
                name.into(),
                Instance {
                    name: name.into(),
                    kind: Kind::Server,
                    host: name.into(),
                    port: 8098,
                    tags: vec!["DefaultTenant_REALTIME".into()],
                    enabled: true,
                    live: true,
                    disk_used_bytes: 0,
                    disk_total_bytes: 1,
                },
            );
        }
        let one: Assignment = [("seg".to_string(), [("s1".to_string(), ONLINE.to_string())].into())].into();
        cluster.tables.insert(
            "t_REALTIME".into(),
            Table {
                name: "t_REALTIME".into(),
                table_type: TableType::Realtime,
                replication: 1,
                server_tenant: "DefaultTenant".into(),
                broker_tenant: "DefaultTenant".into(),
                segment_size_bytes: 1,
                ideal: one.clone(),
                external: one,
                pending: BTreeMap::new(),
                instance_partitions: vec![],
                stalled_since: None,
            },
        );
        cluster
    }

    #[test]
    fn a_moved_replica_loads_then_the_old_one_drops() {
        let mut cluster = cluster();
        let moved: Assignment = [("seg".to_string(), [("s2".to_string(), ONLINE.to_string())].into())].into();
        cluster.set_ideal("t_REALTIME", moved.clone(), 1_000);
        assert_eq!(cluster.next_transition(), Some(1_500));
        cluster.apply_transitions(1_500);
        assert!(
            !cluster.tables["t_REALTIME"].external.contains_key("seg"),
            "old replica dropped first"
        );
        cluster.apply_transitions(2_999);
        assert!(!cluster.tables["t_REALTIME"].converged());
        cluster.apply_transitions(3_000);
        assert_eq!(cluster.tables["t_REALTIME"].external, moved);
    }

    #[test]
    fn a_stalled_table_does_not_load_until_resumed() {
        let mut cluster = cluster();
        let two: Assignment = [(
            "seg".to_string(),
            [
                ("s1".to_string(), ONLINE.to_string()),
                ("s2".to_string(), ONLINE.to_string()),
            ]
            .into(),
        )]
        .into();
        cluster.stall("t_REALTIME", true, 0);
        cluster.set_ideal("t_REALTIME", two.clone(), 0);
        assert_eq!(cluster.next_transition(), None);
        cluster.apply_transitions(60_000);
        assert!(!cluster.tables["t_REALTIME"].converged());
        cluster.stall("t_REALTIME", false, 60_000);
        cluster.apply_transitions(62_000);
        assert_eq!(cluster.tables["t_REALTIME"].external, two);
    }

    #[test]
    fn a_server_that_leaves_drops_out_of_the_external_view() {
        let mut cluster = cluster();
        cluster.set_live("s1", false, 0);
        assert!(cluster.tables["t_REALTIME"].external.is_empty());
        cluster.set_live("s1", true, 10_000);
        cluster.apply_transitions(12_000);
        assert!(cluster.tables["t_REALTIME"].converged());
    }
}
