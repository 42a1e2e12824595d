//! The planner: a pure function from a snapshot, an intent and a profile to the whole desired
//! state. No I/O, no clock, no randomness: the same inputs give byte-identical plans.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::balance::BalanceError;
use crate::profile::Profile;
use crate::snapshot::{Fingerprints, Snapshot};
use crate::values::{Document, ValuesError};

mod broker_ids;
mod broker_volumes;
mod chart_topics;
pub mod copy_time;
pub(crate) mod effective_values;
mod expected_growth;
mod grow_only;
mod growth_notes;
mod intent;
mod kafka;
mod node_pool;
mod node_target;
mod partition_rule;
mod pinot;
mod planned_partitions;
mod pool_limits;
mod pool_size;
pub(crate) mod prechecks;
mod ratio;
mod summary;
pub(crate) mod values_reader;
mod values_scaling;
mod values_topics;
mod volume_drift;
pub(crate) mod workload_fates;

pub use broker_ids::{BrokerIds, broker_ids, ordinal_of, pod_named_by};
pub use broker_volumes::VolumeResize;
pub use expected_growth::{
    AppliedGrowth, ExpectedGrowth, FLAG as EXPECTED_GROWTH_FLAG, GrowthFactor, GrowthSettings, MAX_EXPECTED_GROWTH,
    UnknownNames,
};
pub use grow_only::{Growth, WouldShrink, grow_only, never_below};
pub use intent::{Intent, IntentError};
pub use kafka::KafkaPlan;
pub use node_pool::{Bounds, GkeBounds, NodePoolPlan, PoolSize, side_by_side};
pub use partition_rule::{MAX_PARTITIONS, TooManyPartitions};
pub use pinot::{PinotPlan, ServerCount, TableRebalance};
pub use pool_limits::PoolLimits;
pub use prechecks::{CheckStatus, HELM_PREFLIGHT, HelmPreflight, PreCheck, helm_preflight};
pub use summary::Summary;
pub use values_scaling::{LiveFacts, MissingValue, ReplicaCount, ValueChange, ValuesPlan, scale_values_text};
pub use values_topics::TopicGrowth;
pub use workload_fates::{Fate, WorkloadFate};

/// Bumped when a reader of the old format could misread the new one.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format_version: u32,
    pub kfscale_version: String,
    pub intent: Intent,
    /// The expected growth in volume the partitions were sized for beside the node count
    /// (`--expected-growth`, kfscale.yaml `partition_growth`); absent: none, the node ratio alone.
    /// `apply PLANFILE` refuses the plan when kfscale.yaml's setting changed since.
    #[serde(default, skip_serializing_if = "ExpectedGrowth::is_empty")]
    pub expected_growth: ExpectedGrowth,
    pub from_nodes: u32,
    pub to_nodes: u32,
    /// The Helm release; the upgrade pins `chart_version`, the version installed now.
    pub release: Release,
    /// The snapshot's fingerprint per system: an apply refuses the plan when one changed.
    pub fingerprints: Fingerprints,
    /// The state the plan was made against (lineage, serial); an apply refuses the plan when the
    /// state moved on. None before the first apply or when planning without a config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateRef>,
    /// The effective profile (built-in plus overrides) the plan was made with.
    pub profile: Profile,
    pub node_pool: NodePoolPlan,
    pub values: ValuesPlan,
    pub kafka: KafkaPlan,
    pub pinot: PinotPlan,
    pub prechecks: Vec<PreCheck>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRef {
    pub lineage: String,
    pub serial: u64,
}

impl StateRef {
    /// Which state this is: its lineage and how many writes it has had.
    pub fn of(state: &crate::state::State) -> StateRef {
        StateRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub chart: String,
    pub chart_version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Intent(#[from] IntentError),
    #[error(transparent)]
    Values(#[from] ValuesError),
    #[error("kafka: {0}")]
    Balance(BalanceError),
    #[error("{message}; fix: {fix}")]
    Impossible { message: String, fix: String },
    #[error(transparent)]
    UnknownGrowthNames(#[from] UnknownNames),
    #[error(transparent)]
    TooManyPartitions(#[from] TooManyPartitions),
}

// Not `#[from]`: that would also chain the balancer error as the source and print it twice.
impl From<BalanceError> for PlanError {
    fn from(err: BalanceError) -> Self {
        PlanError::Balance(err)
    }
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.has_changes()
    }

    pub fn has_failed_checks(&self) -> bool {
        self.prechecks.iter().any(|check| check.status == CheckStatus::Fail)
    }
}

/// What the operator tells the planner beside the intent (kfscale.yaml, flags): the pool's quota,
/// the expected growth in volume, whether to skip the Pinot rebalance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanOptions {
    pub pool_limits: PoolLimits,
    pub expected_growth: ExpectedGrowth,
    /// `--skip-pinot`: plan no Pinot rebalance (the `pinot` pre-check warns instead of failing).
    pub skip_pinot: bool,
}

/// A plan with the default options (the clouds' published quotas).
pub fn plan(snapshot: &Snapshot, intent: Intent, profile: &Profile) -> Result<Plan, PlanError> {
    plan_with(snapshot, intent, profile, &PlanOptions::default())
}

pub fn plan_with(
    snapshot: &Snapshot,
    intent: Intent,
    profile: &Profile,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let from_nodes = snapshot.node_pool.total_nodes();
    let document = Document::parse(&snapshot.values.path, &snapshot.values.text)?;
    let requested = intent.target_nodes(from_nodes)?;
    let target = node_target::settle(snapshot, profile, &document, from_nodes, requested)?;
    let to_nodes = target.nodes;
    options.pool_limits.check(&snapshot.node_pool, to_nodes)?;
    let mut node_pool = node_pool::plan_node_pool(snapshot, to_nodes)?;
    node_pool.notes.extend(target.note);
    let values = values_scaling::plan_values(
        snapshot,
        &document,
        profile,
        from_nodes,
        to_nodes,
        &options.expected_growth,
    )?;
    let kafka = kafka::plan_kafka(snapshot, profile, &document, &values)?;
    let pinot = pinot::plan_pinot(snapshot, profile, &values, options.skip_pinot);
    let inputs = prechecks::Inputs {
        snapshot,
        profile,
        document: &document,
        from_nodes,
        node_pool: &node_pool,
        values: &values,
        pinot: &pinot,
        kafka: &kafka,
    };
    let prechecks = prechecks::run(&inputs);
    let summary = Summary::of(&node_pool, &values, &kafka, &pinot);
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        kfscale_version: env!("CARGO_PKG_VERSION").to_string(),
        intent,
        expected_growth: options.expected_growth.clone(),
        from_nodes,
        to_nodes,
        release: Release {
            name: snapshot.helm.name.clone(),
            namespace: snapshot.helm.namespace.clone(),
            chart: snapshot.helm.chart.clone(),
            chart_version: snapshot.helm.chart_version.clone(),
        },
        fingerprints: snapshot.fingerprints(),
        state: None,
        profile: profile.clone(),
        node_pool,
        values,
        kafka,
        pinot,
        prechecks,
        summary,
    })
}
