//! All integration tests of the package in one binary: one link instead of one per file.
mod errors;
mod reads;
mod rebalances;
