//! `kfscale redact`: the values file with every secret replaced by `(sensitive)`, to share with
//! support or paste into a ticket.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::values::Document;
use crate::values::json::to_json;
use crate::values::redact::{redact_json, redacted_text};

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
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", redacted_text(&document, &text));
    }
    Ok(ExitCode::SUCCESS)
}

/// A values file as UTF-8 text, with errors that name the file and the fix.
pub fn read_values_text(path: &std::path::Path) -> anyhow::Result<String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}; fix: check the path"))?;
    String::from_utf8(bytes).map_err(|err| {
        anyhow::anyhow!(
            "{shown}: byte {} is not UTF-8 text; fix: a values file is UTF-8 YAML: check you passed the right file",
            err.utf8_error().valid_up_to()
        )
    })
}
