//! All integration tests of the package in one binary: one link instead of one per file.
mod balance_check;
mod balance_cli;
mod balance_examples;
mod balance_props;
mod cli_bad_input;
mod common;
mod live_apply;
mod live_apply_torture;
mod live_gke;
mod live_kafka;
mod live_pinot;
mod live_plan;
mod plan_examples;
mod plan_prechecks;
mod schemas;
mod values_edit;
mod values_scaling;
