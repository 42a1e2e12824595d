//! `kfscale man`: the manual page as roff, generated from the clap definition (the same text as
//! `--help`). Printed, as `kfscale man | man -l -` reads it, or, with `--out-dir DIR`, written as
//! one page per command (kfscale.1, kfscale-plan.1, ...), as a package installs them under
//! `/usr/share/man/man1`. A command rather than a build step: the page of the binary at hand,
//! with nothing to find in a target directory.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory};

#[derive(Debug, Args)]
#[command(after_help = "Read it: kfscale man | man -l -\n\
    Install the pages: kfscale man --out-dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// Write kfscale.1 and one page per command (kfscale-plan.1, ...) into DIR instead of
    /// printing kfscale.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let command = super::Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}; fix: check the path", dir.display()))?;
            clap_mangen::generate_to(command, dir).with_context(|| {
                format!(
                    "cannot write the pages into {}; fix: check the directory is writable",
                    dir.display()
                )
            })?;
            crate::eoutln!("wrote the manual pages into {}", dir.display());
        }
        None => crate::output::write_bytes(&page()?),
    }
    Ok(ExitCode::SUCCESS)
}

/// kfscale.1: the top page, every command listed.
pub fn page() -> anyhow::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(super::Cli::command())
        .render(&mut page)
        .context("rendering the manual page")?;
    Ok(page)
}
