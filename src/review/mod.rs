//! The customer repo around a scale-out: the runbook's review step enforced with git alone.
//! `kfscale propose` pushes a plan for review as one commit on a review branch; the reviewers'
//! merge into the protected branch is the approval; with `review.required`, `apply` runs a plan
//! only when that branch holds exactly the planned values file and the plan's trailer. Before any
//! apply, the clone is checked fit to take the record.
mod base;
mod before_apply;
mod hint;
mod preflight;
mod proposal;
mod propose;
mod target;
mod verdict;

pub use before_apply::{ApplyStart, Cleared, check_before_apply};
pub use proposal::{PROPOSALS_DIR, TRAILER_KEY, trailer};
pub use propose::{Proposed, propose};
pub use target::RepoTarget;
