//! `kfscale schema snapshot|plan|config|state`: the JSON Schemas committed under `state/`.
use std::process::ExitCode;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Snapshot,
    Plan,
    Config,
    State,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    pub kind: SchemaKind,
}

pub fn schema_json(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Snapshot => schemars::schema_for!(crate::snapshot::Snapshot),
        SchemaKind::Plan => schemars::schema_for!(crate::plan::Plan),
        SchemaKind::Config => schemars::schema_for!(crate::config::Config),
        SchemaKind::State => schemars::schema_for!(crate::state::State),
    };
    // A schema is plain JSON data; serializing it cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

pub fn run(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    crate::out!("{}", schema_json(args.kind));
    Ok(ExitCode::SUCCESS)
}
