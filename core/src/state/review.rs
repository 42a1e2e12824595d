//! How an apply's plan was cleared to run when `review.required` is set: merged by reviewers into
//! the customer's branch, or pushed past the gate with `--no-review` by a named operator.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReviewRecord {
    /// The remote's branch held the planned values file byte for byte and, since the plan's base,
    /// a commit carrying the plan's `Kfscale-Plan:` trailer.
    Merged {
        /// The branch reviewed into, as `remote/branch`.
        branch: String,
        /// The commit that brought the planned values file onto the branch (the merge, the squash
        /// or the rebased commit): the change this apply carries out.
        merged_commit: String,
        /// The commit whose message carries the trailer (the proposal itself after a merge).
        trailer_commit: String,
        /// The review branch `kfscale propose` pushed.
        review_branch: String,
    },
    /// `--no-review`: the gate was skipped, on purpose and on the record.
    Skipped {
        /// `user@host` of the operator who skipped it.
        operator: String,
        at: String,
    },
}

impl ReviewRecord {
    /// The line the record commit's message gives it.
    pub fn commit_line(&self, plan_checksum: &str) -> String {
        match self {
            ReviewRecord::Merged {
                branch,
                merged_commit,
                review_branch,
                ..
            } => format!(
                "Reviewed: applies {merged_commit}, the merge into {branch} of review branch {review_branch} (plan sha256:{plan_checksum})."
            ),
            ReviewRecord::Skipped { operator, at } => format!(
                "REVIEW SKIPPED: applied with --no-review by {operator} at {at}, although review.required is set (plan sha256:{plan_checksum})."
            ),
        }
    }
}
