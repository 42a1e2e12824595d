//! `kfscale completions bash|zsh|fish|powershell|elvish`: the shell completion script, generated
//! from the same clap definition as the parser, so it never lags behind a flag.
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    bash:       kfscale completions bash > ~/.local/share/bash-completion/completions/kfscale\n  \
    zsh:        kfscale completions zsh > \"${fpath[1]}/_kfscale\"\n  \
    fish:       kfscale completions fish > ~/.config/fish/completions/kfscale.fish\n  \
    powershell: kfscale completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    crate::output::write_bytes(&script(args.shell));
    Ok(ExitCode::SUCCESS)
}

/// The completion script of `shell` for kfscale's whole command line.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "kfscale", &mut script);
    script
}
