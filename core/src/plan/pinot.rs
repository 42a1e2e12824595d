//! Pinot: which tables get a manual rebalance, with which versioned parameter set, and the server
//! counts the rebalance should end with.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values_scaling::ValuesPlan;
use crate::profile::{Profile, select_parameter_set};
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinotPlan {
    /// Whether the snapshot saw Pinot (tables or instances); apply validates only what was observed.
    #[serde(default)]
    pub observed: bool,
    /// The parameter set chosen for the installed chart version.
    pub parameter_set: Option<String>,
    pub tables: Vec<TableRebalance>,
    pub servers: Vec<ServerCount>,
    pub notes: Vec<String>,
    /// The operator passed `--skip-pinot`: no rebalance is planned although the runbook requires
    /// one. Recorded in the plan (so in the state) and in the record commit's message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl PinotPlan {
    /// Tables the rebalance needs that Pinot does not have: all of the profile's
    /// `manual_rebalance_tables` but the optional ones. Empty when Pinot was not observed.
    pub fn missing_required_tables(snapshot: &Snapshot, profile: &Profile) -> Vec<String> {
        if snapshot.pinot.tables.is_empty() && snapshot.pinot.instances.is_empty() {
            return Vec::new();
        }
        profile
            .pinot
            .manual_rebalance_tables
            .iter()
            .filter(|name| !profile.pinot.optional_tables.contains(name))
            .filter(|name| snapshot.pinot.table(name).is_none())
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableRebalance {
    pub table: String,
    pub table_type: String,
    /// Query parameters of `POST /tables/{table}/rebalance`, `type` included.
    pub parameters: BTreeMap<String, String>,
    /// Servers holding the table's segments now, and servers carrying its tag after the change.
    pub servers_before: u64,
    pub servers_after: u64,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerCount {
    pub workload: String,
    pub before: u64,
    pub after: u64,
}

/// `skip`: the operator's `--skip-pinot`, the only way past a Pinot that cannot be reached.
pub fn plan_pinot(snapshot: &Snapshot, profile: &Profile, values: &ValuesPlan, skip: bool) -> PinotPlan {
    let mut notes = Vec::new();
    let servers: Vec<ServerCount> = profile
        .pinot
        .server_workloads
        .values()
        .filter_map(|workload| {
            values.replicas(workload).map(|count| ServerCount {
                workload: workload.clone(),
                before: count.before,
                after: count.after,
            })
        })
        .collect();
    let chart_version = &snapshot.helm.chart_version;
    let set = select_parameter_set(&profile.pinot.parameter_sets, chart_version);

    let observed = !snapshot.pinot.tables.is_empty() || !snapshot.pinot.instances.is_empty();
    if skip {
        notes.push(format!(
            "--skip-pinot: the metrics rebalance the runbook requires is NOT done ({}); the new servers get no segments of these tables until someone rebalances them",
            profile.pinot.manual_rebalance_tables.join(", ")
        ));
        return PinotPlan {
            observed,
            parameter_set: set.map(|set| set.name.clone()),
            tables: Vec::new(),
            servers,
            notes,
            skipped: true,
        };
    }

    let mut tables = Vec::new();
    for name in &profile.pinot.manual_rebalance_tables {
        let Some(table) = snapshot.pinot.table(name) else {
            if observed && profile.pinot.optional_tables.contains(name) {
                notes.push(format!(
                    "{name}: not in the cluster (optional, e.g. rollup is off): no rebalance"
                ));
            }
            continue;
        };
        let tagged_now = snapshot.pinot.servers_tagged(&table.server_tag) as u64;
        let holding = table.servers.len() as u64;
        let added = profile
            .pinot
            .server_workloads
            .get(&table.table_type)
            .and_then(|workload| values.replicas(workload))
            .map_or(0, |count| count.after.saturating_sub(count.before));
        let servers_after = tagged_now + added;
        let why = if added > 0 {
            format!("{added} new server(s) get segments only through a rebalance")
        } else if holding < tagged_now {
            format!(
                "segments sit on {holding} of the {tagged_now} servers tagged {}",
                table.server_tag
            )
        } else {
            continue;
        };
        let Some(set) = set else {
            notes.push(format!(
                "{name}: no Pinot parameter set matches chart version {chart_version}; add one under profile.pinot.parameter_sets in kfscale.yaml"
            ));
            continue;
        };
        let mut parameters = set.parameters.clone();
        parameters.insert("type".into(), table.table_type.clone());
        tables.push(TableRebalance {
            table: name.clone(),
            table_type: table.table_type.clone(),
            parameters,
            servers_before: holding,
            servers_after,
            why,
        });
    }
    PinotPlan {
        observed,
        parameter_set: set.map(|set| set.name.clone()),
        tables,
        servers,
        notes,
        skipped: false,
    }
}
