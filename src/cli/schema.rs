//! `kfscale schema snapshot|plan|config|state|diagnostic`: the JSON Schemas committed under
//! `state/`.
use std::process::ExitCode;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Snapshot,
    /// The plan document: `plan -out`, `plan --json` and `show --json`.
    Plan,
    Config,
    State,
    /// The error line commands print under `--json`.
    Diagnostic,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    pub kind: SchemaKind,
}

pub fn schema_json(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Snapshot => schemars::schema_for!(crate::snapshot::Snapshot),
        SchemaKind::Plan => schemars::schema_for!(crate::planfile::PlanDocument),
        SchemaKind::Config => schemars::schema_for!(crate::config::Config),
        SchemaKind::State => schemars::schema_for!(crate::state::State),
        SchemaKind::Diagnostic => schemars::schema_for!(crate::diagnostic::DiagnosticLine),
    };
    // A schema is plain JSON data; serializing it cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

pub fn run(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    crate::out!("{}", schema_json(args.kind));
    Ok(ExitCode::SUCCESS)
}
