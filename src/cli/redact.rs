//! `kfscale redact`: the values file with every secret replaced by `(sensitive)`, to share with
//! support or paste into a ticket.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::files::read_values_text;
use crate::values::Document;
use crate::values::json::to_json;
use crate::values::secrets::{redact_json, redacted_text};

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The values file.
    #[arg(long, value_name = "FILE")]
    pub values: PathBuf,
    /// Print the values as JSON (the shape of `helm get values -o json`), secrets redacted.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RedactArgs) -> anyhow::Result<ExitCode> {
    let shown = args.values.display().to_string();
    let text = read_values_text(&args.values)?;
    let document = Document::parse(&shown, &text)?;
    if args.json {
        let mut value = to_json(&document);
        redact_json(&mut value);
        crate::outln!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        crate::out!("{}", redacted_text(&document, &text));
    }
    Ok(ExitCode::SUCCESS)
}
