use std::process::ExitCode;

use clap::Parser;
use kfscale::cli::{self, Cli};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    // A Terraform flag kfscale lacks (`-target`, `-var`) would parse as short flags (`-t`) or, worse,
    // as one with a value (`-chdir=x` as `-c hdir=x`): say what it is before clap guesses.
    if let Some(hint) = cli::terraform_only_hint(&args) {
        let style = kfscale::render::Style::for_stderr();
        kfscale::eoutln!(
            "{} {hint}\nfix: drop it; `kfscale help <COMMAND>` lists each command's arguments",
            style.red("Error:")
        );
        return ExitCode::from(1);
    }
    let cli = match Cli::try_parse_from(cli::terraform_style_flags(args)) {
        Ok(cli) => cli,
        Err(err) => {
            // clap exits 2 on usage errors, but 2 means "changes present" for plan: errors are 1.
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            if err.use_stderr() {
                kfscale::eoutln!("fix: correct the arguments; `kfscale help <COMMAND>` lists each command's arguments");
            }
            return ExitCode::from(code);
        }
    };
    kfscale::color::set_choice(cli.color.into());
    kfscale::logging::init(cli.verbose);
    // A panic's message may quote a value: it leaves through the stderr door, scrubbed, too.
    std::panic::set_hook(kfscale::stderr::panic_hook());
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain, helm's and git's stderr included, scrubbed by the stderr door.
            let style = kfscale::render::Style::for_stderr();
            kfscale::eoutln!("{} {err:#}", style.red("Error:"));
            ExitCode::from(1)
        }
    };
    // A reader that went away (141) or a failed write (1) outranks what the command returned:
    // its output did not arrive.
    kfscale::output::exit_code().map(ExitCode::from).unwrap_or(code)
}
