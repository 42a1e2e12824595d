//! The state file: the audit record of applies. It lives in the customer's repo next to the values
//! file, is written atomically after every step with a checksum, and carries the `lineage` (one per
//! managed cluster) and the `serial` (bumped per write) that tell a stale plan from a current one.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::plan::Plan;

mod file;
mod review;
mod step_name;

pub use file::{
    HISTORY_DIR, STATE_FILE, STATE_FILE_KIND, StateError, UNSCRUBBED_KEYS, encode_state, encode_state_scrubbed,
    parse_state,
};
pub use review::ReviewRecord;
pub use step_name::StepName;

/// Bumped when a reader of the old format could misread the new one.
pub const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// Made once, at the first apply of this cluster; never changes.
    pub lineage: String,
    /// Bumped on every write.
    pub serial: u64,
    /// The node pool this state belongs to (a plan for another pool is refused).
    pub cluster: String,
    /// The apply in progress, or the last one.
    pub run: Option<ApplyRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRun {
    pub id: String,
    /// `user@host` of the operator.
    pub operator: String,
    /// Checksum of the plan being executed (the plan file's).
    pub plan_checksum: String,
    pub plan: Plan,
    pub started_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub steps: Vec<StepRecord>,
    /// The Grafana alert rules firing before the first step (with a `grafana:` section): `verify`
    /// and the validate step call a rule firing now that was not firing then RED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting_before: Option<AlertBaseline>,
    /// With `review.required`: the reviewed merge this apply carries out, or who skipped the
    /// review with `--no-review`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Stopped at a safe point (Ctrl-C, a signal); `apply` resumes it.
    Interrupted,
    Failed,
    /// Stopped at a safe point because the lock could no longer be counted on (another holder
    /// took it, or its renewals kept failing); `apply` resumes it once the lock is free.
    LeaseLost,
    Succeeded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRecord {
    pub name: StepName,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Async handles recorded *before* waiting (EKS update id, request token, Kafka moves, Pinot
    /// job ids): a resumed apply polls them instead of acting again.
    #[serde(default)]
    pub handles: serde_json::Map<String, serde_json::Value>,
    /// What the step saw when it verified its work.
    #[serde(default)]
    pub observed: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    /// Already in the desired state when the step looked: nothing was done.
    Skipped,
    Failed,
}

impl ApplyRun {
    pub fn step(&self, name: StepName) -> Option<&StepRecord> {
        self.steps.iter().find(|step| step.name == name)
    }

    pub fn step_mut(&mut self, name: StepName) -> Option<&mut StepRecord> {
        self.steps.iter_mut().find(|step| step.name == name)
    }
}

impl StepRecord {
    /// Adds `amount` to the count under `key` in `observed` (a resumed or retried step's times and
    /// retries add up over its attempts).
    pub fn add_to(&mut self, key: &str, amount: u64) {
        let before = self.observed.get(key).and_then(serde_json::Value::as_u64);
        self.observed
            .insert(key.to_string(), (before.unwrap_or(0) + amount).into());
    }

    pub fn pending(name: StepName) -> StepRecord {
        StepRecord {
            name,
            status: StepStatus::Pending,
            started_at: None,
            finished_at: None,
            handles: Default::default(),
            observed: Default::default(),
            message: None,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.status, StepStatus::Done | StepStatus::Skipped)
    }
}

/// The rules firing before an apply started: what `verify` compares with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertBaseline {
    pub observed_at: String,
    /// `folder / group / rule` of each firing rule.
    pub firing: Vec<String>,
    /// Rules seen in all.
    pub rules: usize,
}
