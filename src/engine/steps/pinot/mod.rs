//! The Pinot step: rebalance the tables the plan names (the runbook's manual rebalance of the
//! metrics tables) and wait until every segment is GOOD. A job is followed by its recorded id; a
//! job started but not recorded is adopted, never POSTed twice.
mod job;
pub mod rebalance;
pub mod segments;
