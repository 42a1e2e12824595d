//! All integration tests of the package in one binary: one link instead of one per file.
mod admin_ops;
mod common;
mod failures;
mod negotiation;
mod routing;
